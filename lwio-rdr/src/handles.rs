//! Handle caching under a lease's H (MS-SMB2 3.2.4.3.8 SMB2_LEASE_HANDLE_CACHING,
//! 3.2.5.19.2): a file whose lease holds HANDLE caching is not closed on the server when
//! the caller closes it; its handle is parked for [`RdrConfig::handle_linger`] and an
//! open of the same name with the same access, sharing and options takes it back without
//! a CREATE. The caller's close returns at once, its CLOSE goes out later from a task.
//!
//! - The parked handle is closed (SMB2 CLOSE) when its time is up, when the server breaks
//!   the lease to a state without H (before the break is acknowledged, so the open that
//!   caused the break meets no handle of this client: [`Lease::park`] and the
//!   connection's acknowledgment, [`crate::conn`]), and when the redirector shuts down.
//! - What a close must do at once is never deferred: a file opened delete-on-close, or
//!   given a delete disposition, renamed or linked, one that took byte-range locks, or
//!   sent an FSCTL or IOCTL (their effects may end with the handle), and directories and
//!   pipes (no lease).
//! - A reopen reuses a parked handle only for FILE_OPEN or FILE_OPEN_IF with no security
//!   descriptor, EAs or allocation size, and answers FILE_OPENED; its lease and read
//!   cache come with it. Any other open of the name first closes this client's handles
//!   parked under it, and so do a rename (of the source and the target names) and a
//!   delete disposition: a server need not break a lease for its own client's opens, and
//!   a parked handle must never be what makes this client's own rename or delete fail.
//!
//! Who owns what: the parked file sits in the redirector's table ([`Parked`], owned by the
//! session [`crate::cache::Cache`]); the close itself is held by the lease, so whichever
//! comes first, the timer task, the break's acknowledgment, a reopen or the shutdown,
//! takes it and the others find nothing.
//!
//! [`RdrConfig::handle_linger`]: crate::RdrConfig::handle_linger
//! [`Lease::park`]: crate::lease::Lease::park

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use lwio_types::{AccessMask, CreateOptions, ShareAccess};
use parking_lot::Mutex;

use crate::open::RemoteFile;
use crate::path::RemotePath;

/// The name parked handles are filed under: server, port, share and path, folded to
/// lower case (closing more of them than needed is harmless, reuse needs the same access
/// as well).
pub(crate) fn handle_name(p: &RemotePath) -> String {
    format!("{}:{}/{}/{}", p.server, p.port, p.share, p.path).to_lowercase()
}

/// What else a reopen must ask for to reuse a parked handle: the access, sharing and
/// options of the open that parked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HandleKey {
    pub(crate) access: AccessMask,
    pub(crate) share: ShareAccess,
    pub(crate) options: CreateOptions,
}

#[derive(Debug)]
struct Entry {
    key: HandleKey,
    file: RemoteFile,
    granted: AccessMask,
}

/// The parked handles of a redirector, by name.
#[derive(Debug, Default)]
pub struct Parked {
    entries: Mutex<BTreeMap<String, Vec<Entry>>>,
}

impl Parked {
    /// How many handles are parked now (not closed by a break or their time yet).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .values()
            .flatten()
            .filter(|e| e.file.lease().is_some_and(|l| l.is_parked()))
            .count()
    }

    /// True when no handle is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parks `file` (the caller closed it; it was opened as `key` asks, with `granted`
    /// access) under `name`, for `linger`; a task closes it then unless something took
    /// it first.
    pub(crate) fn park(
        self: &Arc<Self>,
        name: String,
        key: HandleKey,
        file: RemoteFile,
        granted: AccessMask,
        linger: Duration,
    ) -> bool {
        let Some(lease) = file.lease() else {
            return false;
        };
        let closing = file.clone();
        if !lease.park(Box::new(move || {
            Box::pin(async move { closing.close_now().await })
        })) {
            return false;
        }
        self.entries
            .lock()
            .entry(name.clone())
            .or_default()
            .push(Entry {
                key,
                file: file.clone(),
                granted,
            });
        let parked = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(linger).await;
            parked.remove(&name, &file);
            if let Some(close) = lease.unpark() {
                close().await;
            }
        });
        true
    }

    /// A handle parked under `name` for `key` that is still open, taken back (no longer
    /// to be closed), with the access it was granted.
    pub(crate) fn reuse(&self, name: &str, key: &HandleKey) -> Option<(RemoteFile, AccessMask)> {
        let mut entries = self.entries.lock();
        let list = entries.get_mut(name)?;
        let mut found = None;
        list.retain(|e| {
            let live = e.file.lease().is_some_and(|l| l.is_parked());
            if found.is_none() && live && e.key == *key {
                if e.file.lease().is_some_and(|l| l.unpark().is_some()) {
                    found = Some((e.file.clone(), e.granted));
                }
                return false;
            }
            live
        });
        if list.is_empty() {
            entries.remove(name);
        }
        found
    }

    /// Closes the handles parked under `name` and under the names beneath it (before this
    /// client opens, renames or deletes it anew: its own parked handles must not stand in
    /// the way, nor those of the files in a directory it renames).
    pub(crate) async fn close_name(&self, name: &str) {
        let taken: Vec<Entry> = {
            let mut entries = self.entries.lock();
            let below = if name.ends_with('/') {
                name.to_string()
            } else {
                format!("{name}\\")
            };
            let names: Vec<String> = entries
                .range(name.to_string()..)
                .map(|(n, _)| n)
                .take_while(|n| n.starts_with(name))
                .filter(|n| n.as_str() == name || n.starts_with(&below))
                .cloned()
                .collect();
            names
                .iter()
                .filter_map(|n| entries.remove(n))
                .flatten()
                .collect()
        };
        for e in taken {
            if let Some(close) = e.file.lease().and_then(|l| l.unpark()) {
                close().await;
            }
        }
    }

    fn remove(&self, name: &str, file: &RemoteFile) {
        let mut entries = self.entries.lock();
        if let Some(list) = entries.get_mut(name) {
            list.retain(|e| !e.file.same(file));
            if list.is_empty() {
                entries.remove(name);
            }
        }
    }

    /// Closes every parked handle (the redirector shuts down): all the CLOSEs in flight
    /// at once, each from a task of its own, then waits for them.
    pub async fn close_all(&self) {
        let all: Vec<Entry> = std::mem::take(&mut *self.entries.lock())
            .into_values()
            .flatten()
            .collect();
        let closing: Vec<_> = all
            .into_iter()
            .filter_map(|e| e.file.lease().and_then(|l| l.unpark()))
            .map(|close| tokio::spawn(close()))
            .collect();
        for c in closing {
            let _ = c.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folded_and_a_directory_is_the_prefix_of_its_files() {
        let p = RemotePath::parse("Srv:445/Share/Dir/File.TXT").unwrap();
        assert_eq!(handle_name(&p), "srv:445/share/dir\\file.txt");
        let root = RemotePath::parse("srv/share").unwrap();
        assert!(handle_name(&root).ends_with('/'));
    }
}
