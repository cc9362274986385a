//! TREE_CONNECT (MS-SMB2 3.3.5.7) and TREE_DISCONNECT (3.3.5.8).
//!
//! A share configured to encrypt (`Share.EncryptData`) answers a session that has
//! encryption keys with SMB2_SHAREFLAG_ENCRYPT_DATA, after which the client encrypts
//! everything on the tree and the server refuses what comes in clear (3.3.5.2.11). A
//! session without keys (a 2.x dialect, a 3.x client that offered no common cipher, a
//! guest or null session) is refused with STATUS_ACCESS_DENIED while
//! `reject_unencrypted_access` holds (3.3.5.7), and served in clear otherwise.
//!
//! A share with access-based directory enumeration answers with
//! SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM (2.2.10); the filtering itself is
//! QUERY_DIRECTORY's (`files/query_directory.rs`).

use std::sync::Arc;

use lwio_core::filter::ShareAclFilter;
use lwio_core::{AccessMask, CreateDisposition, CreateRequest, NtStatus, ShareAccess};
use lwio_smb2::{
    ShareCapabilities, ShareFlags, ShareType, TreeConnectRequest, TreeConnectResponse,
    TreeDisconnectResponse,
};

use crate::conn::chain::{Outcome, Response, Target};
use crate::conn::{Conn, ValidSession};
use crate::signing::Signer;
use crate::state::{Share, ShareKind};

/// The share name of a `\\server\share` path (`None` when malformed).
pub(crate) fn share_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("\\\\")?;
    let (_server, share) = rest.split_once('\\')?;
    if share.is_empty() || share.contains('\\') {
        return None;
    }
    Some(share)
}

/// Connects a tree.
pub(crate) async fn connect(
    conn: &Conn,
    msg: &[u8],
    t: &Target<'_>,
    vs: &Arc<ValidSession>,
    signer: Option<Signer>,
) -> Outcome {
    let Ok(req) = TreeConnectRequest::decode(msg) else {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), signer));
    };
    let Some(name) = share_name(&req.path) else {
        return Outcome::Reply(t.error(conn, NtStatus::BAD_NETWORK_NAME, Vec::new(), signer));
    };
    let Some(share) = conn.srv.find_share(name) else {
        tracing::debug!(share = name, "no such share");
        return Outcome::Reply(t.error(conn, NtStatus::BAD_NETWORK_NAME, Vec::new(), signer));
    };
    // A share at its connection limit takes no more (3.3.5.7).
    if share.max_uses != u32::MAX && conn.srv.status.current_uses(&share.name) >= share.max_uses {
        tracing::debug!(share = name, "share at its connection limit");
        return Outcome::Reply(t.error(conn, NtStatus::REQUEST_NOT_ACCEPTED, Vec::new(), signer));
    }
    // Share permissions first (3.3.5.7): a share that grants the session nothing refuses
    // the connect; what it grants bounds the maximal access reported.
    let share_grant = match &share.security {
        Some(sd) => {
            let granted = ShareAclFilter::maximal_access(sd, &vs.session.token());
            if granted.is_empty() {
                tracing::debug!(share = name, "share permissions grant nothing");
                return Outcome::Reply(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), signer));
            }
            granted
        }
        None => AccessMask(u32::MAX),
    };
    let (share_type, maximal) = match &share.kind {
        ShareKind::Ipc { .. } => (ShareType::PIPE, AccessMask::FILE_ALL_ACCESS),
        ShareKind::Disk { .. } => (ShareType::DISK, maximal_access(conn, &share, vs).await),
    };
    let maximal = AccessMask(maximal.0 & share_grant.0);
    let mut share_flags = ShareFlags::MANUAL_CACHING;
    if share.encrypts_data() {
        if vs.sealer.is_some() {
            share_flags |= ShareFlags::ENCRYPT_DATA;
        } else if conn.srv.config.reject_unencrypted_access {
            tracing::debug!(
                share = name,
                "the share requires encryption the client lacks"
            );
            return Outcome::Reply(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), signer));
        }
    }
    if share.enumerates_by_access() {
        share_flags |= ShareFlags::ACCESS_BASED_DIRECTORY_ENUM;
    }
    let tree = vs.session.add_tree(Arc::clone(&share), maximal);
    let t = Target {
        req: t.req,
        session_id: t.session_id,
        tree_id: tree.id,
        async_id: None,
    };
    let body = TreeConnectResponse {
        share_type,
        share_flags,
        capabilities: ShareCapabilities::empty(),
        maximal_access: maximal,
    };
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| body.encode(o));
    Outcome::Reply(Response { bytes, signer })
}

/// What the session may do on the share's root, by opening it for MAXIMUM_ALLOWED.
async fn maximal_access(conn: &Conn, share: &Share, vs: &ValidSession) -> AccessMask {
    let req = CreateRequest::new(
        vs.session.token(),
        AccessMask::MAXIMUM_ALLOWED,
        CreateDisposition::OPEN,
    )
    .share(ShareAccess::ALL);
    match conn.srv.io.create_file(&share.device_path(""), req).await {
        Ok(h) => h.file().granted_access(),
        Err(status) => {
            tracing::debug!(%status, share = %share.name, "maximal access probe failed");
            AccessMask(0x0012_00A9)
        }
    }
}

/// Disconnects the request's tree, closing its opens.
pub(crate) fn disconnect(
    conn: &Conn,
    _msg: &[u8],
    t: &Target<'_>,
    vs: &Arc<ValidSession>,
    signer: Option<Signer>,
) -> Outcome {
    match vs.session.remove_tree(t.tree_id) {
        Ok(tree) => {
            tree.close_all();
            let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| {
                TreeDisconnectResponse.encode(o)
            });
            Outcome::Reply(Response { bytes, signer })
        }
        Err(s) => Outcome::Reply(t.error(conn, s, Vec::new(), signer)),
    }
}

#[cfg(test)]
mod tests {
    use super::share_name;

    #[test]
    fn parses_unc_paths() {
        assert_eq!(share_name("\\\\127.0.0.1\\Data"), Some("Data"));
        assert_eq!(share_name("\\\\srv\\IPC$"), Some("IPC$"));
        assert_eq!(share_name("\\\\srv"), None);
        assert_eq!(share_name("\\\\srv\\"), None);
        assert_eq!(share_name("srv\\x"), None);
        assert_eq!(share_name("\\\\srv\\a\\b"), None);
    }
}
