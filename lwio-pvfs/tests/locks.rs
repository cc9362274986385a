//! Byte-range locks through IRPs on real handles (MS-FSA 2.1.5.7, 2.1.5.8, 2.1.4.10).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::irp::{LockRequest, UnlockRequest};
use lwio_core::{FileHandle, NtStatus, block_on};

fn two(s: &Share) -> (FileHandle, FileHandle) {
    s.file_with("f", &[0u8; 100]);
    (s.all("f"), s.all("f"))
}

fn lk(offset: u64, length: u64, key: u32, exclusive: bool) -> LockRequest {
    LockRequest {
        offset,
        length,
        key,
        exclusive,
        fail_immediately: true,
    }
}

fn waiting(offset: u64, length: u64, exclusive: bool) -> LockRequest {
    LockRequest {
        fail_immediately: false,
        ..lk(offset, length, 0, exclusive)
    }
}

fn ul(offset: u64, length: u64, key: u32) -> UnlockRequest {
    UnlockRequest {
        offset,
        length,
        key,
    }
}

fn lock(h: &FileHandle, r: LockRequest) -> Result<(), NtStatus> {
    block_on(h.lock(r))
}

/// Held lock × second lock: shared/exclusive, overlapping or not, same or other handle,
/// same or other key (MS-FSA 2.1.4.10).
#[test]
fn lock_matrix() {
    let g = Err(NtStatus::LOCK_NOT_GRANTED);
    // (first exclusive, second exclusive, same handle, same key, overlap) -> result
    let cases = [
        (false, false, false, true, true, Ok(())),
        (false, true, false, true, true, g),
        (true, false, false, true, true, g),
        (true, true, false, true, true, g),
        (false, false, true, true, true, Ok(())),
        (false, true, true, true, true, g),
        (true, false, true, true, true, Ok(())),
        (true, false, true, false, true, g),
        (true, true, true, true, true, g),
        (true, true, false, true, false, Ok(())),
        (true, true, true, true, false, Ok(())),
    ];
    for (i, (ex1, ex2, same, same_key, overlap, want)) in cases.into_iter().enumerate() {
        let s = Share::new();
        let (a, b) = two(&s);
        lock(&a, lk(10, 10, 1, ex1)).unwrap();
        let second = if same { &a } else { &b };
        let off = if overlap { 15 } else { 20 };
        let key = if same_key { 1 } else { 2 };
        assert_eq!(lock(second, lk(off, 10, key, ex2)), want, "case {i}");
        s.assert_no_pending();
    }
}

#[test]
fn exclusive_lock_blocks_other_handles_reads_and_writes() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    assert_eq!(block_on(b.read(5, 2)), Err(NtStatus::FILE_LOCK_CONFLICT));
    assert_eq!(
        block_on(b.write(5, &b"x"[..])),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    assert!(block_on(a.read(5, 2)).is_ok());
    assert!(block_on(a.write(5, &b"x"[..])).is_ok());
    assert!(block_on(b.read(10, 2)).is_ok());
}

#[test]
fn shared_lock_allows_reads_and_blocks_writes_of_everyone() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, false)).unwrap();
    assert!(block_on(b.read(0, 10)).is_ok());
    assert_eq!(
        block_on(b.write(0, &b"x"[..])),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    assert_eq!(
        block_on(a.write(0, &b"x"[..])),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
}

#[test]
fn zero_length_locks_do_not_conflict_at_their_offset() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(10, 0, 0, true)).unwrap();
    lock(&b, lk(10, 0, 0, true)).unwrap();
    assert!(block_on(b.read(10, 5)).is_ok());
    // A range straddling the offset conflicts with the zero-length lock.
    assert_eq!(
        lock(&b, lk(5, 10, 0, true)),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    block_on(a.unlock(ul(10, 0, 0))).unwrap();
}

#[test]
fn unlock_must_match_exactly() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 7, true)).unwrap();
    for (h, u) in [
        (&a, ul(0, 5, 7)),
        (&a, ul(0, 20, 7)),
        (&a, ul(1, 10, 7)),
        (&a, ul(0, 10, 8)),
        (&b, ul(0, 10, 7)),
    ] {
        assert_eq!(block_on(h.unlock(u)), Err(NtStatus::RANGE_NOT_LOCKED));
    }
    block_on(a.unlock(ul(0, 10, 7))).unwrap();
    assert_eq!(
        block_on(a.unlock(ul(0, 10, 7))),
        Err(NtStatus::RANGE_NOT_LOCKED)
    );
}

#[test]
fn invalid_range_is_refused() {
    let s = Share::new();
    let (a, _b) = two(&s);
    assert_eq!(
        lock(&a, lk(u64::MAX, 2, 0, true)),
        Err(NtStatus::INVALID_LOCK_RANGE)
    );
}

#[test]
fn waiting_lock_is_granted_by_unlock() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    let w = b.lock(waiting(0, 10, true));
    assert_eq!(s.io.rundown().pending_irps, 1);
    block_on(a.unlock(ul(0, 10, 0))).unwrap();
    assert_eq!(block_on(w), Ok(()));
    assert_eq!(
        lock(&a, lk(0, 1, 0, false)),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    s.assert_no_pending();
}

