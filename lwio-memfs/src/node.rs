//! The in-memory tree: directories of case-insensitive, case-preserving names, and files
//! that are byte vectors.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lwio_core::NtStatus;
use parking_lot::{Mutex, RwLock};

/// The largest file memfs holds; a write past it fails with STATUS_DISK_FULL.
pub const MAX_FILE_SIZE: u64 = 1 << 32;

/// A file's bytes. This is the driver code the IRP benchmark also calls directly.
pub trait ByteStore: Send + Sync {
    /// Up to `length` bytes at `offset`; STATUS_END_OF_FILE at or past the end.
    fn read_at(&self, offset: u64, length: u32) -> Result<Vec<u8>, NtStatus>;
    /// Writes `data` at `offset` (`u64::MAX`: at the end); returns the bytes written.
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<u64, NtStatus>;
    /// The current size.
    fn len(&self) -> u64;
    /// True when the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The current time as a FILETIME (100 ns units since 1601-01-01 UTC).
pub(crate) fn filetime_now() -> i64 {
    const UNIX_TO_1601: i64 = 11_644_473_600 * 10_000_000;
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_nanos() / 100)
        .unwrap_or(i64::MAX - UNIX_TO_1601)
        .saturating_add(UNIX_TO_1601)
}

/// A node's times, as FILETIMEs: creation, and the last write (also reported as the last
/// access and change). Writes and size changes move the last write.
#[derive(Debug)]
pub struct Times {
    created: AtomicI64,
    written: AtomicI64,
}

impl Default for Times {
    fn default() -> Self {
        let now = filetime_now();
        Times {
            created: AtomicI64::new(now),
            written: AtomicI64::new(now),
        }
    }
}

impl Times {
    /// The creation time.
    pub fn created(&self) -> i64 {
        self.created.load(Ordering::Relaxed)
    }

    /// The last write time.
    pub fn written(&self) -> i64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Sets the times given (a set-basic-information request's positive values).
    pub fn set(&self, created: Option<i64>, written: Option<i64>) {
        if let Some(t) = created {
            self.created.store(t, Ordering::Relaxed);
        }
        if let Some(t) = written {
            self.written.store(t, Ordering::Relaxed);
        }
    }

    fn touch(&self) {
        self.written.store(filetime_now(), Ordering::Relaxed);
    }
}

/// A regular file.
#[derive(Default)]
pub struct MemFile {
    data: RwLock<Vec<u8>>,
    times: Times,
}

impl MemFile {
    /// Sets the size, zero-filling when it grows.
    pub fn set_len(&self, len: u64) -> Result<(), NtStatus> {
        let len = usize::try_from(len).map_err(|_| NtStatus::DISK_FULL)?;
        if len as u64 > MAX_FILE_SIZE {
            return Err(NtStatus::DISK_FULL);
        }
        self.data.write().resize(len, 0);
        self.times.touch();
        Ok(())
    }
}

impl ByteStore for MemFile {
    fn read_at(&self, offset: u64, length: u32) -> Result<Vec<u8>, NtStatus> {
        let data = self.data.read();
        let size = data.len() as u64;
        if offset >= size {
            return Err(NtStatus::END_OF_FILE);
        }
        // offset < size <= usize::MAX, so these conversions are exact.
        let start = offset as usize;
        let end = (offset.saturating_add(u64::from(length))).min(size) as usize;
        Ok(data[start..end].to_vec())
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<u64, NtStatus> {
        let mut data = self.data.write();
        let start = if offset == u64::MAX {
            data.len() as u64
        } else {
            offset
        };
        let end = start
            .checked_add(bytes.len() as u64)
            .filter(|&e| e <= MAX_FILE_SIZE)
            .ok_or(NtStatus::DISK_FULL)?;
        let (start, end) = (start as usize, end as usize);
        if data.len() < end {
            data.resize(end, 0);
        }
        data[start..end].copy_from_slice(bytes);
        drop(data);
        self.times.touch();
        Ok(bytes.len() as u64)
    }

    fn len(&self) -> u64 {
        self.data.read().len() as u64
    }
}

/// A directory: lower-cased name to (name as created, child).
#[derive(Default)]
pub struct MemDir {
    entries: Mutex<BTreeMap<String, (String, Arc<Node>)>>,
    times: Times,
}

/// A file or a directory.
pub enum Node {
    /// A regular file.
    File(MemFile),
    /// A directory.
    Dir(MemDir),
}

impl Node {
    /// A new empty file.
    pub fn new_file() -> Arc<Node> {
        Arc::new(Node::File(MemFile::default()))
    }

