//! Remote names: `SERVER[:PORT]/SHARE/path` within the redirector's device, as the I/O
//! manager hands them over (`/rdr/SERVER/SHARE/dir/file` opens `dir\file` on `SHARE`).
//!
//! Either separator is accepted; the name sent to the server is `\`-separated, relative to
//! the share root, without `.` or `..` components (which Windows resolves on the client and
//! a server refuses), and empty for the share root itself. `[v6addr]:port` names an IPv6
//! server.

use lwio_types::NtStatus;

/// The SMB port.
pub const SMB_PORT: u16 = 445;

/// A parsed remote name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath {
    /// The server's host name or address (no brackets).
    pub server: String,
    /// The TCP port.
    pub port: u16,
    /// The share name.
    pub share: String,
    /// The path on the share, `\`-separated, empty for its root.
    pub path: String,
}

impl RemotePath {
    /// Parses `SERVER[:PORT]/SHARE[/path]`. A name without a share, a bad port or a `.`
    /// or `..` component is STATUS_OBJECT_PATH_SYNTAX_BAD / STATUS_OBJECT_NAME_INVALID.
    pub fn parse(name: &str) -> Result<RemotePath, NtStatus> {
        let mut parts = name.split(['/', '\\']).filter(|p| !p.is_empty()).peekable();
        let host = parts.next().ok_or(NtStatus::OBJECT_PATH_SYNTAX_BAD)?;
        let share = parts.next().ok_or(NtStatus::OBJECT_PATH_SYNTAX_BAD)?;
        let (server, port) = split_host(host)?;
        let mut path = String::new();
        for p in parts {
            if p == "." || p == ".." {
                return Err(NtStatus::OBJECT_NAME_INVALID);
            }
            if !path.is_empty() {
                path.push('\\');
            }
            path.push_str(p);
        }
        Ok(RemotePath {
            server,
            port,
            share: share.to_string(),
            path,
        })
    }

    /// `\\server\share`, the TREE_CONNECT path.
    pub fn unc_share(&self) -> String {
        format!("\\\\{}\\{}", self.server, self.share)
    }

    /// True when `other` is on the same server, port and share (case-insensitively).
    pub fn same_share(&self, other: &RemotePath) -> bool {
        self.server.eq_ignore_ascii_case(&other.server)
            && self.port == other.port
            && self.share.eq_ignore_ascii_case(&other.share)
    }
}

fn split_host(host: &str) -> Result<(String, u16), NtStatus> {
    let bad = NtStatus::OBJECT_PATH_SYNTAX_BAD;
    if let Some(rest) = host.strip_prefix('[') {
        let (addr, after) = rest.split_once(']').ok_or(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad)?,
            None if after.is_empty() => SMB_PORT,
            None => return Err(bad),
        };
        return Ok((addr.to_string(), port));
    }
    match host.split_once(':') {
        Some((h, p)) if !h.is_empty() => Ok((h.to_string(), p.parse().map_err(|_| bad)?)),
        Some(_) => Err(bad),
        None => Ok((host.to_string(), SMB_PORT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_servers_ports_shares_and_paths() {
        let p = RemotePath::parse("srv:4450/Share/a/b.txt").unwrap();
        assert_eq!(
            p,
            RemotePath {
                server: "srv".into(),
                port: 4450,
                share: "Share".into(),
                path: "a\\b.txt".into()
            }
        );
        assert_eq!(p.unc_share(), "\\\\srv\\Share");
        let r = RemotePath::parse("\\srv\\IPC$\\srvsvc").unwrap();
        assert_eq!(
            (r.port, r.share.as_str(), r.path.as_str()),
            (445, "IPC$", "srvsvc")
        );
        let v6 = RemotePath::parse("[::1]:99/s").unwrap();
        assert_eq!(
            (v6.server.as_str(), v6.port, v6.path.as_str()),
            ("::1", 99, "")
        );
        assert!(p.same_share(&RemotePath::parse("SRV:4450/share").unwrap()));
        assert!(!p.same_share(&RemotePath::parse("srv/share").unwrap()));
        for bad in ["", "srv", "srv:x/s", ":1/s", "[::1/s", "[::1]x/s"] {
            assert_eq!(
                RemotePath::parse(bad),
                Err(NtStatus::OBJECT_PATH_SYNTAX_BAD),
                "{bad}"
            );
        }
        assert_eq!(
            RemotePath::parse("srv/s/a/../b"),
            Err(NtStatus::OBJECT_NAME_INVALID)
        );
    }
}
