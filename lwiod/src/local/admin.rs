//! Administration over the local socket: what `lwio admin` asks a running lwiod.
//!
//! Only an administrator's connection gets here (a token in BUILTIN\Administrators or
//! LocalSystem: uid 0 and the configured admin group; others get STATUS_ACCESS_DENIED
//! from the connection before any of this runs). Each request is answered by a
//! completion:
//!
//! - `Status`: the server's [`lwio_srv::admin::Snapshot`] (the one srvsvc's
//!   NetrSessionEnum and NetrFileEnum read), as an [`AdminStatus`] in the output; on a
//!   version-3 connection with each open's byte-range locks
//!   ([`ServerStatus::snapshot_with_locks`]) and the files local clients hold through the
//!   socket, with theirs (asked of the file system the same way). One larger than a
//!   completion may carry (8 MiB) is STATUS_BUFFER_TOO_SMALL, with the size it needs in
//!   `information`.
//! - `CloseSession`, `CloseFile`: [`ServerStatus::close_session`] and
//!   [`ServerStatus::close_file`] (STATUS_NOT_FOUND for an unknown id).
//! - `ShareAdd`, `ShareDel`, `ShareSet`: the share changes srvsvc makes (NetrShareAdd,
//!   NetrShareDel, NetrShareSetInfo), through the same [`ShareAdmin`] with the caller's
//!   token; `information` carries the Win32 code srvsvc would answer, and the status is
//!   its NTSTATUS counterpart (below).
//! - `Reload`: re-reads the configuration ([`Admin::set_reload`]) and applies its share
//!   changes without touching connections (see [`Admin::reload`]).
//! - `LogLevel`: replaces the log filter ([`Admin::set_log_control`]).
//!
//! Without a reload source or a log control (an embedder that set none), those answer
//! STATUS_NOT_SUPPORTED.

use std::sync::Arc;

use bytes::Bytes;
use lwio_client::proto::{AdminLock, AdminOpen, AdminRequest, AdminSession, AdminStatus, MAX_DATA};
use lwio_core::security::well_known;
use lwio_core::{AccessToken, NtStatus, SecurityDescriptor};
use lwio_rpc::interfaces::srvsvc::{
    NERR_DUPLICATE_SHARE, NERR_UNKNOWN_DEV_DIR, ShareAdmin, ShareRecord, ShareType, ShareUpdate,
};
use lwio_rpc::interfaces::win32::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER, ERROR_SUCCESS,
    NERR_NET_NAME_NOT_FOUND,
};
use lwio_srv::ServerStatus;
use lwio_srv::admin::{OpenLocks, Snapshot};

use super::connection::Registry;
use parking_lot::Mutex;

use crate::config::ShareConfig;
use crate::shares::LiveShares;

/// Re-reads the configuration: the disk shares it now names.
pub type ReloadSource = Box<dyn Fn() -> Result<Vec<ShareConfig>, String> + Send + Sync>;
/// Replaces the log filter with a directive (`info`, `lwio_srv=debug`).
pub type LogControl = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// What the local socket's admin requests act on.
pub struct Admin {
    status: ServerStatus,
    shares: Arc<LiveShares>,
    /// The disk shares the configuration named at start or at the last reload.
    configured: Mutex<Vec<ShareConfig>>,
    reload: Mutex<Option<Arc<ReloadSource>>>,
    log: Mutex<Option<Arc<LogControl>>>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

/// Whether `token` may use admin requests: BUILTIN\Administrators or LocalSystem.
pub(crate) fn is_administrator(token: &AccessToken) -> bool {
    token.contains_sid(&well_known::BUILTIN_ADMINISTRATORS)
        || token.user == well_known::LOCAL_SYSTEM
}

impl Admin {
    /// Administration of `status` and `shares`; `configured`: the disk shares the
    /// configuration names now (what a reload compares with).
    pub fn new(
        status: ServerStatus,
        shares: Arc<LiveShares>,
        configured: Vec<ShareConfig>,
    ) -> Admin {
        Admin {
            status,
            shares,
            configured: Mutex::new(configured),
            reload: Mutex::new(None),
            log: Mutex::new(None),
        }
    }

    /// Where a reload reads the configuration from.
    pub fn set_reload(&self, source: ReloadSource) {
        *self.reload.lock() = Some(Arc::new(source));
    }

    /// How a log-level request changes the log filter.
    pub fn set_log_control(&self, control: LogControl) {
        *self.log.lock() = Some(Arc::new(control));
    }

