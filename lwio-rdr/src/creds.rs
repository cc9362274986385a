//! Who the redirector logs on as.
//!
//! [`Credentials`] is a plain value: a user, a password, a domain. The tool reads one from
//! a file in smbclient's authentication-file format ([`Credentials::parse_auth_file`]) or
//! from the environment ([`Credentials::from_env`]); never from a command line, where
//! other users of the machine could read it.

use std::fmt;

/// A user name, password and domain for NTLMv2.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
    /// The user's domain (empty: the server's own accounts).
    pub domain: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// Why credentials could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A line is neither a comment, blank, nor `key = value`.
    #[error("line {0}: expected `key = value`")]
    Syntax(usize),
    /// A key other than username, password and domain.
    #[error("line {0}: unknown key `{1}`")]
    UnknownKey(usize, String),
    /// No user name.
    #[error("no username given")]
    NoUser,
}

impl Credentials {
    /// Credentials from their parts.
    pub fn new(user: &str, password: &str, domain: &str) -> Self {
        Credentials {
            user: user.into(),
            password: password.into(),
            domain: domain.into(),
        }
    }

    /// Parses smbclient's authentication-file format: `username = NAME`,
    /// `password = SECRET`, `domain = DOMAIN`, one a line; blank lines and lines starting
    /// with `#` or `;` are skipped. A user written `DOMAIN\user` sets the domain too.
    pub fn parse_auth_file(text: &str) -> Result<Self, CredentialsError> {
        let mut c = Credentials::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(CredentialsError::Syntax(i + 1));
            };
            let value = value.trim().to_string();
            match key.trim().to_ascii_lowercase().as_str() {
                "username" => c.user = value,
                "password" => c.password = value,
                "domain" => c.domain = value,
                other => return Err(CredentialsError::UnknownKey(i + 1, other.into())),
            }
        }
        c.split_domain();
        if c.user.is_empty() {
            return Err(CredentialsError::NoUser);
        }
        Ok(c)
    }

    /// `LWIO_USER`, `LWIO_PASSWORD` and `LWIO_DOMAIN`, when `LWIO_USER` is set.
    pub fn from_env() -> Option<Self> {
        let user = std::env::var("LWIO_USER").ok()?;
        let mut c = Credentials {
            user,
            password: std::env::var("LWIO_PASSWORD").unwrap_or_default(),
            domain: std::env::var("LWIO_DOMAIN").unwrap_or_default(),
        };
        c.split_domain();
        Some(c)
    }

    fn split_domain(&mut self) {
        if let Some((d, u)) = self.user.split_once('\\') {
            if self.domain.is_empty() {
                self.domain = d.to_string();
            }
            self.user = u.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_file() {
        let c = Credentials::parse_auth_file(
            "# comment\nusername = ann\npassword = s3cret = yes\n\ndomain=HOME\n",
        )
        .unwrap();
        assert_eq!(c, Credentials::new("ann", "s3cret = yes", "HOME"));
        let c = Credentials::parse_auth_file("username = DOM\\bob\npassword = x").unwrap();
        assert_eq!(c, Credentials::new("bob", "x", "DOM"));
        assert_eq!(
            Credentials::parse_auth_file("username ann"),
            Err(CredentialsError::Syntax(1))
        );
        assert!(matches!(
            Credentials::parse_auth_file("user = ann"),
            Err(CredentialsError::UnknownKey(1, _))
        ));
        assert_eq!(
            Credentials::parse_auth_file("password = x"),
            Err(CredentialsError::NoUser)
        );
        assert!(!format!("{c:?}").contains('x'), "Debug hides the password");
    }
}
