//! Context handles (MS-RPCE 2.2.4.6 and 3.3.1.4.1, C706 12.2.4 "context handles"): the
//! 20-byte policy handles an interface hands out (`SamrConnect`, `LsarOpenPolicy2`) and
//! later looks up, typed so that a handle of one kind given where another is expected
//! faults with `nca_s_fault_context_mismatch`, as an unknown or closed handle does.
//!
//! A table belongs to one association group (the connections of one client that bound
//! with the same `assoc_group_id`, see the `assoc` module) and is cleared when the
//! group's last connection ends, which runs the handles' `Drop` — the rundown of C706.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::Uuid;
use crate::ndr::PolicyHandle;
use crate::pdu::FaultStatus;

/// The most handles one association group may hold at once; creating more fails.
pub const MAX_HANDLES: usize = 4096;

struct Entry {
    type_id: TypeId,
    value: Arc<dyn Any + Send + Sync>,
}

/// The context handles of one association group.
pub struct HandleTable {
    entries: Mutex<HashMap<PolicyHandle, Entry>>,
    seed: RandomState,
    counter: Mutex<u64>,
}

impl Default for HandleTable {
    fn default() -> Self {
        HandleTable::new()
    }
}

impl fmt::Debug for HandleTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleTable")
            .field("len", &self.len())
            .finish()
    }
}

impl HandleTable {
    /// An empty table with its own random seed for handle UUIDs.
    pub fn new() -> HandleTable {
        HandleTable {
            entries: Mutex::new(HashMap::new()),
            seed: RandomState::new(),
            counter: Mutex::new(0),
        }
    }

    /// How many handles are open.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// True when no handle is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A fresh handle value: attributes zero, a UUID that is unpredictable to the client
    /// (keyed hashes of a counter; never the null handle).
    fn fresh(&self) -> PolicyHandle {
        let n = {
            let mut c = self.counter.lock();
            *c += 1;
            *c
        };
        let mut a = self.seed.build_hasher();
        a.write_u64(n);
        let hi = a.finish();
        let mut b = self.seed.build_hasher();
        b.write_u64(!n);
        let lo = b.finish();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi.to_le_bytes());
        bytes[8..].copy_from_slice(&lo.to_le_bytes());
        // Version 4 / variant 1 bits, so the value reads as a random UUID.
        bytes[7] = (bytes[7] & 0x0F) | 0x40;
        bytes[8] = (bytes[8] & 0x3F) | 0x80;
        PolicyHandle {
            attributes: 0,
            uuid: Uuid::from_le_bytes(bytes),
        }
    }

    /// Stores `value` and returns its new handle.
    ///
    /// Errors: the table holds [`MAX_HANDLES`] already (`nca_s_fault_context_mismatch`
    /// is not right here; the caller gets [`FaultStatus::SERVER_TOO_BUSY`]).
    pub fn create<T: Any + Send + Sync>(&self, value: T) -> Result<PolicyHandle, FaultStatus> {
        self.create_with_attributes(value, 0)
    }

    /// As [`HandleTable::create`], with `attributes` in the handle's first field: an
    /// interface that encodes the object type there (SAMR, as Samba does) gets a handle
    /// whose attributes changed by the client no longer names the object.
    pub fn create_with_attributes<T: Any + Send + Sync>(
        &self,
        value: T,
        attributes: u32,
    ) -> Result<PolicyHandle, FaultStatus> {
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_HANDLES {
            return Err(FaultStatus::SERVER_TOO_BUSY);
        }
        let mut handle = self.fresh();
        handle.attributes = attributes;
        while handle.is_null() || entries.contains_key(&handle) {
            handle = self.fresh();
            handle.attributes = attributes;
        }
        entries.insert(
            handle,
            Entry {
                type_id: TypeId::of::<T>(),
                value: Arc::new(value),
            },
        );
        Ok(handle)
    }

    /// The value behind `handle`, which must have been created with type `T`.
    ///
    /// Errors: [`FaultStatus::CONTEXT_MISMATCH`] for the null handle, an unknown or
    /// closed handle, or a handle of another type.
    pub fn lookup<T: Any + Send + Sync>(
        &self,
        handle: &PolicyHandle,
    ) -> Result<Arc<T>, FaultStatus> {
        let entries = self.entries.lock();
        let entry = entries
            .get(handle)
            .filter(|e| e.type_id == TypeId::of::<T>())
            .ok_or(FaultStatus::CONTEXT_MISMATCH)?;
        Arc::clone(&entry.value)
            .downcast::<T>()
            .map_err(|_| FaultStatus::CONTEXT_MISMATCH)
    }

    /// Closes `handle` (of type `T`) and returns its value; the caller answers with the
    /// null handle.
    ///
    /// Errors: as [`HandleTable::lookup`]; a handle of another type stays open.
    pub fn close<T: Any + Send + Sync>(
        &self,
        handle: &PolicyHandle,
    ) -> Result<Arc<T>, FaultStatus> {
        let mut entries = self.entries.lock();
        match entries.get(handle) {
            Some(e) if e.type_id == TypeId::of::<T>() => {}
            _ => return Err(FaultStatus::CONTEXT_MISMATCH),
        }
        let entry = entries
            .remove(handle)
            .ok_or(FaultStatus::CONTEXT_MISMATCH)?;
        entry
            .value
            .downcast::<T>()
            .map_err(|_| FaultStatus::CONTEXT_MISMATCH)
    }

    /// Closes every handle (the connection ended).
    pub fn clear(&self) {
        let drained: Vec<Entry> = self.entries.lock().drain().map(|(_, e)| e).collect();
        drop(drained);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug)]
    struct Policy(u32);
    #[derive(Debug)]
    struct Domain;

    #[test]
    fn typed_lifecycle() {
        let t = HandleTable::new();
        let h = t.create(Policy(7)).unwrap();
        assert!(!h.is_null());
        assert_eq!(t.lookup::<Policy>(&h).unwrap().0, 7);
        assert_eq!(
            t.lookup::<Domain>(&h).unwrap_err(),
            FaultStatus::CONTEXT_MISMATCH
        );
        assert_eq!(
            t.close::<Domain>(&h).unwrap_err(),
            FaultStatus::CONTEXT_MISMATCH
        );
        assert_eq!(t.close::<Policy>(&h).unwrap().0, 7);
        assert!(t.lookup::<Policy>(&h).is_err());
        assert!(t.lookup::<Policy>(&PolicyHandle::default()).is_err());
        let a = t.create(Domain).unwrap();
        let b = t.create(Domain).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.len(), 2);
        t.clear();
        assert!(t.is_empty());
    }
}