    /// A new empty directory.
    pub fn new_dir() -> Arc<Node> {
        Arc::new(Node::Dir(MemDir::default()))
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self, Node::Dir(_))
    }

    /// The node's times.
    pub fn times(&self) -> &Times {
        match self {
            Node::File(f) => &f.times,
            Node::Dir(d) => &d.times,
        }
    }

    /// The size in bytes (0 for a directory).
    pub fn size(&self) -> u64 {
        match self {
            Node::File(f) => f.len(),
            Node::Dir(_) => 0,
        }
    }
}

impl MemDir {
    /// The child called `name` (any case).
    pub fn get(&self, name: &str) -> Option<Arc<Node>> {
        self.entries
            .lock()
            .get(&fold(name))
            .map(|(_, n)| Arc::clone(n))
    }

    /// Looks `name` up and, when missing, adds what `make` builds, atomically; the bool says
    /// whether the node is new.
    pub fn get_or_insert(&self, name: &str, make: impl FnOnce() -> Arc<Node>) -> (Arc<Node>, bool) {
        let mut entries = self.entries.lock();
        let key = fold(name);
        if let Some((_, n)) = entries.get(&key) {
            return (Arc::clone(n), false);
        }
        let node = make();
        entries.insert(key, (name.to_owned(), Arc::clone(&node)));
        (node, true)
    }

    /// Replaces the child `name` with `node` (supersede).
    pub fn replace(&self, name: &str, node: Arc<Node>) {
        self.entries
            .lock()
            .insert(fold(name), (name.to_owned(), node));
    }

    /// Removes the child `name` if it is still `node`.
    pub fn remove_if(&self, name: &str, node: &Arc<Node>) -> bool {
        let mut entries = self.entries.lock();
        let key = fold(name);
        match entries.get(&key) {
            Some((_, n)) if Arc::ptr_eq(n, node) => {
                entries.remove(&key);
                true
            }
            _ => false,
        }
    }

    /// True when the directory has no children.
    pub fn is_empty(&self) -> bool {
        self.entries.lock().is_empty()
    }

    /// The children with their names as created, in case-insensitive order.
    pub fn children(&self) -> Vec<(String, Arc<Node>)> {
        self.entries.lock().values().cloned().collect()
    }

    /// The children's names as created, in case-insensitive order.
    pub fn names(&self) -> Vec<String> {
        self.entries
            .lock()
            .values()
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// The case-folded form names are keyed by.
fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// Splits a device-relative path into checked components: no empty component (a doubled
/// or trailing slash), no `.` or `..`, none of the characters Windows forbids in names.
pub fn components(path: &str) -> Result<Vec<&str>, NtStatus> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    path.split('/')
        .map(|c| {
            let bad = c.is_empty()
                || c == "."
                || c == ".."
                || c.len() > 255
                || c.chars().any(|ch| ch < ' ' || "\\:*?\"<>|".contains(ch));
            if bad {
                Err(NtStatus::OBJECT_NAME_INVALID)
            } else {
                Ok(c)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_and_eof() {
        let f = MemFile::default();
        assert_eq!(f.read_at(0, 10), Err(NtStatus::END_OF_FILE));
        assert_eq!(f.write_at(3, b"abc"), Ok(3));
        assert_eq!(f.read_at(0, 10).unwrap(), b"\0\0\0abc");
        assert_eq!(f.write_at(u64::MAX, b"d"), Ok(1));
        assert_eq!(f.read_at(5, 10).unwrap(), b"cd");
        assert_eq!(f.write_at(u64::MAX - 1, b"xx"), Err(NtStatus::DISK_FULL));
        assert_eq!(f.read_at(u64::MAX, 1), Err(NtStatus::END_OF_FILE));
    }

    #[test]
    fn names_fold_case_and_refuse_bad_components() {
        let d = MemDir::default();
        let (a, new) = d.get_or_insert("Readme.TXT", Node::new_file);
        assert!(new);
        let (b, new) = d.get_or_insert("README.txt", Node::new_file);
        assert!(!new && Arc::ptr_eq(&a, &b));
        assert_eq!(d.names(), vec!["Readme.TXT".to_string()]);
        assert_eq!(components("a/b").unwrap(), vec!["a", "b"]);
        for bad in ["a//b", "a/", "..", "a/./b", "a:b", "x*"] {
            assert_eq!(components(bad), Err(NtStatus::OBJECT_NAME_INVALID), "{bad}");
        }
    }
}
