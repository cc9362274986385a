//! Extra Create Parameters: typed values a caller attaches to a create for the drivers that
//! understand them (Windows' ECP lists, keyed there by GUID and here by Rust type).
//!
//! The SMB server attaches the client's session key and address to a named-pipe open; a pipe
//! server attaches the pipe's settings when it creates an instance. A driver that uses a
//! parameter marks it acknowledged, so the caller can tell whether anyone understood it.
//!
//! ```
//! use lwio_core::EcpList;
//!
//! #[derive(Debug, PartialEq)]
//! struct PeerAddress(String);
//!
//! let mut ecps = EcpList::new();
//! ecps.insert(PeerAddress("127.0.0.1:50000".into()));
//! assert_eq!(ecps.get::<PeerAddress>(), Some(&PeerAddress("127.0.0.1:50000".into())));
//! assert!(!ecps.is_acknowledged::<PeerAddress>());
//! ecps.acknowledge::<PeerAddress>();
//! assert!(ecps.is_acknowledged::<PeerAddress>());
//! ```

use std::any::{Any, TypeId, type_name};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct Entry {
    type_id: TypeId,
    type_name: &'static str,
    value: Arc<dyn Any + Send + Sync>,
    acknowledged: Arc<AtomicBool>,
}

/// A list of Extra Create Parameters, at most one value per type.
#[derive(Default)]
pub struct EcpList {
    entries: Vec<Entry>,
}

impl EcpList {
    /// An empty list.
    pub const fn new() -> Self {
        EcpList {
            entries: Vec::new(),
        }
    }

    /// Adds `value`, replacing any earlier value of the same type (which is returned).
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) -> Option<Arc<T>> {
        let entry = Entry {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
            value: Arc::new(value),
            acknowledged: Arc::new(AtomicBool::new(false)),
        };
        match self.entries.iter_mut().find(|e| e.type_id == entry.type_id) {
            Some(slot) => {
                let old = std::mem::replace(slot, entry);
                old.value.downcast::<T>().ok()
            }
            None => {
                self.entries.push(entry);
                None
            }
        }
    }

    /// The value of type `T`, if the caller attached one.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.find::<T>().and_then(|e| e.value.downcast_ref::<T>())
    }

    /// Marks the value of type `T` as understood; returns false when there is none.
    pub fn acknowledge<T: Any + Send + Sync>(&self) -> bool {
        match self.find::<T>() {
            Some(e) => {
                e.acknowledged.store(true, Ordering::Release);
                true
            }
            None => false,
        }
    }

    /// True when a driver acknowledged the value of type `T`.
    pub fn is_acknowledged<T: Any + Send + Sync>(&self) -> bool {
        self.find::<T>()
            .is_some_and(|e| e.acknowledged.load(Ordering::Acquire))
    }

    /// How many parameters the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the list holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find<T: Any>(&self) -> Option<&Entry> {
        let id = TypeId::of::<T>();
        self.entries.iter().find(|e| e.type_id == id)
    }
}

impl Clone for EcpList {
    /// A clone shares the values and their acknowledged flags with the original, so a
    /// driver that acknowledges a parameter of a cloned request is seen by the caller.
    fn clone(&self) -> Self {
        EcpList {
            entries: self
                .entries
                .iter()
                .map(|e| Entry {
                    type_id: e.type_id,
                    type_name: e.type_name,
                    value: Arc::clone(&e.value),
                    acknowledged: Arc::clone(&e.acknowledged),
                })
                .collect(),
        }
    }
}

impl fmt::Debug for EcpList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| e.type_name))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type_and_shared_acknowledgement() {
        let mut list = EcpList::new();
        assert!(list.insert(5u32).is_none());
        assert_eq!(list.insert(7u32).as_deref(), Some(&5));
        list.insert(String::from("x"));
        assert_eq!(list.len(), 2);
        assert_eq!(list.get::<u32>(), Some(&7));
        assert_eq!(list.get::<u64>(), None);
        let copy = list.clone();
        assert!(copy.acknowledge::<String>());
        assert!(list.is_acknowledged::<String>());
        assert!(!copy.acknowledge::<u64>());
    }
}
