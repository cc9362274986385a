//! SMB2_CREATE_APP_INSTANCE_ID and SMB2_CREATE_APP_INSTANCE_VERSION (MS-SMB2 2.2.13.2.13,
//! 2.2.13.2.15, 3.3.5.9.13): failover of a clustered application.
//!
//! An application that runs on one cluster node at a time (a Hyper-V VM, a SQL Server
//! instance) tags its opens with an AppInstanceId, a GUID of the application instance.
//! When the application moves to another node, that node's client opens the same file with
//! the same AppInstanceId; the server then closes the open the old node left behind (it may
//! hold a durable handle, an exclusive share mode or a batch oplock the old node will never
//! give back) before the new open goes on, instead of making the new node wait for a
//! break or a durable timeout.
//!
//! # What this module keeps
//! [`AppInstances`]: for each AppInstanceId the live opens made with it, each with its
//! share, its share-relative name (both lower case: the names are case-insensitive), the
//! ClientGuid of the connection that made it, the tree it is on and its
//! AppInstanceVersion. It holds weak references: an entry dies with its open, and dead
//! entries are pruned when the table grows (so it holds no more than the live opens that
//! carry an id). The table is the server's, held by the durable table (the other global
//! index of opens, `crate::durable`).
//!
//! # A create carrying an AppInstanceId (3.x; not on IPC$; a DH2C reconnect ignores it)
//! The opens with the same id, on the same share, of the same name, made by a connection
//! with another ClientGuid, are closed first, as a server-initiated close (MS-SMB2
//! 3.3.4.17): taken off their tree (the old client's later requests on them answer
//! STATUS_FILE_CLOSED) or out of the durable table if they wait for their client, and their
//! handle closed, so no oplock or lease break is sent for them. On 3.1.1, when both the old
//! open and the request carry an AppInstanceVersion and the old one is not lower, the
//! create fails with STATUS_FILE_FORCED_CLOSED and nothing is closed. The new open is then
//! recorded under its id.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use lwio_core::NtStatus;
use lwio_smb2::create_context::{APP_INSTANCE_VERSION, decode_app_instance_version};
use lwio_smb2::{CreateContext, RequestContext};
use parking_lot::Mutex;

use crate::state::{FileRequest, Open, Tree};

/// What a create asks: its AppInstanceId and, from an SMB2_CREATE_APP_INSTANCE_VERSION
/// context, its version (high, low).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AppInstanceAsk {
    id: [u8; 16],
    version: Option<(u64, u64)>,
}

impl AppInstanceAsk {
    /// The ask of a request's contexts; `None` without an AppInstanceId. A version
    /// context that does not decode is STATUS_INVALID_PARAMETER, as any malformed context.
    pub(super) fn of(
        typed: &[RequestContext],
        raw: &[CreateContext],
    ) -> Result<Option<Self>, NtStatus> {
        let Some(id) = typed.iter().find_map(|c| match c {
            RequestContext::AppInstanceId(id) => Some(*id),
            _ => None,
        }) else {
            return Ok(None);
        };
        let version = match raw.iter().find(|c| c.name == APP_INSTANCE_VERSION) {
            Some(c) => Some(
                decode_app_instance_version(&c.data).map_err(|_| NtStatus::INVALID_PARAMETER)?,
            ),
            None => None,
        };
        Ok(Some(AppInstanceAsk { id, version }))
    }
}

struct Entry {
    open: Weak<Open>,
    tree: Weak<Tree>,
    client_guid: [u8; 16],
    share: String,
    name: String,
    version: Option<(u64, u64)>,
}

/// The server's opens by AppInstanceId (see the module docs).
#[derive(Default)]
pub struct AppInstances {
    by_id: Mutex<HashMap<[u8; 16], Vec<Entry>>>,
}

/// An open a create replaces, with the tree it was on (dead when it waits for its client).
type Replaced = (Arc<Open>, Weak<Tree>);

/// Ids beyond which a record prunes the dead entries of every id.
const PRUNE_AT: usize = 1024;

impl AppInstances {
    /// How many AppInstanceIds have an entry (live or not yet pruned).
    pub fn len(&self) -> usize {
        self.by_id.lock().len()
    }

