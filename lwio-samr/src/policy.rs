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

/// Whether `password` meets the complexity rule: it holds characters of at least three
/// of the five categories (upper case, lower case, digits, other characters, and
/// letters without case), and does not contain the account name when that is three or
/// more characters long.
pub fn is_complex(password: &str, account: &str) -> bool {
    if account.chars().count() >= 3
        && password
            .to_lowercase()
            .contains(account.to_lowercase().as_str())
    {
        return false;
    }
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

/// Checks a new password for `user` against `policy`; `hash` is its NT hash, `now` the
/// current FILETIME.
pub fn check(
    policy: &PasswordPolicy,
    user: &User,
    password: Option<&str>,
    hash: &[u8; 16],
    source: PasswordSource,
    now: i64,
) -> Result<(), NtStatus> {
    if let Some(p) = password {
        if p.encode_utf16().count() < usize::from(policy.min_length) {
            return Err(NtStatus::PASSWORD_RESTRICTION);
        }
        if policy.properties & DOMAIN_PASSWORD_COMPLEX != 0 && !is_complex(p, &user.name) {
            return Err(NtStatus::PASSWORD_RESTRICTION);
        }
    } else if policy.min_length > 0 || policy.properties & DOMAIN_PASSWORD_COMPLEX != 0 {
        // A bare hash (level 18/21 sets): the server cannot see the length or the
        // characters, so it cannot prove the rules hold; Windows refuses such sets when
        // the policy has length or complexity rules.
        return Err(NtStatus::PASSWORD_RESTRICTION);
    }
    if policy.history_length > 0 {
        let remembered = usize::from(policy.history_length);
        let current = user.nt_hash.iter();
        let earlier = user.history.iter().take(remembered.saturating_sub(1));
        if current.chain(earlier).any(|h| h == hash) {
            return Err(NtStatus::PASSWORD_RESTRICTION);
        }
    }
    if source == PasswordSource::Change
        && policy.min_age > 0
        && user.password_last_set != 0
        && now < user.password_last_set.saturating_add(policy.min_age)
    {
        return Err(NtStatus::PASSWORD_RESTRICTION);
    }
    Ok(())
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
}
