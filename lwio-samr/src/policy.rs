//! The password policy (MS-SAMR 3.1.1.7.1 and 3.1.5.13.5's "password restrictions"):
//! minimum length, history, complexity and minimum age, checked on every set and change.
//! Every refusal is STATUS_PASSWORD_RESTRICTION, as Windows answers.

use lwio_core::NtStatus;

use crate::model::{DOMAIN_PASSWORD_COMPLEX, PasswordPolicy, User};

/// Who is putting a new password on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// The user, knowing the old password (the change calls): every rule applies.
    Change,
    /// An administrator resetting it (SetInformationUser, `lwio user passwd`): the
    /// minimum age does not apply.
    Reset,
}

/// Whether `password` contains the account name (compared without case), which the
/// complexity rule refuses when the name is three or more characters long.
fn holds_account_name(password: &str, account: &str) -> bool {
    account.chars().count() >= 3
        && password
            .to_lowercase()
            .contains(account.to_lowercase().as_str())
}

/// Whether `password` holds characters of at least three of the five categories (upper
/// case, lower case, digits, other characters, and letters without case).
fn has_three_classes(password: &str) -> bool {
    let mut classes = [false; 5];
    for c in password.chars() {
        let i = if c.is_uppercase() {
            0
        } else if c.is_lowercase() {
            1
        } else if c.is_ascii_digit() {
            2
        } else if c.is_alphabetic() {
            4
        } else {
            3
        };
        classes[i] = true;
    }
    classes.iter().filter(|b| **b).count() >= 3
}

/// Whether `password` meets the complexity rule: three of the five character
/// categories, and not the account name inside it.
pub fn is_complex(password: &str, account: &str) -> bool {
    !holds_account_name(password, account) && has_three_classes(password)
}

/// The rule a new password broke, in the order Windows tests them (minimum age, length,
/// complexity, history); each is STATUS_PASSWORD_RESTRICTION on the wire, and
/// UnicodeChangePasswordUser3 also reports [`Refusal::extended_reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Changed again before the minimum age.
    TooSoon,
    /// Shorter than the minimum length.
    TooShort,
    /// A bare hash where the policy has length or complexity rules the server cannot
    /// check on a hash.
    Unverifiable,
    /// Holds the account name.
    AccountName,
    /// Fewer than three character categories.
    NotComplex,
    /// The current password or one the history remembers.
    InHistory,
}

impl Refusal {
    /// USER_PWD_CHANGE_FAILURE_INFORMATION.ExtendedFailureReason (MS-SAMR 2.2.6):
    /// SAM_PWD_CHANGE_NO_ERROR (0) where no reason fits, PASSWORD_TOO_SHORT 1,
    /// PWD_IN_HISTORY 2, USERNAME_IN_PASSWORD 3, NOT_COMPLEX 5.
    pub fn extended_reason(self) -> u32 {
        match self {
            Refusal::TooSoon | Refusal::Unverifiable => 0,
            Refusal::TooShort => 1,
            Refusal::InHistory => 2,
            Refusal::AccountName => 3,
            Refusal::NotComplex => 5,
        }
    }
}

/// The rule a new password for `user` breaks under `policy`, if any; `hash` is its NT
/// hash, `now` the current FILETIME.
pub fn refusal(
    policy: &PasswordPolicy,
    user: &User,
    password: Option<&str>,
    hash: &[u8; 16],
    source: PasswordSource,
    now: i64,
) -> Option<Refusal> {
    if source == PasswordSource::Change
        && policy.min_age > 0
        && user.password_last_set != 0
        && now < user.password_last_set.saturating_add(policy.min_age)
    {
        return Some(Refusal::TooSoon);
    }
    let complex = policy.properties & DOMAIN_PASSWORD_COMPLEX != 0;
    if let Some(p) = password {
        if p.encode_utf16().count() < usize::from(policy.min_length) {
            return Some(Refusal::TooShort);
        }
        if complex && holds_account_name(p, &user.name) {
            return Some(Refusal::AccountName);
        }
        if complex && !has_three_classes(p) {
            return Some(Refusal::NotComplex);
        }
    } else if policy.min_length > 0 || complex {
        // A bare hash (level 18/21 sets): the server cannot see the length or the
        // characters, so it cannot prove the rules hold; Windows refuses such sets when
        // the policy has length or complexity rules.
        return Some(Refusal::Unverifiable);
    }
    if policy.history_length > 0 {
        let remembered = usize::from(policy.history_length);
        let current = user.nt_hash.iter();
        let earlier = user.history.iter().take(remembered.saturating_sub(1));
        if current.chain(earlier).any(|h| h == hash) {
            return Some(Refusal::InHistory);
        }
    }
    None
}

