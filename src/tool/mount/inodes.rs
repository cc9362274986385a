//! The inode table: which share path each inode number the kernel holds stands for.
//!
//! Inode numbers are the server's file ids (FileInternalInformation, MS-FSCC 2.4.22), so
//! `stat` shows the same number for a file whatever name reached it and across remounts;
//! the share root is always inode 1 (FUSE's root). The two ids a server could give that
//! would clash with FUSE's reserved numbers (0 and 1) are moved to the top of the range.
//!
//! The kernel counts its references: each entry reply (lookup, create, mkdir) adds one,
//! `forget` takes them away, and an inode whose count falls to zero leaves the table, so
//! the table holds only what the kernel's dentry cache holds. A rename rewrites the paths
//! of the renamed inode and of everything below it.

use std::collections::HashMap;

use fuser::INodeNo;

/// Where an id of 0 or 1 goes: FUSE reserves 0 and gives 1 to the root.
const RESERVED_MOVED: u64 = 1 << 63;

/// One inode the kernel knows: its path from the share root (`""` for the root, `a/b`
/// below it) and the kernel's reference count.
#[derive(Debug)]
struct Node {
    path: String,
    lookups: u64,
}

/// Inode number to path, for the inodes the kernel holds.
#[derive(Debug)]
pub(crate) struct Inodes {
    nodes: HashMap<u64, Node>,
}

/// The inode number for the server's file id `id`.
pub(crate) fn ino_of(id: u64) -> INodeNo {
    match id {
        0 | 1 => INodeNo(id | RESERVED_MOVED),
        id => INodeNo(id),
    }
}

impl Inodes {
    /// A table that holds the root only.
    pub(crate) fn new() -> Inodes {
        let mut nodes = HashMap::new();
        nodes.insert(
            INodeNo::ROOT.0,
            Node {
                path: String::new(),
                lookups: 1,
            },
        );
        Inodes { nodes }
    }

    /// The path of `ino`, when the kernel still holds it.
    pub(crate) fn path(&self, ino: INodeNo) -> Option<&str> {
        self.nodes.get(&ino.0).map(|n| n.path.as_str())
    }

    /// The inode the kernel holds at `path`, if any.
    pub(crate) fn find(&self, path: &str) -> Option<INodeNo> {
        self.nodes
            .iter()
            .find(|(_, n)| n.path == path)
            .map(|(ino, _)| INodeNo(*ino))
    }

    /// Records an entry reply: `ino` is at `path`, and the kernel holds one more reference.
    /// A file reached by a second name (a hard link) answers to the latest.
    pub(crate) fn looked_up(&mut self, ino: INodeNo, path: &str) {
        if ino == INodeNo::ROOT {
            return;
        }
        let node = self.nodes.entry(ino.0).or_insert_with(|| Node {
            path: String::new(),
            lookups: 0,
        });
        path.clone_into(&mut node.path);
        node.lookups += 1;
    }

    /// The kernel dropped `n` references to `ino`.
    pub(crate) fn forget(&mut self, ino: INodeNo, n: u64) {
        if ino == INodeNo::ROOT {
            return;
        }
        if let Some(node) = self.nodes.get_mut(&ino.0) {
            node.lookups = node.lookups.saturating_sub(n);
            if node.lookups == 0 {
                self.nodes.remove(&ino.0);
            }
        }
    }

    /// `from` was renamed to `to`: every inode at or below `from` moves.
    pub(crate) fn renamed(&mut self, from: &str, to: &str) {
        let below = format!("{from}/");
        for node in self.nodes.values_mut() {
            if node.path == from {
                to.clone_into(&mut node.path);
            } else if let Some(rest) = node.path.strip_prefix(&below) {
                node.path = format!("{to}/{rest}");
            }
        }
    }

    /// How many inodes the table holds (the root included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.nodes.len()
    }
}

/// `name` under the directory at `parent` (`""` is the share root).
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_forgets_and_renames() {
        let mut t = Inodes::new();
        assert_eq!(t.path(INodeNo::ROOT), Some(""));
        t.looked_up(INodeNo(10), "a");
        t.looked_up(INodeNo(11), "a/b");
        t.looked_up(INodeNo(12), "a/b/c");
        t.looked_up(INodeNo(13), "ab");
        t.looked_up(INodeNo(11), "a/b");
        t.renamed("a", "z");
        assert_eq!(t.path(INodeNo(12)), Some("z/b/c"));
        assert_eq!(
            t.path(INodeNo(13)),
            Some("ab"),
            "a sibling with the prefix stays"
        );
        t.forget(INodeNo(11), 1);
        assert_eq!(t.path(INodeNo(11)), Some("z/b"), "one reference left");
        t.forget(INodeNo(11), 1);
        assert_eq!(t.path(INodeNo(11)), None);
        t.forget(INodeNo::ROOT, 5);
        assert_eq!(
            t.path(INodeNo::ROOT),
            Some(""),
            "the root is never forgotten"
        );
        assert_eq!(t.len(), 4);
        assert_eq!(t.find("z/b/c"), Some(INodeNo(12)));
        assert_eq!(t.find("nothing"), None);
    }

    #[test]
    fn reserved_ids_move() {
        assert_eq!(ino_of(0), INodeNo(RESERVED_MOVED));
        assert_eq!(ino_of(1), INodeNo(RESERVED_MOVED | 1));
        assert_eq!(ino_of(77), INodeNo(77));
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("a", "b"), "a/b");
    }
}
