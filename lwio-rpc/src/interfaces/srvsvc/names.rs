//! NetprNameValidate (MS-SRVS 3.1.4.32, opnum 33): whether a string is a valid name of a
//! given type, by the rules of the name type table (2.2.2.8): a length range, a set of
//! characters that may not appear, and whether a name may consist of dots and spaces
//! only. Any caller but the refused anonymous logon may ask.

use super::SrvsvcInterface;
use super::win32::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER, ERROR_SUCCESS,
};
use crate::ndr::{self, WStrPtr, WString};
use crate::pdu::FaultStatus;
use crate::server::CallContext;

/// Name types (MS-SRVS 2.2.2.8).
pub mod name_type {
    /// NAMETYPE_USER.
    pub const USER: u32 = 1;
    /// NAMETYPE_PASSWORD.
    pub const PASSWORD: u32 = 2;
    /// NAMETYPE_GROUP.
    pub const GROUP: u32 = 3;
    /// NAMETYPE_COMPUTER.
    pub const COMPUTER: u32 = 4;
    /// NAMETYPE_EVENT.
    pub const EVENT: u32 = 5;
    /// NAMETYPE_DOMAIN.
    pub const DOMAIN: u32 = 6;
    /// NAMETYPE_SERVICE.
    pub const SERVICE: u32 = 7;
    /// NAMETYPE_NET.
    pub const NET: u32 = 8;
    /// NAMETYPE_SHARE.
    pub const SHARE: u32 = 9;
    /// NAMETYPE_MESSAGE.
    pub const MESSAGE: u32 = 10;
    /// NAMETYPE_MESSAGEDEST.
    pub const MESSAGEDEST: u32 = 11;
    /// NAMETYPE_SHAREPASSWORD.
    pub const SHAREPASSWORD: u32 = 12;
    /// NAMETYPE_WORKGROUP.
    pub const WORKGROUP: u32 = 13;
}

/// The flag value LAN Manager 2.x clients send (the only non-zero one accepted).
pub const NAME_FLAGS_LM2: u32 = 0x8000_0000;

/// The rule of one name type.
struct Rule {
    min: usize,
    max: usize,
    /// Passwords: anything but the null character (which a counted string cannot carry).
    any_char: bool,
    /// Characters forbidden beyond the default set.
    extra: &'static [char],
}

fn rule(t: u32) -> Option<Rule> {
    use name_type::*;
    let r = |min, max, extra| Rule {
        min,
        max,
        any_char: false,
        extra,
    };
    Some(match t {
        USER | GROUP => r(1, 256, &[]),
        PASSWORD => Rule {
            min: 0,
            max: 256,
            any_char: true,
            extra: &[],
        },
        SHAREPASSWORD => Rule {
            min: 0,
            max: 8,
            any_char: true,
            extra: &[],
        },
        COMPUTER => r(1, 260, &['*']),
        EVENT => r(1, 16, &[]),
        DOMAIN => r(1, 15, &['*', ' ']),
        SERVICE | SHARE => r(1, 80, &[]),
        NET | MESSAGEDEST => r(1, 260, &[]),
        MESSAGE | WORKGROUP => r(1, 15, &[]),
        _ => return None,
    })
}

/// The default invalid characters: `"/\[]:|<>+=;,?` and the controls 0x01-0x1F.
fn default_invalid(c: char) -> bool {
    matches!(
        c,
        '"' | '/' | '\\' | '[' | ']' | ':' | '|' | '<' | '>' | '+' | '=' | ';' | ',' | '?'
    ) || ('\u{1}'..='\u{1f}').contains(&c)
}

