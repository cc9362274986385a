//! SMB2 leases (MS-SMB2 3.3.5.9.8 and 3.3.5.9.11 grant, 3.3.4.7 break notification,
//! 3.3.5.22.2 acknowledgment), mapped onto the file system's leases: the server keeps the
//! lease table the protocol needs (client GUID and lease key, epoch, the break in
//! progress), the file system keeps the caching state and decides every break.
//!
//! - **Keys.** A client's lease key is scoped by its client GUID (MS-SMB2 3.3.1.4): each
//!   (client GUID, lease key) gets a file-system oplock key of its own, passed with every
//!   create that names the lease (an [`OplockKeyEcp`]), so opens of one lease never break
//!   each other and opens of another client with the same key do. A key already used for
//!   another file is STATUS_INVALID_PARAMETER (3.3.5.9.8). A lease belongs to its file,
//!   not to a name: a rename through SET_INFO carries every lease of the file to the new
//!   name (as Windows answers smbtorture's smb2.lease.v2_rename).
//! - **Grant.** After the open, FSCTL_REQUEST_OPLOCK asks for the requested state, then for
//!   less (without W, then R alone) until the file system grants one; a lease already held
//!   changes only to a valid state strictly above it (an upgrade), else stays as it is.
//!   Only R, RW, RH and RWH are granted (anything else gets none). The response carries the lease context (v1, or v2 with the epoch, which
//!   goes up by one with each change of state, and the parent key echoed), and
//!   SMB2_LEASE_FLAG_BREAK_IN_PROGRESS while a break waits for its acknowledgment.
//! - **Break.** When the file system completes the lease's IRP with a break, the client gets
//!   a LEASE_BREAK notification on the first connection of the client (its client GUID)
//!   that made a lease create and is still open, whichever connection the lease's own
//!   opens came on (as Windows answers smbtorture's smb2.lease.v2_complex1; MS-SMB2
//!   3.3.4.7 lets the server pick), else on the connection of the lease's latest create
//!   (a durable open's relay after a reconnect), with
//!   SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED when the file system waits for an
//!   acknowledgment (a break that takes W or H away). On a session of several channels
//!   such a break goes again on the next channel when the one it went on fails before it
//!   is answered (`channel/breaks.rs`).
//! - **Acknowledgment.** A LEASE_BREAK acknowledgment for an unknown lease is
//!   STATUS_OBJECT_NAME_NOT_FOUND, with no break in progress STATUS_UNSUCCESSFUL, asking
//!   more than the break offered STATUS_REQUEST_NOT_ACCEPTED (3.3.5.22.2); otherwise it
//!   goes down as FSCTL_REQUEST_OPLOCK with the ACK flag, on one of the lease's opens.
//!   When a conflict came while the break waited, the file system answers the
//!   acknowledgment at once with the next break, which goes out as a LEASE_BREAK that
//!   continues the first (the epoch stays: smb2.lease.v2_breaking3).
//! - **Handles.** When the open whose IRP holds the lease closes and other opens of the
//!   lease remain (STATUS_OPLOCK_HANDLE_CLOSED), the lease is asked for again on one of
//!   them. The table entry goes with the lease's last open.
//!
//! - **Directories.** With [`Settings::directory_leasing`](crate::Settings::directory_leasing)
//!   the server advertises SMB2_GLOBAL_CAP_DIRECTORY_LEASING at 3.x to a client that
//!   announces it (impacket does not, and cannot work with it), and then a directory's
//!   create is granted what the file system allows a directory (R or RH: W is given up,
//!   MS-SMB2 3.3.5.9.11), answered with the lease context (v2 with its epoch). A v2
//!   context's ParentLeaseKey (SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET) goes down as the
//!   file-system key of the client's lease of that key, so changes through the open do
//!   not break the client's own directory lease. Otherwise (before 3.0, setting off, or a
//!   file system that grants a directory nothing, as memfs and the redirector) a
//!   directory's create gets SMB2_OPLOCK_LEVEL_NONE and no lease context.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::oplock::{
    OplockKeyEcp, REQUEST_OPLOCK_INPUT_FLAG_ACK, REQUEST_OPLOCK_INPUT_FLAG_REQUEST,
    REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED, RequestOplockInput, RequestOplockOutput,
};
use lwio_core::{CtlCode, IrpFuture, NtStatus};
use lwio_smb2::create_context::{Lease, LeaseFlags, LeaseV2};
use lwio_smb2::oplock::{LeaseBreakAck, LeaseBreakFlags, LeaseBreakNotification, LeaseState};
use parking_lot::Mutex;