    /// Answers `request` for `caller` (an administrator): status, `information`, output.
    /// Share changes and reloads mount file systems and write the shares file: they run
    /// on a blocking thread.
    pub(crate) async fn handle(
        self: &Arc<Self>,
        caller: &Arc<AccessToken>,
        request: AdminRequest,
        version: u16,
        local: &Registry,
    ) -> (NtStatus, u64, Bytes) {
        let done =
            |r: Result<(), NtStatus>| (r.err().unwrap_or(NtStatus::SUCCESS), 0, Bytes::new());
        match request {
            AdminRequest::Status => {
                let status = if version >= 3 {
                    let mut status = status_of(&self.status.snapshot_with_locks().await);
                    status.local = local.local_opens().await;
                    status
                } else {
                    status_of(&self.status.snapshot())
                };
                let bytes = status.encode_for(version);
                // A completion carries at most MAX_DATA bytes of output.
                if bytes.len() > MAX_DATA as usize {
                    return (NtStatus::BUFFER_TOO_SMALL, bytes.len() as u64, Bytes::new());
                }
                (NtStatus::SUCCESS, 0, bytes)
            }
            AdminRequest::CloseSession(id) => done(self.status.close_session(id)),
            AdminRequest::CloseFile(id) => done(self.status.close_file(id)),
            AdminRequest::LogLevel(level) => {
                let control = self.log.lock().clone();
                done(match control {
                    None => Err(NtStatus::NOT_SUPPORTED),
                    Some(c) => c(&level).map_err(|e| {
                        tracing::warn!(level, "log-level: {e}");
                        NtStatus::INVALID_PARAMETER
                    }),
                })
            }
            other => {
                let admin = Arc::clone(self);
                let caller = Arc::clone(caller);
                let blocking = tokio::task::spawn_blocking(move || admin.blocking(&caller, other));
                match blocking.await {
                    Ok((status, win32)) => (status, u64::from(win32), Bytes::new()),
                    Err(_) => (NtStatus::INTERNAL_ERROR, 0, Bytes::new()),
                }
            }
        }
    }

    fn blocking(&self, caller: &AccessToken, request: AdminRequest) -> (NtStatus, u32) {
        let code = match request {
            AdminRequest::ShareAdd {
                name,
                path,
                comment,
            } => {
                if !valid_share_name(&name) {
                    ERROR_INVALID_NAME
                } else if !std::path::Path::new(&path).is_absolute() {
                    ERROR_INVALID_PARAMETER
                } else {
                    let record = ShareRecord::new(&name, ShareType::DISK, &comment, &path);
                    self.shares.add(record, caller)
                }
            }
            AdminRequest::ShareDel { name } => self.shares.delete(&name, caller),
            AdminRequest::ShareSet {
                name,
                comment,
                security,
            } => {
                let security_descriptor = match security.as_deref() {
                    None => None,
                    Some("") => Some(None),
                    Some(sddl) => match sddl.parse::<SecurityDescriptor>() {
                        Ok(sd) => match sd.try_encode() {
                            Ok(bytes) => Some(Some(bytes)),
                            Err(_) => {
                                return (NtStatus::INVALID_SECURITY_DESCR, ERROR_INVALID_PARAMETER);
                            }
                        },
                        Err(_) => {
                            return (NtStatus::INVALID_SECURITY_DESCR, ERROR_INVALID_PARAMETER);
                        }
                    },
                };
                let update = ShareUpdate {
                    remark: comment,
                    security_descriptor,
                    ..ShareUpdate::default()
                };
                self.shares.set_info(&name, &update, caller)
            }
            AdminRequest::Reload => return self.reload(),
            _ => ERROR_INVALID_PARAMETER,
        };
        (win32_status(code), code)
    }

    /// Re-reads the configuration and applies its disk shares: a share it no longer names
    /// is deleted (its trees disconnected), a new one is mounted and served, one whose
    /// path or read-only flag changed is served anew (deleted, then added), one whose
    /// comment, security or encryption changed is changed in place (trees stay
    /// connected). Connections and sessions are not touched; the other settings (limits,
    /// accounts, signing) apply at the next start. Shares added over srvsvc or `lwio
    /// admin shares add` are not the configuration's and are left alone.
    pub fn reload(&self) -> (NtStatus, u32) {
        let source = self.reload.lock().clone();
        let Some(source) = source else {
            return (NtStatus::NOT_SUPPORTED, 0);
        };
        let new = match source() {
            Ok(shares) => shares,
            Err(e) => {
                tracing::warn!("reload: {e}");
                return (NtStatus::INVALID_PARAMETER, ERROR_INVALID_PARAMETER);
            }
        };
        let mut configured = self.configured.lock();
        let system = AccessToken::system();
        let find = |list: &[ShareConfig], name: &str| {
            list.iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
                .cloned()
        };
        let remount =
            |a: &ShareConfig, b: &ShareConfig| a.path != b.path || a.read_only != b.read_only;
        for old in configured.iter() {
            if find(&new, &old.name).is_none_or(|n| remount(old, &n)) {
                let code = self.shares.delete(&old.name, &system);
                tracing::info!(share = %old.name, code, "reload: share removed");
            }
        }
        // What is served afterwards: a share that failed keeps its previous state (none,
        // or the old settings), so the next reload tries again.
        let mut applied = Vec::new();
        let mut failed = None;
        for share in new {
            let old = find(&configured, &share.name);
            let result = match &old {
                Some(o) if !remount(o, &share) && *o == share => Ok(()),
                Some(o) if !remount(o, &share) => self.change(&share, &system),
                _ => self.shares.add_configured(&share).map_err(|e| {
                    tracing::warn!(share = %share.name, "reload: {e}");
                    match e {
                        crate::Error::Mount { status, .. } => status,
                        _ => NtStatus::UNSUCCESSFUL,
                    }
                }),
            };
            match result {
                Ok(()) => applied.push(share),
                Err(status) => {
                    failed = Some(status);
                    applied.extend(old.filter(|o| !remount(o, &share)));
                }
            }
        }
        *configured = applied;
        match failed {
            Some(status) => (status, ERROR_INVALID_PARAMETER),
            None => (NtStatus::SUCCESS, ERROR_SUCCESS),
        }
    }