/// Whether `name` is a valid name of type `t`: NERR_Success, ERROR_INVALID_NAME, or
/// ERROR_INVALID_PARAMETER for an unknown type.
pub fn validate(name: &str, t: u32) -> u32 {
    let Some(rule) = rule(t) else {
        return ERROR_INVALID_PARAMETER;
    };
    let len = name.encode_utf16().count();
    if len < rule.min || len > rule.max || name.contains('\0') {
        return ERROR_INVALID_NAME;
    }
    if rule.any_char {
        return ERROR_SUCCESS;
    }
    let star_last = t == name_type::MESSAGEDEST;
    let body = if star_last {
        name.strip_suffix('*').unwrap_or(name)
    } else {
        name
    };
    if body
        .chars()
        .any(|c| default_invalid(c) || rule.extra.contains(&c) || (star_last && c == '*'))
    {
        return ERROR_INVALID_NAME;
    }
    // A message destination of the maximum length must end with its `*`.
    if star_last && len == rule.max && !name.ends_with('*') {
        return ERROR_INVALID_NAME;
    }
    if t == name_type::COMPUTER && (name.starts_with(' ') || name.ends_with(' ')) {
        return ERROR_INVALID_NAME;
    }
    if name.chars().all(|c| c == '.' || c == ' ') {
        return ERROR_INVALID_NAME;
    }
    ERROR_SUCCESS
}

/// NetprNameValidate's `[in]` parameters: ServerName, Name, NameType, Flags.
pub type NameValidateRequest = (WStrPtr, WString, u32, u32);

/// NetprNameValidate.
pub(super) fn name_validate(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, name, t, flags): NameValidateRequest = ctx.decode(stub)?;
    let status = if srv.refused(ctx) {
        ERROR_ACCESS_DENIED
    } else if flags != 0 && flags != NAME_FLAGS_LM2 {
        ERROR_INVALID_PARAMETER
    } else {
        validate(&name.0, t)
    };
    Ok(ndr::to_bytes(&status))
}

#[cfg(test)]
mod tests {
    use super::name_type::*;
    use super::*;

    #[test]
    fn lengths_per_type() {
        let a = |n: usize| "A".repeat(n);
        for (t, max) in [
            (USER, 256),
            (SHARE, 80),
            (DOMAIN, 15),
            (EVENT, 16),
            (NET, 260),
        ] {
            assert_eq!(validate(&a(max), t), ERROR_SUCCESS, "type {t}");
            assert_eq!(validate(&a(max + 1), t), ERROR_INVALID_NAME, "type {t}");
            assert_eq!(validate("", t), ERROR_INVALID_NAME, "type {t}");
        }
        assert_eq!(validate("", PASSWORD), ERROR_SUCCESS);
        assert_eq!(validate(&a(9), SHAREPASSWORD), ERROR_INVALID_NAME);
        assert_eq!(validate("x", 14), ERROR_INVALID_PARAMETER);
        assert_eq!(validate("x", 0), ERROR_INVALID_PARAMETER);
    }

    #[test]
    fn characters_per_type() {
        for c in ["a/b", "a\\b", "a:b", "a?b", "a\u{1}b", "a,b", "\"a"] {
            assert_eq!(validate(c, SHARE), ERROR_INVALID_NAME, "{c:?}");
        }
        assert_eq!(validate("a*b", SHARE), ERROR_SUCCESS);
        assert_eq!(validate("a*b", COMPUTER), ERROR_INVALID_NAME);
        assert_eq!(validate("a b", DOMAIN), ERROR_INVALID_NAME);
        assert_eq!(validate("a b", WORKGROUP), ERROR_SUCCESS);
        assert_eq!(validate(" ab", COMPUTER), ERROR_INVALID_NAME);
        assert_eq!(validate("...", SHARE), ERROR_INVALID_NAME);
        assert_eq!(validate(". .", USER), ERROR_INVALID_NAME);
        assert_eq!(validate("a?:/", PASSWORD), ERROR_SUCCESS);
        // A message destination may end with a single `*`, and must at full length.
        assert_eq!(validate("host*", MESSAGEDEST), ERROR_SUCCESS);
        assert_eq!(validate("ho*st", MESSAGEDEST), ERROR_INVALID_NAME);
        assert_eq!(validate(&"A".repeat(260), MESSAGEDEST), ERROR_INVALID_NAME);
        assert_eq!(
            validate(&format!("{}*", "A".repeat(259)), MESSAGEDEST),
            ERROR_SUCCESS
        );
    }
}