use super::body;
use crate::durable::RelaySink;
use crate::state::{BreakSink, FileRequest, Open, Reply};

const R: u32 = LeaseState::READ.0;
const H: u32 = LeaseState::HANDLE.0;
const W: u32 = LeaseState::WRITE.0;

/// A lease's name in the table: the client GUID and the client's lease key.
type LeaseId = ([u8; 16], [u8; 16]);

/// The connections of one client's lease creates, as break sinks.
type ClientSinks = Vec<Arc<dyn BreakSink>>;

/// The server's leases, by client GUID and lease key (MS-SMB2 3.3.1.4, 3.3.1.13).
#[derive(Default)]
pub struct LeaseTable {
    /// Directory leases are granted (the server advertises
    /// SMB2_GLOBAL_CAP_DIRECTORY_LEASING at 3.x: [`Settings::directory_leasing`](crate::Settings::directory_leasing)).
    directories: bool,
    map: Mutex<HashMap<LeaseId, Arc<SrvLease>>>,
    next: AtomicU64,
    /// By client GUID, the connections its lease creates came on (live ones, in order):
    /// its lease breaks go to the first still open.
    clients: Mutex<HashMap<[u8; 16], ClientSinks>>,
}

impl LeaseTable {
    /// A table that grants directory leases when `directories` is true.
    pub fn new(directories: bool) -> LeaseTable {
        LeaseTable {
            directories,
            ..LeaseTable::default()
        }
    }

    /// Whether a create of a directory at `dialect` may be granted a lease (3.x only,
    /// MS-SMB2 3.3.5.9.11).
    pub fn grants_directory_leases(&self, dialect: u16) -> bool {
        self.directories && dialect >= 0x0300
    }

    /// How many leases the table holds.
    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Notes that a lease create of client `guid` came on the connection of `sink`.
    /// Closed connections are dropped here, so the table holds only live ones.
    fn note_connection(&self, guid: [u8; 16], sink: Arc<dyn BreakSink>) {
        let Some(id) = sink.connection() else {
            return;
        };
        let mut clients = self.clients.lock();
        if !clients.contains_key(&guid) {
            clients.retain(|_, sinks| sinks.iter().any(|s| s.connection().is_some()));
        }
        let sinks = clients.entry(guid).or_default();
        sinks.retain(|s| s.connection().is_some());
        if !sinks.iter().any(|s| s.connection() == Some(id)) {
            sinks.push(sink);
        }
    }

    /// Where the lease breaks of client `guid` go: its first connection still open
    /// (Windows sends every lease break of a client there, whichever connection the
    /// lease's opens came on, as smbtorture's smb2.lease.v2_complex1 wants).
    fn client_sink(&self, guid: [u8; 16]) -> Option<Arc<dyn BreakSink>> {
        let clients = self.clients.lock();
        clients
            .get(&guid)?
            .iter()
            .find(|s| s.connection().is_some())
            .cloned()
    }

    fn forget_if_unused(&self, lease: &SrvLease) {
        let mut map = self.map.lock();
        let id = (lease.client_guid, lease.key);
        let unused = map.get(&id).is_some_and(|l| {
            std::ptr::eq(&**l, lease)
                && l.creating.load(Ordering::Acquire) == 0
                && l.live_opens(None).is_empty()
        });
        if unused {
            map.remove(&id);
        }
    }
}

/// One lease (MS-SMB2 3.3.1.13 Lease).
pub(super) struct SrvLease {
    client_guid: [u8; 16],
    key: [u8; 16],
    fs_key: [u8; 16],
    /// The share and file it is for (case-folded), for the 3.3.5.9.8 check; a rename of
    /// the file carries it to the new name ([`renamed`]).
    file: Mutex<String>,
    /// Creates naming the lease that have not yet reached `grant` or `abandon`.
    creating: AtomicU64,
    st: Mutex<LeaseInner>,
}

#[derive(Default)]
struct LeaseInner {
    state: u32,
    epoch: u16,
    v2: bool,
    breaking_to: Option<u32>,
    /// How many breaks that need an acknowledgment went out: names the one in progress,
    /// for the watcher that sends it again on another channel (`channel/breaks.rs`).
    breaks: u64,
    /// The open whose FSCTL_REQUEST_OPLOCK IRP is the lease in the file system.
    holder: Option<Weak<Open>>,
    opens: Vec<Weak<Open>>,
    sink: Option<Arc<dyn BreakSink>>,
}

