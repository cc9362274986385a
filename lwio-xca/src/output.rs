//! The bounded output buffer every decompressor writes into: allocated once at the
//! announced size (after the limit check), never grown past it.

use crate::Error;

pub(crate) struct Output {
    buf: Vec<u8>,
    cap: usize,
}

impl Output {
    /// Checks `expected` against `limit`, then allocates `expected` bytes of capacity.
    pub(crate) fn new(expected: usize, limit: usize) -> Result<Self, Error> {
        if expected > limit {
            return Err(Error::TooLarge {
                announced: expected,
                limit,
            });
        }
        Ok(Output {
            buf: Vec::with_capacity(expected),
            cap: expected,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() == self.cap
    }

    pub(crate) fn room(&self) -> usize {
        self.cap - self.buf.len()
    }

    pub(crate) fn push(&mut self, byte: u8) -> Result<(), Error> {
        if self.is_full() {
            return Err(Error::Overrun);
        }
        self.buf.push(byte);
        Ok(())
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() > self.room() {
            return Err(Error::Overrun);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Appends `len` zero bytes.
    pub(crate) fn zeros(&mut self, len: usize) -> Result<(), Error> {
        if len > self.room() {
            return Err(Error::Overrun);
        }
        self.buf.resize(self.buf.len() + len, 0);
        Ok(())
    }

    /// Copies `len` bytes from `distance` back (the source may overlap what it writes).
    pub(crate) fn copy_match(&mut self, distance: usize, len: usize) -> Result<(), Error> {
        if distance == 0 || distance > self.buf.len() {
            return Err(Error::BadOffset);
        }
        if len > self.room() {
            return Err(Error::Overrun);
        }
        let start = self.buf.len() - distance;
        if distance >= len {
            self.buf.extend_from_within(start..start + len);
        } else {
            for i in 0..len {
                let b = self.buf[start + i];
                self.buf.push(b);
            }
        }
        Ok(())
    }

    /// The output, which must be exactly the announced size.
    pub(crate) fn finish(self) -> Result<Vec<u8>, Error> {
        if self.buf.len() != self.cap {
            return Err(Error::Truncated);
        }
        Ok(self.buf)
    }
}