/// Checks a new password for `user` against `policy`: STATUS_PASSWORD_RESTRICTION when
/// [`refusal`] finds a rule broken.
pub fn check(
    policy: &PasswordPolicy,
    user: &User,
    password: Option<&str>,
    hash: &[u8; 16],
    source: PasswordSource,
    now: i64,
) -> Result<(), NtStatus> {
    match refusal(policy, user, password, hash, source, now) {
        Some(_) => Err(NtStatus::PASSWORD_RESTRICTION),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            name: "alice".into(),
            ..User::default()
        }
    }

    #[test]
    fn complexity_counts_classes_and_refuses_the_name() {
        assert!(is_complex("Abcdef1!", "bob"));
        assert!(is_complex("abc123!!", "bob"));
        assert!(!is_complex("abcdefgh", "bob"));
        assert!(!is_complex("Xalice1!", "alice"));
        assert!(!is_complex("Passw0rd", "Passw0rd"));
    }

    #[test]
    fn length_history_and_age() {
        let mut policy = PasswordPolicy {
            min_length: 6,
            history_length: 2,
            properties: 0,
            max_age: 0,
            min_age: 100,
        };
        let mut u = user();
        let h = [1u8; 16];
        let r = |p: &PasswordPolicy, u: &User, pw: &str, h: &[u8; 16], s| {
            check(p, u, Some(pw), h, s, 1000)
        };
        assert_eq!(
            r(&policy, &u, "short", &h, PasswordSource::Reset),
            Err(NtStatus::PASSWORD_RESTRICTION)
        );
        assert!(r(&policy, &u, "longer", &h, PasswordSource::Reset).is_ok());
        u.nt_hash = Some([2; 16]);
        u.history = vec![[3; 16], [4; 16]];
        for old in [[2u8; 16], [3; 16]] {
            assert_eq!(
                r(&policy, &u, "longer", &old, PasswordSource::Reset),
                Err(NtStatus::PASSWORD_RESTRICTION)
            );
        }
        assert!(r(&policy, &u, "longer", &[4; 16], PasswordSource::Reset).is_ok());
        u.password_last_set = 950;
        assert_eq!(
            r(&policy, &u, "longer", &h, PasswordSource::Change),
            Err(NtStatus::PASSWORD_RESTRICTION)
        );
        assert!(r(&policy, &u, "longer", &h, PasswordSource::Reset).is_ok());
        policy.properties = DOMAIN_PASSWORD_COMPLEX;
        assert_eq!(
            r(&policy, &u, "simpleone", &h, PasswordSource::Reset),
            Err(NtStatus::PASSWORD_RESTRICTION)
        );
        assert_eq!(
            check(&policy, &u, None, &h, PasswordSource::Reset, 0),
            Err(NtStatus::PASSWORD_RESTRICTION)
        );
    }

    #[test]
    fn the_first_rule_broken_names_the_refusal() {
        let policy = PasswordPolicy {
            min_length: 8,
            history_length: 3,
            properties: DOMAIN_PASSWORD_COMPLEX,
            max_age: 0,
            min_age: 100,
        };
        let mut u = user();
        u.nt_hash = Some([2; 16]);
        u.password_last_set = 950;
        let why = |pw: &str, h: &[u8; 16], s| refusal(&policy, &u, Some(pw), h, s, 1000);
        // Too soon comes before everything, for a change only.
        let cases = [
            (
                "x",
                [2u8; 16],
                PasswordSource::Change,
                Some(Refusal::TooSoon),
            ),
            ("x", [2; 16], PasswordSource::Reset, Some(Refusal::TooShort)),
            (
                "Xalice1!x",
                [9; 16],
                PasswordSource::Reset,
                Some(Refusal::AccountName),
            ),
            (
                "abcdefghij",
                [9; 16],
                PasswordSource::Reset,
                Some(Refusal::NotComplex),
            ),
            (
                "Abcdef1!x",
                [2; 16],
                PasswordSource::Reset,
                Some(Refusal::InHistory),
            ),
        ];
        for (pw, hash, source, expected) in cases {
            assert_eq!(why(pw, &hash, source), expected, "{pw}");
        }
        assert_eq!(why("Abcdef1!x", &[9; 16], PasswordSource::Reset), None);
        let reasons: Vec<u32> = [
            Refusal::TooSoon,
            Refusal::TooShort,
            Refusal::InHistory,
            Refusal::AccountName,
            Refusal::NotComplex,
            Refusal::Unverifiable,
        ]
        .iter()
        .map(|r| r.extended_reason())
        .collect();
        assert_eq!(reasons, [0, 1, 2, 3, 5, 0]);
    }
}
