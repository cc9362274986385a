//! Association groups (C706 12.6.4.3 `assoc_group_id`; MS-RPCE 3.3.1.1, the
//! association of the abstract data model): the connections of one client process to one
//! server endpoint. A bind with `assoc_group_id` zero starts a group; a bind naming a
//! live group joins it. The context handles belong to the group, so a handle opened on
//! one connection works on the others; the group, and with it its handles (rundown),
//! ends when its last connection does. Naming a group that ended is a bind_nak.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::HandleTable;

/// One association group, held by each of its connections.
#[derive(Debug)]
pub(crate) struct AssocGroup {
    pub(crate) id: u32,
    pub(crate) handles: Arc<HandleTable>,
}

impl Drop for AssocGroup {
    fn drop(&mut self) {
        // Context handle rundown: the handles die with the last connection, even if a
        // pending call's future still holds the table.
        self.handles.clear();
    }
}

/// The live groups of a server.
#[derive(Debug)]
pub(crate) struct AssocGroups {
    next: AtomicU32,
    live: Mutex<HashMap<u32, Weak<AssocGroup>>>,
}

impl AssocGroups {
    pub(crate) fn new() -> AssocGroups {
        AssocGroups {
            next: AtomicU32::new(0x0001_2340),
            live: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a group with a fresh non-zero id.
    pub(crate) fn create(&self) -> Arc<AssocGroup> {
        let mut live = self.live.lock();
        live.retain(|_, g| g.strong_count() > 0);
        let mut id = self.next.fetch_add(1, Ordering::Relaxed);
        while id == 0 || live.contains_key(&id) {
            id = self.next.fetch_add(1, Ordering::Relaxed);
        }
        let group = Arc::new(AssocGroup {
            id,
            handles: Arc::new(HandleTable::new()),
        });
        live.insert(id, Arc::downgrade(&group));
        group
    }

    /// The live group `id`, to join.
    pub(crate) fn join(&self, id: u32) -> Option<Arc<AssocGroup>> {
        self.live.lock().get(&id).and_then(Weak::upgrade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_live_while_held_and_share_handles() {
        let groups = AssocGroups::new();
        let a = groups.create();
        let b = groups.create();
        assert_ne!(a.id, b.id);
        let joined = groups.join(a.id).unwrap();
        let h = joined.handles.create(7u32).unwrap();
        assert_eq!(*a.handles.lookup::<u32>(&h).unwrap(), 7);
        let table = Arc::clone(&a.handles);
        drop(a);
        assert!(groups.join(joined.id).is_some());
        let id = joined.id;
        drop(joined);
        // The last connection left: the group is gone and its handles ran down.
        assert!(groups.join(id).is_none());
        assert!(table.is_empty());
        assert!(groups.join(b.id).is_some());
        assert!(groups.join(0).is_none());
    }
}
