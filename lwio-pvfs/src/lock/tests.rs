//! Tests of the lock table: hand-written matrices, then a comparison with a naive model.

use lwio_core::NtStatus;
use proptest::prelude::*;

use super::{LockRange, LockTable, OwnerId};

const A: OwnerId = 1;
const B: OwnerId = 2;

fn r(offset: u64, length: u64) -> LockRange {
    LockRange::new(offset, length)
}

/// Who asks, relative to the holder of the lock already granted.
#[derive(Debug, Clone, Copy)]
enum Who {
    SameOwnerSameKey,
    SameOwnerOtherKey,
    OtherOwner,
}

impl Who {
    fn ids(self) -> (OwnerId, u32) {
        match self {
            Who::SameOwnerSameKey => (A, 7),
            Who::SameOwnerOtherKey => (A, 8),
            Who::OtherOwner => (B, 7),
        }
    }
}

/// Hand-written MS-FSA 2.1.4.10 outcome for a second lock that overlaps a held one:
/// (held exclusive, who, new exclusive) -> conflict.
fn expected_lock_conflict(held_x: bool, who: Who, new_x: bool) -> bool {
    match (held_x, who, new_x) {
        // Shared held: shared always passes, exclusive never.
        (false, _, false) => false,
        (false, _, true) => true,
        // Exclusive held: its own open and key may add a shared lock over it, nothing else.
        (true, Who::SameOwnerSameKey, false) => false,
        (true, Who::SameOwnerSameKey, true) => true,
        (true, Who::SameOwnerOtherKey, _) => true,
        (true, Who::OtherOwner, _) => true,
    }
}

#[test]
fn lock_matrix() {
    // The held lock is [10, 20). Geometry of the second request, and whether it overlaps.
    let geometries = [
        ("overlapping", r(15, 10), true),
        ("identical", r(10, 10), true),
        ("containing", r(0, 100), true),
        ("contained", r(12, 2), true),
        ("last byte", r(19, 1), true),
        ("adjacent after", r(20, 5), false),
        ("adjacent before", r(5, 5), false),
        ("zero-length inside", r(15, 0), true),
        ("zero-length at start", r(10, 0), false),
        ("zero-length at end", r(20, 0), false),
        ("zero-zero", r(0, 0), false),
    ];
    for held_x in [false, true] {
        for who in [
            Who::SameOwnerSameKey,
            Who::SameOwnerOtherKey,
            Who::OtherOwner,
        ] {
            for new_x in [false, true] {
                for (name, range, overlaps) in geometries {
                    let mut t = LockTable::<()>::new();
                    t.lock(A, 7, r(10, 10), held_x).unwrap();
                    let (owner, key) = who.ids();
                    let got = t.lock(owner, key, range, new_x);
                    let want_conflict = overlaps && expected_lock_conflict(held_x, who, new_x);
                    let case = format!("held_x={held_x} {who:?} new_x={new_x} {name}");
                    if want_conflict {
                        assert_eq!(got, Err(NtStatus::LOCK_NOT_GRANTED), "{case}");
                        assert_eq!(t.lock_count(), 1, "{case}");
                    } else {
                        assert_eq!(got, Ok(()), "{case}");
                        assert_eq!(t.lock_count(), 2, "{case}");
                    }
                }
            }
        }
    }
}