impl SrvLease {
    /// Opens of the lease still alive, but `except`.
    fn live_opens(&self, except: Option<&Arc<Open>>) -> Vec<Arc<Open>> {
        let mut st = self.st.lock();
        st.opens.retain(|w| w.strong_count() > 0);
        st.opens
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|o| except.is_none_or(|e| !Arc::ptr_eq(o, e)))
            .collect()
    }
}

/// A create under way that names a lease. While it lives the lease stays in the table;
/// when it is dropped (the create failed, was cancelled, or went away with its
/// connection before it was answered) the lease goes unless opens hold it, so no path
/// through a create leaves a lease behind.
pub(super) struct Creating {
    table: Arc<LeaseTable>,
    lease: Arc<SrvLease>,
}

impl Drop for Creating {
    fn drop(&mut self) {
        self.lease.creating.fetch_sub(1, Ordering::AcqRel);
        self.table.forget_if_unused(&self.lease);
    }
}

/// Looks up, or makes, the lease a create names; the ECP that carries its key down.
pub(super) fn prepare(
    req: &FileRequest<'_>,
    lease: &Lease,
    file: &str,
) -> Result<(Creating, OplockKeyEcp), NtStatus> {
    let file = lease_file_name(&req.tree.share.name, file);
    let table = req.leases;
    let mut map = table.map.lock();
    let id = (req.client_guid, lease.key);
    let entry = match map.get(&id) {
        Some(existing) if *existing.file.lock() != file => {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        Some(existing) => Arc::clone(existing),
        None => {
            let n = table.next.fetch_add(1, Ordering::Relaxed);
            let mut fs_key = [0x5Au8; 16];
            fs_key[..8].copy_from_slice(&n.to_le_bytes());
            let entry = Arc::new(SrvLease {
                client_guid: req.client_guid,
                key: lease.key,
                fs_key,
                file: Mutex::new(file),
                creating: AtomicU64::new(0),
                st: Mutex::new(LeaseInner {
                    epoch: lease.v2.map_or(0, |v| v.epoch),
                    v2: lease.v2.is_some(),
                    ..LeaseInner::default()
                }),
            });
            // A lease whose opens all closed without the file system's release reaching
            // it (one granted no caching) goes here, so the table holds no more leases
            // than there are opens and creates under way.
            map.retain(|_, l| {
                l.creating.load(Ordering::Acquire) > 0 || !l.live_opens(None).is_empty()
            });
            map.insert(id, Arc::clone(&entry));
            entry
        }
    };
    entry.creating.fetch_add(1, Ordering::AcqRel);
    // The parent's lease key, as the file system knows it: the key of this client's
    // lease of that name (MS-FSA Open.ParentOplockKey). A key no lease has exempts
    // nothing, so it goes down as none.
    let parent = lease
        .v2
        .filter(|_| lease.flags.contains(LeaseFlags::PARENT_LEASE_KEY_SET))
        .and_then(|v| map.get(&(req.client_guid, v.parent_key)))
        .map(|l| l.fs_key);
    drop(map);
    let ecp = OplockKeyEcp {
        key: entry.fs_key,
        parent,
    };
    let creating = Creating {
        table: Arc::clone(table),
        lease: entry,
    };
    Ok((creating, ecp))
}

/// A lease's name for `file` (share-relative, `\` separated, leading `\` or not) on the
/// share `share`.
fn lease_file_name(share: &str, file: &str) -> String {
    let file = file.trim_start_matches(['\\', '/']).replace('/', "\\");
    format!("{share}\\{file}").to_lowercase()
}

/// After the file `old` of the request's share was renamed to `new` (both share-relative):
/// every lease on it follows the file, whoever renamed it (a lease belongs to a file, not
/// to a name: MS-SMB2 3.3.5.9.8 refuses a key only on another *file*, as Windows answers
/// smbtorture's smb2.lease.v2_rename).
pub(super) fn renamed(req: &FileRequest<'_>, old: &str, new: &str) {
    let share = &req.tree.share.name;
    let (old, new) = (lease_file_name(share, old), lease_file_name(share, new));
    for lease in req.leases.map.lock().values() {
        let mut file = lease.file.lock();
        if *file == old {
            file.clone_from(&new);
        }
    }
}

fn request_oplock(open: &Open, level: u32, flags: u32) -> IrpFuture {
    open.handle.call(IrpRequest::FsControl(ControlRequest {
        code: CtlCode::FSCTL_REQUEST_OPLOCK.0,
        input: Bytes::from(RequestOplockInput { level, flags }.encode()),
        max_output: RequestOplockOutput::SIZE as u32,
    }))
}

/// The levels to ask for, best first, for a lease holding `current` and asking `asked`.
/// A new lease gets what of the asked state can be shared (W, then H given up); a lease
/// already held changes only to a valid state strictly above it, or not at all (as
/// Windows answers smbtorture's smb2.lease.upgrade2 and upgrade3).
fn candidates(current: u32, asked: u32) -> Vec<u32> {
    let valid = |c: u32| c & R != 0 && c & !(R | W | H) == 0;
    if current != 0 {
        let upgrade = valid(asked) && asked & current == current && asked != current;
        return if upgrade { vec![asked] } else { Vec::new() };
    }
    let mut out = Vec::new();
    for c in [asked, asked & !W, asked & !W & !H] {
        if valid(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Grants what it can of the lease a CREATE asked for on the new `open` (a file of a disk
/// share); the lease response context (MS-SMB2 3.3.5.9.8,
/// 3.3.5.9.11).
pub(super) async fn grant(
    req: &FileRequest<'_>,
    creating: Creating,
    open: &Arc<Open>,
    asked: &Lease,
) -> Lease {
    let lease = &Arc::clone(&creating.lease);
    {
        let mut st = lease.st.lock();
        st.opens.push(Arc::downgrade(open));
        st.sink = Some(RelaySink::of(open, req.async_control.break_sink()));
    }
    req.leases
        .note_connection(req.client_guid, req.async_control.break_sink());
    // The open holds the lease in the table from here on.
    drop(creating);
    let (current, breaking, holder_alive) = {
        let st = lease.st.lock();
        let alive = st.holder.as_ref().is_some_and(|h| h.strong_count() > 0);
        (st.state, st.breaking_to.is_some(), alive)
    };
    if !breaking {
        let mut levels = candidates(current, asked.state.0);
        if current != 0 && !holder_alive {
            // The open that held it closed: this one takes the lease up again.
            levels.push(current);
        }
        for level in levels {
            let irp = request_oplock(open, level, REQUEST_OPLOCK_INPUT_FLAG_REQUEST);
            if irp.is_pending() {
                {
                    let mut st = lease.st.lock();
                    if st.state != level {
                        st.state = level;
                        st.epoch = st.epoch.wrapping_add(1);
                    }
                    st.holder = Some(Arc::downgrade(open));
                }
                watch(req.leases, lease, open, irp);
                break;
            }
            let status = irp.await.status;
            if status != NtStatus::OPLOCK_NOT_GRANTED && status != NtStatus::INVALID_PARAMETER {
                break;
            }
        }
    }
    let st = lease.st.lock();
    let mut flags = LeaseFlags::empty();
    if st.breaking_to.is_some() {
        flags |= LeaseFlags::BREAK_IN_PROGRESS;
    }
    // The response has the lease's version, whatever the request's (smb2.lease.v2_epoch2).
    let v2 = st.v2.then(|| {
        let parent_key = match asked.v2 {
            Some(v) if asked.flags.contains(LeaseFlags::PARENT_LEASE_KEY_SET) => {
                flags |= LeaseFlags::PARENT_LEASE_KEY_SET;
                v.parent_key
            }
            _ => [0; 16],
        };
        LeaseV2 {
            parent_key,
            epoch: st.epoch,
        }
    });
    Lease {
        key: asked.key,
        state: LeaseState(st.state),
        flags,
        duration: 0,
        v2,
    }
}

/// Follows the lease IRP `irp` (sent on `open`) to its completion: a break becomes a
/// LEASE_BREAK notification (MS-SMB2 3.3.4.7).
fn watch(table: &Arc<LeaseTable>, lease: &Arc<SrvLease>, open: &Arc<Open>, irp: IrpFuture) {
    let table = Arc::downgrade(table);
    let lease = Arc::clone(lease);
    let open = Arc::downgrade(open);
    irp.on_complete(move |result| {
        let me = open.upgrade();
        match result.status {
            NtStatus::OPLOCK_SWITCHED_TO_NEW_HANDLE => {}
            NtStatus::SUCCESS => {
                let Some(out) = RequestOplockOutput::decode(&result.output) else {
                    return;
                };
                let others = lease.live_opens(me.as_ref());
                if out.new == 0 && out.flags == 0 && others.is_empty() && me.is_none() {
                    // Released with the lease's last open.
                    if let Some(table) = table.upgrade() {
                        table.forget_if_unused(&lease);
                    }
                    return;
                }
                let table = table.upgrade();
                notify_break(table.as_deref(), &lease, out, true);
            }
            NtStatus::OPLOCK_HANDLE_CLOSED => {
                // Its handle closed: another open of the lease takes the lease up.
                let level = {
                    let mut st = lease.st.lock();
                    st.holder = None;
                    st.state
                };
                if level == 0 {
                    return;
                }
                if let Some(next) = lease.live_opens(me.as_ref()).into_iter().next() {
                    let irp = request_oplock(&next, level, REQUEST_OPLOCK_INPUT_FLAG_REQUEST);
                    if irp.is_pending() {
                        lease.st.lock().holder = Some(Arc::downgrade(&next));
                        if let Some(table) = table.upgrade() {
                            watch(&table, &lease, &next, irp);
                        }
                    }
                }
            }
            _ => {
                {
                    let mut st = lease.st.lock();
                    st.holder = None;
                    st.state = 0;
                    st.breaking_to = None;
                }
                if let Some(table) = table.upgrade() {
                    table.forget_if_unused(&lease);
                }
            }
        }
    });
}

/// Sends the LEASE_BREAK notification of a break the file system indicated (`out`);
/// `new_epoch`: the break is a new one, which raises a v2 lease's epoch (a break that
/// answers an acknowledgment continues the one acknowledged and keeps it).
/// The notification goes to the client's first open connection ([`LeaseTable::client_sink`]),
/// else where the lease's latest create came from.
fn notify_break(
    table: Option<&LeaseTable>,
    lease: &Arc<SrvLease>,
    out: RequestOplockOutput,
    new_epoch: bool,
) {
    let ack = out.flags & REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED != 0;
    let (note, sink, this) = {
        let mut st = lease.st.lock();
        let current = st.state;
        st.holder = None;
        if ack {
            st.breaking_to = Some(out.new);
            st.breaks += 1;
        } else {
            st.state = out.new;
        }
        if new_epoch {
            st.epoch = st.epoch.wrapping_add(1);
        }
        let note = LeaseBreakNotification {
            new_epoch: if st.v2 { st.epoch } else { 0 },
            flags: if ack {
                LeaseBreakFlags::ACK_REQUIRED
            } else {
                LeaseBreakFlags::empty()
            },
            lease_key: lease.key,
            current_lease_state: LeaseState(current),
            new_lease_state: LeaseState(out.new),
            break_reason: 0,
            access_mask_hint: 0,
            share_mask_hint: 0,
        };
        (note, st.sink.clone(), st.breaks)
    };
    let sink = table
        .and_then(|t| t.client_sink(lease.client_guid))
        .or(sink);
    let Some(sink) = sink else {
        return;
    };
    if ack {
        // Still unanswered while this break is the lease's break in progress.
        let weak = Arc::downgrade(lease);
        let unanswered = Box::new(move || {
            weak.upgrade().is_some_and(|l| {
                let st = l.st.lock();
                st.breaking_to.is_some() && st.breaks == this
            })
        });
        sink.send_lease_break_awaiting(note, unanswered);
    } else {
        sink.send_lease_break(note);
    }
}

impl LeaseTable {
    /// The caching state of the lease `key` of client `client_guid` once the break in
    /// progress, if any, is done (0: none, or no such lease).
    pub(crate) fn settled_state(&self, client_guid: [u8; 16], key: [u8; 16]) -> u32 {
        self.map.lock().get(&(client_guid, key)).map_or(0, |l| {
            let st = l.st.lock();
            st.breaking_to.unwrap_or(st.state)
        })
    }
}

/// The lease of a durable `open` that a reconnect (or a replayed create) names with
/// `asked`: its breaks now go to this request's connection; the lease context to answer
/// with (its current state, no change). `None` when the caller has no such lease.
pub(super) fn reconnected(req: &FileRequest<'_>, open: &Arc<Open>, asked: &Lease) -> Option<Lease> {
    let lease = req
        .leases
        .map
        .lock()
        .get(&(req.client_guid, asked.key))
        .cloned()?;
    let mut st = lease.st.lock();
    if !st
        .opens
        .iter()
        .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(open)))
    {
        return None;
    }
    st.sink = Some(RelaySink::of(open, req.async_control.break_sink()));
    drop(st);
    req.leases
        .note_connection(req.client_guid, req.async_control.break_sink());
    let st = lease.st.lock();
    let mut flags = LeaseFlags::empty();
    if st.breaking_to.is_some() {
        flags |= LeaseFlags::BREAK_IN_PROGRESS;
    }
    let v2 = st.v2.then_some(LeaseV2 {
        parent_key: [0; 16],
        epoch: st.epoch,
    });
    Some(Lease {
        key: asked.key,
        state: LeaseState(st.state),
        flags,
        duration: 0,
        v2,
    })
}

/// MS-SMB2 3.3.5.22.2: a lease break acknowledgment.
pub(super) async fn acknowledge(req: &FileRequest<'_>, ack: LeaseBreakAck) -> Reply {
    let Some(lease) = req
        .leases
        .map
        .lock()
        .get(&(req.client_guid, ack.lease_key))
        .cloned()
    else {
        return Reply::error(NtStatus::OBJECT_NAME_NOT_FOUND);
    };
    let to = {
        let st = lease.st.lock();
        match st.breaking_to {
            None => return Reply::error(NtStatus::UNSUCCESSFUL),
            Some(to) if ack.lease_state.0 & !to != 0 => {
                return Reply::error(NtStatus::REQUEST_NOT_ACCEPTED);
            }
            Some(to) => to,
        }
    };
    let level = ack.lease_state.0 & to;
    if let Some(open) = lease.live_opens(None).into_iter().next() {
        // 3.3.5.22.2: the lease is at the acknowledged state from here on.
        {
            let mut st = lease.st.lock();
            st.state = level;
            st.breaking_to = None;
            st.holder = (level != 0).then(|| Arc::downgrade(&open));
        }
        let irp = request_oplock(&open, level, REQUEST_OPLOCK_INPUT_FLAG_ACK);
        if irp.is_pending() {
            watch(req.leases, &lease, &open, irp);
        } else {
            let result = irp.await;
            match result.status {
                NtStatus::INVALID_OPLOCK_PROTOCOL => {
                    // The break timed out in the file system: the lease is gone and no
                    // break is in progress any more (3.3.5.22.2, as smbtorture's
                    // smb2.lease.timeout wants).
                    let mut st = lease.st.lock();
                    st.state = 0;
                    st.breaking_to = None;
                    return Reply::error(NtStatus::UNSUCCESSFUL);
                }
                NtStatus::SUCCESS if level != 0 => {
                    // A conflict came while the break waited: the file system answers
                    // the acknowledgment with the next break, which continues this one
                    // (the epoch stays, as Windows answers smb2.lease.v2_breaking3).
                    match RequestOplockOutput::decode(&result.output) {
                        Some(out) => notify_break(Some(req.leases), &lease, out, false),
                        None => lease.st.lock().state = 0,
                    }
                }
                NtStatus::SUCCESS => {}
                _ => {
                    let mut st = lease.st.lock();
                    st.state = 0;
                    st.holder = None;
                }
            }
        }
    } else {
        // No open left to hold it: the break ends with the lease gone.
        let mut st = lease.st.lock();
        st.state = 0;
        st.breaking_to = None;
    }
    let response = LeaseBreakAck {
        flags: 0,
        lease_key: ack.lease_key,
        lease_state: LeaseState(level),
        lease_duration: 0,
    };
    body(NtStatus::SUCCESS, |out| response.encode(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_go_from_the_asked_state_down_and_never_below_the_held_one() {
        assert_eq!(candidates(0, R | W | H), vec![R | W | H, R | H, R]);
        assert_eq!(candidates(0, R | W), vec![R | W, R]);
        assert_eq!(candidates(0, H), Vec::<u32>::new());
        assert_eq!(candidates(0, W | H), Vec::<u32>::new());
        assert_eq!(candidates(R | H, R), Vec::<u32>::new());
        assert_eq!(candidates(R | H, R | W), Vec::<u32>::new());
        assert_eq!(candidates(R | H, R | W | H), vec![R | W | H]);
    }
}