#[test]
fn waiting_lock_is_granted_by_close_of_the_holder() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    let w = b.lock(waiting(5, 1, false));
    drop(a);
    assert_eq!(block_on(w), Ok(()));
    s.assert_no_pending();
}

#[test]
fn waiting_lock_is_cancelled_by_cancel_file() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    let w = b.lock(waiting(0, 10, true));
    assert_eq!(s.io.cancel_file(&b), 1);
    assert_eq!(block_on(w), Err(NtStatus::CANCELLED));
    s.assert_no_pending();
    // The cancelled waiter is gone: unlocking grants nothing to it.
    block_on(a.unlock(ul(0, 10, 0))).unwrap();
    lock(&a, lk(0, 10, 0, true)).unwrap();
}

#[test]
fn waiting_lock_is_cancelled_by_dropping_its_future() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    drop(b.lock(waiting(0, 10, true)));
    s.assert_no_pending();
    block_on(a.unlock(ul(0, 10, 0))).unwrap();
    lock(&a, lk(0, 10, 0, true)).unwrap();
}

#[test]
fn waiting_lock_is_cancelled_by_close_of_its_handle() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    let w = b.lock(waiting(0, 10, true));
    drop(b);
    assert_eq!(block_on(w), Err(NtStatus::CANCELLED));
    s.assert_no_pending();
}

#[test]
fn locks_are_released_on_close() {
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(0, 10, 0, true)).unwrap();
    lock(&a, lk(50, 10, 0, false)).unwrap();
    drop(a);
    lock(&b, lk(0, 60, 0, true)).unwrap();
    assert!(block_on(b.write(0, &b"x"[..])).is_ok());
    s.assert_no_pending();
}

#[test]
fn locks_on_a_directory_are_refused() {
    let s = Share::new();
    s.mkdir("d");
    let d = s.all("d");
    assert_eq!(
        lock(&d, lk(0, 1, 0, true)),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

/// FSCTL_LWIO_QUERY_LOCKS: every opener's granted locks and waiting requests, or only the
/// caller's; a buffer below the header is BUFFER_TOO_SMALL, one too small for every entry
/// BUFFER_OVERFLOW with the entries that fit and the full count.
#[test]
fn query_locks_lists_every_openers_locks() {
    use lwio_core::CtlCode;
    use lwio_fscc::lock_list::{self, HEADER_LEN};
    let code = CtlCode::FSCTL_LWIO_QUERY_LOCKS.0;
    let s = Share::new();
    let (a, b) = two(&s);
    lock(&a, lk(10, 5, 3, true)).unwrap();
    lock(&b, lk(40, 2, 0, false)).unwrap();
    let waiter = b.lock(waiting(12, 1, false));

    let all = lock_list::decode(&block_on(a.fs_control(code, Vec::new(), 4096)).unwrap()).unwrap();
    assert_eq!((all.total, all.entries.len()), (3, 3));
    let (held, shared, queued) = (all.entries[0], all.entries[1], all.entries[2]);
    assert_eq!(
        (held.offset, held.length, held.key, held.owner),
        (10, 5, 3, all.owner)
    );
    assert!(held.exclusive() && !held.waiting());
    assert_eq!((shared.offset, shared.length), (40, 2));
    assert!(!shared.exclusive() && shared.owner != all.owner);
    assert_eq!((queued.offset, queued.owner), (12, shared.owner));
    assert!(queued.waiting() && !queued.exclusive());

    let mine = block_on(b.fs_control(code, 1u32.to_le_bytes().to_vec(), 4096)).unwrap();
    let mine = lock_list::decode(&mine).unwrap();
    assert_eq!(mine.owner, shared.owner);
    assert_eq!(mine.entries, [shared, queued]);

    let cut = call(
        &a,
        lwio_core::IrpRequest::FsControl(lwio_core::irp::ControlRequest {
            code,
            input: Default::default(),
            max_output: (HEADER_LEN + 40) as u32,
        }),
    );
    assert_eq!(cut.status, NtStatus::BUFFER_OVERFLOW);
    let cut = lock_list::decode(&cut.output).unwrap();
    assert_eq!((cut.total, cut.entries.as_slice()), (3, &all.entries[..1]));
    assert_eq!(
        block_on(a.fs_control(code, Vec::new(), HEADER_LEN as u32 - 1)),
        Err(NtStatus::BUFFER_TOO_SMALL)
    );
    assert_eq!(
        block_on(a.fs_control(code, 4u32.to_le_bytes().to_vec(), 4096)),
        Err(NtStatus::INVALID_PARAMETER)
    );

    block_on(a.unlock(ul(10, 5, 3))).unwrap();
    block_on(waiter).unwrap();
    let after =
        lock_list::decode(&block_on(a.fs_control(code, Vec::new(), 4096)).unwrap()).unwrap();
    assert_eq!(after.entries.len(), 2);
    assert!(
        after
            .entries
            .iter()
            .all(|e| !e.waiting() && e.owner == shared.owner)
    );
}