    /// Applies a configured share's new comment, security and encryption in place.
    fn change(&self, share: &ShareConfig, system: &AccessToken) -> Result<(), NtStatus> {
        let security_descriptor = match &share.security {
            None => None,
            Some(sddl) => Some(
                sddl.parse::<SecurityDescriptor>()
                    .ok()
                    .and_then(|sd| sd.try_encode().ok())
                    .ok_or(NtStatus::INVALID_SECURITY_DESCR)?,
            ),
        };
        let flags = self.status.share(&share.name).map(|s| {
            let encrypt = lwio_srv::state::SHI1005_FLAGS_ENCRYPT_DATA;
            if share.encrypt_data {
                s.flags | encrypt
            } else {
                s.flags & !encrypt
            }
        });
        let update = ShareUpdate {
            remark: Some(share.comment.clone()),
            security_descriptor: Some(security_descriptor),
            flags,
            ..ShareUpdate::default()
        };
        let code = self.shares.set_info(&share.name, &update, system);
        tracing::info!(share = %share.name, code, "reload: share changed");
        match code {
            ERROR_SUCCESS => Ok(()),
            code => Err(win32_status(code)),
        }
    }
}

/// A share name srvsvc would take: 1 to 80 characters, none of `"\/[]:|<>+=;,*?`.
fn valid_share_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 80
        && !name
            .chars()
            .any(|c| c.is_control() || "\"\\/[]:|<>+=;,*?".contains(c))
}

/// The NTSTATUS of a share change's Win32 code.
fn win32_status(code: u32) -> NtStatus {
    match code {
        ERROR_SUCCESS => NtStatus::SUCCESS,
        ERROR_ACCESS_DENIED => NtStatus::ACCESS_DENIED,
        NERR_DUPLICATE_SHARE => NtStatus::OBJECT_NAME_COLLISION,
        NERR_NET_NAME_NOT_FOUND => NtStatus::BAD_NETWORK_NAME,
        NERR_UNKNOWN_DEV_DIR => NtStatus::OBJECT_PATH_NOT_FOUND,
        ERROR_INVALID_NAME => NtStatus::OBJECT_NAME_INVALID,
        ERROR_INVALID_PARAMETER => NtStatus::INVALID_PARAMETER,
        _ => NtStatus::UNSUCCESSFUL,
    }
}

fn secs(d: std::time::Duration) -> u64 {
    d.as_secs()
}

/// The wire form of a snapshot.
fn status_of(snapshot: &Snapshot) -> AdminStatus {
    AdminStatus {
        sessions: snapshot
            .sessions
            .iter()
            .map(|s| AdminSession {
                id: s.id,
                user: if s.domain.is_empty() {
                    s.user.clone()
                } else {
                    format!("{}\\{}", s.domain, s.user)
                },
                client: s.client.map(|a| a.to_string()).unwrap_or_default(),
                dialect: s.dialect,
                signing: s.signing,
                encryption: s.encryption,
                guest: s.guest,
                age_secs: secs(s.age),
                idle_secs: secs(s.idle),
                trees: s.trees.iter().map(|t| t.share.clone()).collect(),
            })
            .collect(),
        opens: snapshot
            .opens
            .iter()
            .map(|o| AdminOpen {
                id: o.id,
                session: o.session,
                share: o.share.clone(),
                path: o.path.clone(),
                granted: o.granted.0,
                share_access: o.share_access.bits(),
                oplock: o.oplock,
                directory: o.directory,
                locks: admin_locks(&o.locks),
                locks_omitted: o.locks.omitted,
            })
            .collect(),
        local: Vec::new(),
    }
}

/// An open's locks as the protocol carries them.
pub(crate) fn admin_locks(l: &OpenLocks) -> Vec<AdminLock> {
    l.locks
        .iter()
        .map(|l| AdminLock {
            offset: l.offset,
            length: l.length,
            exclusive: l.exclusive,
            waiting: l.waiting,
        })
        .collect()
}
