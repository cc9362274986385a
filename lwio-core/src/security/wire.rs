//! The MS-DTYP 2.4 binary structures read through the family's one checked reader
//! ([`lwio_types::Reader`]), with the structure's name added to a truncation error so a
//! refused descriptor says which part ran short.

use lwio_types::ReadError;

use super::SecurityError;

/// A [`lwio_types::Reader`] whose errors name the structure being read.
pub(super) struct Reader<'a> {
    inner: lwio_types::Reader<'a>,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`; `what` names the structure in errors.
    pub(super) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader {
            inner: lwio_types::Reader::new(buf),
            what,
        }
    }

    /// Bytes consumed so far.
    pub(super) fn pos(&self) -> usize {
        self.inner.position()
    }

    fn named<T>(&self, r: Result<T, ReadError>) -> Result<T, SecurityError> {
        r.map_err(|e| match e {
            ReadError::Truncated {
                offset,
                wanted,
                len,
            } => SecurityError::Truncated {
                what: self.what,
                needed: offset.saturating_add(wanted),
                available: len,
            },
            // Only `take` and the integers are used here: they fail by truncation alone.
            _ => SecurityError::Truncated {
                what: self.what,
                needed: usize::MAX,
                available: self.inner.input().len(),
            },
        })
    }

    /// Takes the next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], SecurityError> {
        let r = self.inner.take(n);
        self.named(r)
    }

    /// Reads one byte.
    pub(super) fn u8(&mut self) -> Result<u8, SecurityError> {
        let r = self.inner.u8();
        self.named(r)
    }

    /// Reads a little-endian u16.
    pub(super) fn u16(&mut self) -> Result<u16, SecurityError> {
        let r = self.inner.u16();
        self.named(r)
    }

    /// Reads a little-endian u32.
    pub(super) fn u32(&mut self) -> Result<u32, SecurityError> {
        let r = self.inner.u32();
        self.named(r)
    }
}