#[test]
fn zero_length_held_lock() {
    // An exclusive zero-length lock at 15 of another owner.
    let mut t = LockTable::<()>::new();
    t.lock(B, 0, r(15, 0), true).unwrap();
    assert_eq!(
        t.lock(A, 0, r(10, 10), false),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    assert_eq!(
        t.lock(A, 0, r(14, 2), true),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    // I/O: only an access holding both byte 14 and byte 15 meets it, and never B's own.
    assert_eq!(
        t.check_io(A, Some(0), 14, 2, false),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    assert_eq!(t.check_io(A, Some(0), 14, 1, true), Ok(()));
    assert_eq!(t.check_io(A, Some(0), 15, 1, true), Ok(()));
    assert_eq!(t.check_io(B, Some(0), 0, 100, true), Ok(()));
    t.lock(A, 0, r(15, 5), true).unwrap();
    t.lock(A, 0, r(10, 5), true).unwrap();
    t.lock(A, 0, r(15, 0), true).unwrap();
    // The {0, 0} lock blocks nothing at all.
    let mut t = LockTable::<()>::new();
    t.lock(B, 0, r(0, 0), true).unwrap();
    t.lock(A, 0, r(0, 0), true).unwrap();
    t.lock(A, 0, r(0, u64::MAX), true).unwrap();
    assert_eq!(t.check_io(B, None, 0, 0, true), Ok(()));
    assert_eq!(t.lock_count(), 3);
}

#[test]
fn io_matrix() {
    // (held exclusive, owner, key, write) -> conflict, against a lock of A/7 on [10, 20).
    let cases = [
        (true, A, Some(7), false, false),
        (true, A, Some(7), true, false),
        (true, A, Some(8), false, true),
        (true, A, Some(8), true, true),
        (true, A, None, false, false),
        (true, A, None, true, false),
        (true, B, Some(7), false, true),
        (true, B, Some(7), true, true),
        (true, B, None, false, true),
        (false, A, Some(7), false, false),
        (false, A, Some(7), true, true),
        (false, A, Some(8), false, false),
        (false, A, Some(8), true, true),
        (false, A, None, true, true),
        (false, B, Some(7), false, false),
        (false, B, Some(7), true, true),
    ];
    for (held_x, owner, key, write, conflict) in cases {
        let mut t = LockTable::<()>::new();
        t.lock(A, 7, r(10, 10), held_x).unwrap();
        let case = format!("held_x={held_x} owner={owner} key={key:?} write={write}");
        let want = if conflict {
            Err(NtStatus::FILE_LOCK_CONFLICT)
        } else {
            Ok(())
        };
        assert_eq!(t.check_io(owner, key, 5, 6, write), want, "{case}");
        assert_eq!(t.check_io(owner, key, 19, 100, write), want, "{case}");
        // Outside the lock nothing conflicts.
        assert_eq!(t.check_io(owner, key, 20, 10, write), Ok(()), "{case}");
        assert_eq!(t.check_io(owner, key, 0, 10, write), Ok(()), "{case}");
        assert_eq!(t.check_io(owner, key, 0, 0, write), Ok(()), "{case}");
    }
}

#[test]
fn unlock_must_match_exactly() {
    let mut t = LockTable::<()>::new();
    t.lock(A, 7, r(10, 10), true).unwrap();
    for (owner, key, range) in [
        (B, 7, r(10, 10)),
        (A, 8, r(10, 10)),
        (A, 7, r(11, 10)),
        (A, 7, r(10, 9)),
        (A, 7, r(10, 11)),
        (A, 7, r(12, 2)),
        (A, 7, r(10, 0)),
    ] {
        assert_eq!(t.unlock(owner, key, range), Err(NtStatus::RANGE_NOT_LOCKED));
    }
    assert_eq!(t.lock_count(), 1);
    assert_eq!(t.unlock(A, 7, r(10, 10)), Ok(vec![]));
    assert_eq!(t.unlock(A, 7, r(10, 10)), Err(NtStatus::RANGE_NOT_LOCKED));
    assert!(t.is_empty());
}

#[test]
fn unlock_releases_one_of_identical_locks() {
    let mut t = LockTable::<()>::new();
    t.lock(A, 7, r(0, 10), false).unwrap();
    t.lock(A, 7, r(0, 10), false).unwrap();
    t.unlock(A, 7, r(0, 10)).unwrap();
    assert_eq!(t.lock_count(), 1);
    assert_eq!(
        t.check_io(B, None, 0, 1, true),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    t.unlock(A, 7, r(0, 10)).unwrap();
    assert_eq!(t.unlock(A, 7, r(0, 10)), Err(NtStatus::RANGE_NOT_LOCKED));
    assert_eq!(t.check_io(B, None, 0, 1, true), Ok(()));
}

#[test]
fn unlock_prefers_the_exclusive_lock() {
    // A holds an exclusive lock and a shared lock over it, same range and key.
    let mut t = LockTable::<()>::new();
    t.lock(A, 7, r(0, 10), true).unwrap();
    t.lock(A, 7, r(0, 10), false).unwrap();
    assert_eq!(
        t.check_io(B, None, 0, 1, false),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    t.unlock(A, 7, r(0, 10)).unwrap();
    // Only the shared lock remains: B may read and take a shared lock, not write.
    assert_eq!(t.check_io(B, None, 0, 1, false), Ok(()));
    assert_eq!(
        t.check_io(B, None, 0, 1, true),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    t.lock(B, 7, r(0, 10), false).unwrap();
}

#[test]
fn waiters_are_granted_fifo_after_unlock() {
    let mut t = LockTable::new();
    t.lock(A, 0, r(0, 10), true).unwrap();
    assert_eq!(
        t.lock(B, 0, r(0, 10), true),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    t.enqueue(B, 0, r(0, 10), true, "b-exclusive").unwrap();
    t.enqueue(3, 0, r(5, 10), false, "c-shared").unwrap();
    t.enqueue(4, 0, r(50, 10), false, "d-elsewhere").unwrap();
    assert_eq!(t.waiter_count(), 3);
    // A's unlock lets B in; B's new lock keeps C waiting; D was only queued, and its range
    // is free, so the retry takes it too.
    assert_eq!(
        t.unlock(A, 0, r(0, 10)),
        Ok(vec!["b-exclusive", "d-elsewhere"])
    );
    assert_eq!(t.waiter_count(), 1);
    assert_eq!(t.unlock(B, 0, r(0, 10)), Ok(vec!["c-shared"]));
    assert_eq!(t.waiter_count(), 0);
    assert_eq!(t.lock_count(), 2);
}

#[test]
fn shared_waiters_are_granted_together_in_order() {
    let mut t = LockTable::new();
    t.lock(A, 0, r(0, 10), true).unwrap();
    t.enqueue(B, 0, r(0, 4), false, 1).unwrap();
    t.enqueue(3, 0, r(2, 4), false, 2).unwrap();
    t.enqueue(4, 0, r(0, 10), true, 3).unwrap();
    t.enqueue(5, 0, r(8, 1), false, 4).unwrap();
    assert_eq!(t.unlock(A, 0, r(0, 10)), Ok(vec![1, 2, 4]));
    assert_eq!(t.release_owner(B), (vec![], vec![]));
    assert_eq!(t.release_owner(3), (vec![], vec![]));
    assert_eq!(t.release_owner(5), (vec![3], vec![]));
}

#[test]
fn release_owner_grants_others_and_cancels_own_waiters() {
    let mut t = LockTable::new();
    t.lock(A, 0, r(0, 10), true).unwrap();
    t.lock(A, 1, r(100, 10), false).unwrap();
    t.lock(B, 0, r(200, 10), true).unwrap();
    t.enqueue(B, 0, r(5, 1), false, "b-waits-for-a").unwrap();
    t.enqueue(A, 0, r(200, 1), false, "a-waits-for-b").unwrap();
    t.enqueue(3, 0, r(100, 1), true, "c-waits-for-a").unwrap();
    t.enqueue(A, 2, r(205, 1), true, "a-waits-again").unwrap();
    let (granted, cancelled) = t.release_owner(A);
    assert_eq!(granted, vec!["b-waits-for-a", "c-waits-for-a"]);
    assert_eq!(cancelled, vec!["a-waits-for-b", "a-waits-again"]);
    assert_eq!(t.waiter_count(), 0);
    assert_eq!(t.lock_count(), 3);
    assert_eq!(t.release_owner(A), (vec![], vec![]));
    let (granted, cancelled) = t.release_owner(B);
    assert!(granted.is_empty() && cancelled.is_empty());
    t.release_owner(3);
    assert!(t.is_empty());
}

#[test]
fn cancel_waiter() {
    let mut t = LockTable::new();
    t.lock(A, 0, r(0, 10), true).unwrap();
    let first = t.enqueue(B, 0, r(0, 10), true, 'x').unwrap();
    let second = t.enqueue(3, 0, r(0, 10), true, 'y').unwrap();
    assert_ne!(first, second);
    assert_eq!(t.cancel_waiter(first), Some('x'));
    assert_eq!(t.cancel_waiter(first), None);
    assert_eq!(t.unlock(A, 0, r(0, 10)), Ok(vec!['y']));
    assert_eq!(t.cancel_waiter(second), None);
    assert_eq!(t.cancel_waiter(12345), None);
}

#[test]
fn overflowing_ranges() {
    let mut t = LockTable::new();
    for bad in [
        r(u64::MAX, 2),
        r(2, u64::MAX),
        r(u64::MAX, u64::MAX),
        r(1 << 63, 1 << 63 | 1),
    ] {
        assert_eq!(
            t.lock(A, 0, bad, true),
            Err(NtStatus::INVALID_LOCK_RANGE),
            "{bad:?}"
        );
        assert_eq!(
            t.unlock(A, 0, bad),
            Err(NtStatus::INVALID_LOCK_RANGE),
            "{bad:?}"
        );
        assert_eq!(
            t.enqueue(A, 0, bad, true, 9),
            Err((NtStatus::INVALID_LOCK_RANGE, 9))
        );
    }
    // The last byte may be u64::MAX.
    t.lock(A, 0, r(u64::MAX, 1), true).unwrap();
    t.lock(A, 0, r(u64::MAX, 0), true).unwrap();
    t.lock(B, 0, r(0, u64::MAX), true).unwrap();
    assert_eq!(
        t.lock(B, 0, r(1, u64::MAX), false),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    assert_eq!(
        t.check_io(B, None, u64::MAX, 1, false),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    assert_eq!(
        t.check_io(B, None, u64::MAX - 1, 5, false),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    assert_eq!(t.unlock(A, 0, r(u64::MAX, 1)), Ok(vec![]));
    assert_eq!(t.check_io(B, None, u64::MAX, 1, true), Ok(()));
    assert!(r(u64::MAX, 1).validate().is_ok() && r(1, u64::MAX).validate().is_ok());
}

#[test]
fn many_locks() {
    let mut t = LockTable::<()>::new();
    for i in 0..5000u64 {
        t.lock(i % 7, 0, r(i * 10, 10), i % 2 == 0).unwrap();
    }
    for i in 0..5000u64 {
        let owner = (i + 1) % 7;
        let want = if i % 2 == 0 {
            Err(NtStatus::FILE_LOCK_CONFLICT)
        } else {
            Ok(())
        };
        assert_eq!(t.check_io(owner, None, i * 10 + 3, 2, false), want);
    }
    for owner in 0..7 {
        t.release_owner(owner);
    }
    assert!(t.is_empty());
}

// ---------------------------------------------------------------------------------------
// The naive reference: a list in grant order and the literal pseudocode of MS-FSA 2.1.4.10
// (u64 arithmetic, explicit {0, 0} cases), 2.1.5.8 and 2.1.5.9.

#[derive(Debug, Clone, Copy)]
struct ModelLock {
    owner: OwnerId,
    key: u32,
    offset: u64,
    length: u64,
    exclusive: bool,
}

#[derive(Debug, Clone, Copy)]
struct ModelWaiter {
    lock: ModelLock,
    id: u64,
    payload: u32,
}

#[derive(Debug, Default)]
struct Model {
    locks: Vec<ModelLock>,
    waiters: Vec<ModelWaiter>,
}

fn model_valid(offset: u64, length: u64) -> bool {
    !(length != 0 && offset.wrapping_add(length).wrapping_sub(1) < offset)
}

impl Model {
    /// Mirrors the pseudocode branch by branch, hence the repeated `return true`.
    #[allow(clippy::if_same_then_else)]
    fn conflicts(
        &self,
        offset: u64,
        length: u64,
        is_exclusive: bool,
        lock_intent: bool,
        owner: OwnerId,
        key: Option<u32>,
    ) -> bool {
        if offset == 0 && length == 0 {
            return false;
        }
        for l in &self.locks {
            if l.offset == 0 && l.length == 0 {
                continue;
            }
            let last1 = offset.wrapping_add(length).wrapping_sub(1);
            let last2 = l.offset.wrapping_add(l.length).wrapping_sub(1);
            if offset <= last2 && last1 >= l.offset {
                if l.exclusive {
                    if l.owner != owner || key.is_some_and(|k| k != l.key) {
                        return true;
                    } else if is_exclusive && lock_intent {
                        return true;
                    }
                } else if is_exclusive {
                    return true;
                }
            }
        }
        false
    }

    fn grant(&mut self) -> Vec<u32> {
        let mut granted = Vec::new();
        let mut i = 0;
        while i < self.waiters.len() {
            let w = self.waiters[i];
            let l = w.lock;
            if self.conflicts(l.offset, l.length, l.exclusive, true, l.owner, Some(l.key)) {
                i += 1;
            } else {
                self.locks.push(l);
                self.waiters.remove(i);
                granted.push(w.payload);
            }
        }
        granted
    }
}

#[derive(Debug, Clone)]
enum Op {
    Lock {
        owner: OwnerId,
        key: u32,
        offset: u64,
        length: u64,
        exclusive: bool,
        wait: bool,
    },
    Unlock {
        owner: OwnerId,
        key: u32,
        offset: u64,
        length: u64,
    },
    UnlockHeld {
        index: usize,
    },
    Release {
        owner: OwnerId,
    },
    Cancel {
        index: usize,
    },
    Io {
        owner: OwnerId,
        key: Option<u32>,
        offset: u64,
        length: u64,
        write: bool,
    },
}

fn offset_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![8 => 0u64..40, 1 => Just(u64::MAX), 1 => (u64::MAX - 8)..=u64::MAX]
}

fn length_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 12 => 1u64..12, 1 => Just(u64::MAX), 1 => Just(1u64 << 63)]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let owner = 0u64..3;
    let key = 0u32..2;
    prop_oneof![
        6 => (owner.clone(), key.clone(), offset_strategy(), length_strategy(), any::<bool>(), any::<bool>())
            .prop_map(|(owner, key, offset, length, exclusive, wait)| Op::Lock { owner, key, offset, length, exclusive, wait }),
        1 => (owner.clone(), key.clone(), offset_strategy(), length_strategy())
            .prop_map(|(owner, key, offset, length)| Op::Unlock { owner, key, offset, length }),
        3 => any::<usize>().prop_map(|index| Op::UnlockHeld { index }),
        1 => owner.clone().prop_map(|owner| Op::Release { owner }),
        1 => any::<usize>().prop_map(|index| Op::Cancel { index }),
        4 => (owner, proptest::option::of(key), offset_strategy(), length_strategy(), any::<bool>())
            .prop_map(|(owner, key, offset, length, write)| Op::Io { owner, key, offset, length, write }),
    ]
}

fn run_against_model(ops: &[Op]) {
    let mut table = LockTable::<u32>::new();
    let mut model = Model::default();
    let mut next_payload = 0u32;
    for op in ops {
        match *op {
            Op::Lock {
                owner,
                key,
                offset,
                length,
                exclusive,
                wait,
            } => {
                let got = table.lock(owner, key, r(offset, length), exclusive);
                let want = if !model_valid(offset, length) {
                    Err(NtStatus::INVALID_LOCK_RANGE)
                } else if model.conflicts(offset, length, exclusive, true, owner, Some(key)) {
                    Err(NtStatus::LOCK_NOT_GRANTED)
                } else {
                    model.locks.push(ModelLock {
                        owner,
                        key,
                        offset,
                        length,
                        exclusive,
                    });
                    Ok(())
                };
                assert_eq!(got, want, "{op:?}");
                if wait && got == Err(NtStatus::LOCK_NOT_GRANTED) {
                    let payload = next_payload;
                    next_payload += 1;
                    let id = table.enqueue(owner, key, r(offset, length), exclusive, payload);
                    let id = id.unwrap_or_else(|_| panic!("enqueue refused {op:?}"));
                    let lock = ModelLock {
                        owner,
                        key,
                        offset,
                        length,
                        exclusive,
                    };
                    model.waiters.push(ModelWaiter { lock, id, payload });
                }
            }
            Op::Unlock {
                owner,
                key,
                offset,
                length,
            } => {
                let got = table.unlock(owner, key, r(offset, length));
                let want = model_unlock(&mut model, owner, key, offset, length);
                assert_eq!(got, want, "{op:?}");
            }
            Op::UnlockHeld { index } => {
                if model.locks.is_empty() {
                    continue;
                }
                let l = model.locks[index % model.locks.len()];
                let got = table.unlock(l.owner, l.key, r(l.offset, l.length));
                let want = model_unlock(&mut model, l.owner, l.key, l.offset, l.length);
                assert_eq!(got, want, "{op:?} {l:?}");
            }
            Op::Release { owner } => {
                let got = table.release_owner(owner);
                let before = model.locks.len();
                model.locks.retain(|l| l.owner != owner);
                let cancelled = model
                    .waiters
                    .iter()
                    .filter(|w| w.lock.owner == owner)
                    .map(|w| w.payload)
                    .collect::<Vec<_>>();
                model.waiters.retain(|w| w.lock.owner != owner);
                let granted = if model.locks.len() != before {
                    model.grant()
                } else {
                    vec![]
                };
                assert_eq!(got, (granted, cancelled), "{op:?}");
            }
            Op::Cancel { index } => {
                if model.waiters.is_empty() {
                    continue;
                }
                let w = model.waiters.remove(index % model.waiters.len());
                assert_eq!(table.cancel_waiter(w.id), Some(w.payload), "{op:?}");
                assert_eq!(table.cancel_waiter(w.id), None, "{op:?}");
            }
            Op::Io {
                owner,
                key,
                offset,
                length,
                write,
            } => {
                // The model's u64 pseudocode needs a range that fits.
                if !model_valid(offset, length) {
                    continue;
                }
                let got = table.check_io(owner, key, offset, length, write);
                let conflict = model.conflicts(offset, length, write, false, owner, key);
                let want = if conflict {
                    Err(NtStatus::FILE_LOCK_CONFLICT)
                } else {
                    Ok(())
                };
                assert_eq!(got, want, "{op:?}");
            }
        }
        assert_eq!(table.lock_count(), model.locks.len());
        assert_eq!(table.waiter_count(), model.waiters.len());
        assert_eq!(
            table.is_empty(),
            model.locks.is_empty() && model.waiters.is_empty()
        );
    }
}

fn model_unlock(
    model: &mut Model,
    owner: OwnerId,
    key: u32,
    offset: u64,
    length: u64,
) -> Result<Vec<u32>, NtStatus> {
    if !model_valid(offset, length) {
        return Err(NtStatus::INVALID_LOCK_RANGE);
    }
    let mut found = None;
    for (i, l) in model.locks.iter().enumerate() {
        if l.offset == offset && l.length == length && l.owner == owner && l.key == key {
            found = Some(i);
            if l.exclusive {
                break;
            }
        }
    }
    let Some(i) = found else {
        return Err(NtStatus::RANGE_NOT_LOCKED);
    };
    model.locks.remove(i);
    Ok(model.grant())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn table_matches_naive_model(ops in proptest::collection::vec(op_strategy(), 1..80)) {
        run_against_model(&ops);
    }

    #[test]
    fn overlap_matches_pseudocode(a in offset_strategy(), al in length_strategy(), b in offset_strategy(), bl in length_strategy()) {
        prop_assume!(model_valid(a, al) && model_valid(b, bl));
        let zero_zero = (a == 0 && al == 0) || (b == 0 && bl == 0);
        let literal = !zero_zero && {
            let last1 = a.wrapping_add(al).wrapping_sub(1);
            let last2 = b.wrapping_add(bl).wrapping_sub(1);
            a <= last2 && last1 >= b
        };
        prop_assert_eq!(r(a, al).overlaps(r(b, bl)), literal);
        prop_assert_eq!(r(b, bl).overlaps(r(a, al)), literal);
    }
}