    /// True when no id has an entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn record(&self, ask: AppInstanceAsk, entry: Entry) {
        let mut by_id = self.by_id.lock();
        if by_id.len() >= PRUNE_AT && by_id.len().is_power_of_two() {
            by_id.retain(|_, v| {
                v.retain(|e| e.open.strong_count() > 0);
                !v.is_empty()
            });
        }
        let list = by_id.entry(ask.id).or_default();
        list.retain(|e| e.open.strong_count() > 0);
        list.push(entry);
    }

    /// Takes out the opens a create with `ask` replaces (3.3.5.9.13), or refuses the
    /// create (STATUS_FILE_FORCED_CLOSED) on a version that is not newer.
    fn take_replaced(
        &self,
        ask: AppInstanceAsk,
        client_guid: [u8; 16],
        share: &str,
        name: &str,
        dialect: u16,
    ) -> Result<Vec<Replaced>, NtStatus> {
        let mut by_id = self.by_id.lock();
        let Some(list) = by_id.get_mut(&ask.id) else {
            return Ok(Vec::new());
        };
        list.retain(|e| e.open.strong_count() > 0);
        let matches =
            |e: &Entry| e.client_guid != client_guid && e.share == share && e.name == name;
        if dialect >= 0x0311 {
            if let Some((high, low)) = ask.version {
                let newer_or_same_held = list.iter().filter(|e| matches(e)).any(|e| {
                    e.version
                        .is_some_and(|(h, l)| h > high || (h == high && l >= low))
                });
                if newer_or_same_held {
                    return Err(NtStatus::FILE_FORCED_CLOSED);
                }
            }
        }
        let mut taken = Vec::new();
        list.retain(|e| {
            if !matches(e) {
                return true;
            }
            if let Some(open) = e.open.upgrade() {
                taken.push((open, e.tree.clone()));
            }
            false
        });
        if list.is_empty() {
            by_id.remove(&ask.id);
        }
        Ok(taken)
    }

    /// A durable open reconnected on `tree`: its entries point there from now on.
    pub(crate) fn moved(&self, open: &Arc<Open>, tree: &Arc<Tree>) {
        let mut by_id = self.by_id.lock();
        for e in by_id.values_mut().flat_map(|v| v.iter_mut()) {
            if std::ptr::eq(e.open.as_ptr(), Arc::as_ptr(open)) {
                e.tree = Arc::downgrade(tree);
            }
        }
    }
}

fn key(s: &str) -> String {
    s.to_lowercase()
}

/// Closes the opens a create with `ask` of `name` replaces (before the create opens the
/// file); STATUS_FILE_FORCED_CLOSED when a newer version holds it.
pub(super) async fn close_replaced(
    req: &FileRequest<'_>,
    ask: AppInstanceAsk,
    name: &str,
) -> Result<(), NtStatus> {
    let table = &req.durable.app_instances;
    let replaced = table.take_replaced(
        ask,
        req.client_guid,
        &key(&req.tree.share.name),
        &key(name),
        req.dialect,
    )?;
    for (open, tree) in replaced {
        let attached = tree
            .upgrade()
            .and_then(|t| t.remove_open(open.file_id).ok());
        let open = match attached {
            Some(open) => Some(open),
            None => req.durable.take_detached(open.file_id.persistent),
        };
        if let Some(open) = open {
            super::close::close_open(open).await;
        }
    }
    Ok(())
}

/// Records `open` (just made by a create with `ask` on the request's tree).
pub(super) fn record(req: &FileRequest<'_>, ask: AppInstanceAsk, open: &Arc<Open>) {
    req.durable.app_instances.record(
        ask,
        Entry {
            open: Arc::downgrade(open),
            tree: Arc::downgrade(req.tree),
            client_guid: req.client_guid,
            share: key(&req.tree.share.name),
            name: key(&open.name),
            version: ask.version,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(version: Option<(u64, u64)>) -> AppInstanceAsk {
        AppInstanceAsk {
            id: [1; 16],
            version,
        }
    }

    #[test]
    fn ask_reads_the_id_and_the_version() {
        let mut v = vec![24, 0, 0, 0, 0, 0, 0, 0];
        v.extend_from_slice(&2u64.to_le_bytes());
        v.extend_from_slice(&3u64.to_le_bytes());
        let raw = vec![CreateContext::new(APP_INSTANCE_VERSION, v)];
        let typed = vec![RequestContext::AppInstanceId([1; 16])];
        assert_eq!(
            AppInstanceAsk::of(&typed, &raw).unwrap(),
            Some(ask(Some((2, 3))))
        );
        assert_eq!(AppInstanceAsk::of(&[], &raw).unwrap(), None);
        let bad = vec![CreateContext::new(APP_INSTANCE_VERSION, vec![24, 0])];
        assert_eq!(
            AppInstanceAsk::of(&typed, &bad),
            Err(NtStatus::INVALID_PARAMETER)
        );
    }

    #[test]
    fn dead_entries_are_pruned_and_nothing_matches_them() {
        let t = AppInstances::default();
        t.record(
            ask(None),
            Entry {
                open: Weak::new(),
                tree: Weak::new(),
                client_guid: [2; 16],
                share: "s".into(),
                name: "f".into(),
                version: Some((9, 9)),
            },
        );
        assert_eq!(t.len(), 1);
        // A dead open neither refuses a lower version nor is returned.
        let taken = t
            .take_replaced(ask(Some((1, 1))), [3; 16], "s", "f", 0x0311)
            .unwrap();
        assert!(taken.is_empty());
        assert!(t.is_empty());
    }
}
