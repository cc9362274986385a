//! A small cache of decoded security descriptors, so that an open does not decode the same
//! descriptor again and again.
//!
//! Files of one share mostly carry a handful of distinct descriptors (those inherited from a
//! few parent directories), and files without a stored one get a descriptor made from a
//! handful of (owner, group, mode) triples. The cache maps each *key* (the descriptor's
//! stored bytes, or the triple it is derived from) to the decoded
//! [`SecurityDescriptor`], shared through an [`Arc`].
//!
//! Nothing here can go stale: the key is the whole input of the decoding (the exact bytes
//! read from the file just now, or the stat just taken), not the file's identity, so a
//! changed descriptor is a different key. The cache only saves the decoding. It is bounded
//! ([`SLOTS`] entries, oldest replaced first) and never holds a descriptor larger than
//! [`MAX_KEY`] bytes.

use std::sync::Arc;

use lwio_core::SecurityDescriptor;
use parking_lot::Mutex;

/// How many descriptors are kept.
pub(crate) const SLOTS: usize = 16;

/// Stored descriptors larger than this are decoded each time, not kept.
pub(crate) const MAX_KEY: usize = 4096;

/// What a descriptor is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DescriptorKey<'a> {
    /// The self-relative bytes stored in the file's attribute.
    Stored(&'a [u8]),
    /// No descriptor stored: one derived from the owner, group, mode bits and file type.
    Derived {
        /// Owner uid.
        uid: u32,
        /// Owner gid.
        gid: u32,
        /// The low 12 bits of `st_mode`.
        mode: u32,
        /// A directory.
        is_dir: bool,
    },
}

#[derive(PartialEq, Eq)]
enum OwnedKey {
    Stored(Box<[u8]>),
    Derived {
        uid: u32,
        gid: u32,
        mode: u32,
        is_dir: bool,
    },
}

impl OwnedKey {
    fn matches(&self, key: &DescriptorKey<'_>) -> bool {
        match (self, key) {
            (OwnedKey::Stored(a), DescriptorKey::Stored(b)) => **a == **b,
            (
                OwnedKey::Derived {
                    uid,
                    gid,
                    mode,
                    is_dir,
                },
                DescriptorKey::Derived {
                    uid: u,
                    gid: g,
                    mode: m,
                    is_dir: d,
                },
            ) => (uid, gid, mode, is_dir) == (u, g, m, d),
            _ => false,
        }
    }

    fn from_key(key: &DescriptorKey<'_>) -> OwnedKey {
        match *key {
            DescriptorKey::Stored(b) => OwnedKey::Stored(b.into()),
            DescriptorKey::Derived {
                uid,
                gid,
                mode,
                is_dir,
            } => OwnedKey::Derived {
                uid,
                gid,
                mode,
                is_dir,
            },
        }
    }
}

#[derive(Default)]
struct Slots {
    entries: Vec<(OwnedKey, Arc<SecurityDescriptor>)>,
    /// The entry replaced next once all [`SLOTS`] are used.
    next: usize,
}

/// The cache; see the module docs.
#[derive(Default)]
pub(crate) struct DescriptorCache {
    slots: Mutex<Slots>,
}

impl std::fmt::Debug for DescriptorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DescriptorCache").finish_non_exhaustive()
    }
}

impl DescriptorCache {
    /// The descriptor made from `key`: the cached one, or `make(key)`'s, kept for next time.
    /// `None` when `make` fails (a stored descriptor that does not decode); failures are not
    /// kept.
    pub(crate) fn get_or_make(
        &self,
        key: DescriptorKey<'_>,
        make: impl FnOnce() -> Option<SecurityDescriptor>,
    ) -> Option<Arc<SecurityDescriptor>> {
        if let Some((_, sd)) = self
            .slots
            .lock()
            .entries
            .iter()
            .find(|(k, _)| k.matches(&key))
        {
            return Some(Arc::clone(sd));
        }
        let sd = Arc::new(make()?);
        if matches!(key, DescriptorKey::Stored(b) if b.len() > MAX_KEY) {
            return Some(sd);
        }
        let mut slots = self.slots.lock();
        if !slots.entries.iter().any(|(k, _)| k.matches(&key)) {
            let entry = (OwnedKey::from_key(&key), Arc::clone(&sd));
            if slots.entries.len() < SLOTS {
                slots.entries.push(entry);
            } else {
                let i = slots.next;
                slots.entries[i] = entry;
                slots.next = (i + 1) % SLOTS;
            }
        }
        Some(sd)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_core::security::well_known;

    fn sd_owned_by(n: u32) -> SecurityDescriptor {
        let mut sd = SecurityDescriptor::new();
        sd.owner = Some(well_known::unix_user(n));
        sd
    }

    #[test]
    fn same_bytes_decode_once_and_other_bytes_are_other_keys() {
        let cache = DescriptorCache::default();
        let mut made = 0;
        let a = cache
            .get_or_make(DescriptorKey::Stored(b"one"), || {
                made += 1;
                Some(sd_owned_by(1))
            })
            .unwrap();
        let b = cache
            .get_or_make(DescriptorKey::Stored(b"one"), || {
                made += 1;
                Some(sd_owned_by(2))
            })
            .unwrap();
        assert_eq!(made, 1);
        assert!(Arc::ptr_eq(&a, &b));
        // A changed descriptor is a different key: never the stale one.
        let c = cache
            .get_or_make(DescriptorKey::Stored(b"two"), || Some(sd_owned_by(2)))
            .unwrap();
        assert_eq!(c.owner, Some(well_known::unix_user(2)));
        // Derived keys differ by every field.
        let d = |mode, is_dir| DescriptorKey::Derived {
            uid: 1,
            gid: 1,
            mode,
            is_dir,
        };
        let x = cache.get_or_make(d(0o644, false), || Some(sd_owned_by(3)));
        let y = cache.get_or_make(d(0o644, true), || Some(sd_owned_by(4)));
        let z = cache.get_or_make(d(0o600, false), || Some(sd_owned_by(5)));
        let owners: Vec<_> = [x, y, z]
            .iter()
            .map(|s| s.as_ref().unwrap().owner)
            .collect();
        assert_eq!(
            owners,
            [3, 4, 5].map(|n| Some(well_known::unix_user(n))).to_vec()
        );
    }

    #[test]
    fn failures_are_not_kept_and_the_cache_is_bounded() {
        let cache = DescriptorCache::default();
        assert!(
            cache
                .get_or_make(DescriptorKey::Stored(b"bad"), || None)
                .is_none()
        );
        assert_eq!(cache.len(), 0);
        for i in 0..(SLOTS as u32 * 3) {
            let bytes = i.to_le_bytes();
            let sd = cache
                .get_or_make(DescriptorKey::Stored(&bytes), || Some(sd_owned_by(i)))
                .unwrap();
            assert_eq!(sd.owner, Some(well_known::unix_user(i)));
        }
        assert_eq!(cache.len(), SLOTS);
        // Too large to keep, still answered.
        let big = vec![1u8; MAX_KEY + 1];
        assert!(
            cache
                .get_or_make(DescriptorKey::Stored(&big), || Some(sd_owned_by(9)))
                .is_some()
        );
        assert!(
            !cache
                .slots
                .lock()
                .entries
                .iter()
                .any(|(k, _)| matches!(k, OwnedKey::Stored(b) if b.len() > MAX_KEY))
        );
    }
}
