//! [`NdrWriter`]: the NDR 2.0 encoder (C706 14.2-14.3), little-endian unless told.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use bytes::BufMut;

use super::{ByteOrder, Ndr};

/// The first referent id this writer hands out; later ids step by 4, as Windows does.
pub const FIRST_REFERENT_ID: u32 = 0x0002_0000;

/// An NDR 2.0 encoder into a growing buffer.
///
/// Every primitive aligns itself (to its size) with zero padding; alignment is relative to
/// the start of the buffer, which must be the start of the stub data. Pointers get referent
/// ids from [`NdrWriter::referent`]. Deferred pointees are written by the two-phase
/// [`Ndr::encode_flat`] / [`Ndr::encode_deferred`] walk, so that embedded pointees follow
/// their containing structure while top-level pointees follow their referent id directly.
pub struct NdrWriter {
    buf: Vec<u8>,
    order: ByteOrder,
    next_referent: u32,
    // Full pointers: object address -> (referent id, pointee written, the object itself,
    // held so that its address cannot be reused while this writer lives).
    full: HashMap<usize, (u32, bool, Arc<dyn Any + Send + Sync>)>,
}

impl Default for NdrWriter {
    fn default() -> NdrWriter {
        NdrWriter::new()
    }
}

impl std::fmt::Debug for NdrWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdrWriter")
            .field("len", &self.buf.len())
            .field("next_referent", &self.next_referent)
            .finish()
    }
}

impl NdrWriter {
    /// An empty writer.
    pub fn new() -> NdrWriter {
        NdrWriter {
            buf: Vec::new(),
            order: ByteOrder::LittleEndian,
            next_referent: FIRST_REFERENT_ID,
            full: HashMap::new(),
        }
    }

    /// Writes integers in `order` (the `drep` of the PDU must say so).
    #[must_use]
    pub fn with_byte_order(mut self, order: ByteOrder) -> NdrWriter {
        self.order = order;
        self
    }

    /// The byte order integers are written in.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Bytes written so far (the current offset).
    pub fn position(&self) -> usize {
        self.buf.len()
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The encoded stub.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Pads with zeros to a multiple of `align` (1, 2, 4 or 8).
    pub fn align(&mut self, align: usize) {
        if align > 1 {
            let pad = (align - self.buf.len() % align) % align;
            self.buf.put_bytes(0, pad);
        }
    }

    /// Writes raw bytes, unaligned.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.put_slice(b);
    }

    /// Writes a `u8` / `small`.
    pub fn u8(&mut self, v: u8) {
        self.buf.put_u8(v);
    }

    /// Writes a 2-aligned `u16` / `short`.
    pub fn u16(&mut self, v: u16) {
        self.align(2);
        match self.order {
            ByteOrder::LittleEndian => self.buf.put_u16_le(v),
            ByteOrder::BigEndian => self.buf.put_u16(v),
        }
    }

    /// Writes a 4-aligned `u32` / `long`.
    pub fn u32(&mut self, v: u32) {
        self.align(4);
        match self.order {
            ByteOrder::LittleEndian => self.buf.put_u32_le(v),
            ByteOrder::BigEndian => self.buf.put_u32(v),
        }
    }

    /// Writes an 8-aligned `u64` / `hyper`.
    pub fn u64(&mut self, v: u64) {
        self.align(8);
        match self.order {
            ByteOrder::LittleEndian => self.buf.put_u64_le(v),
            ByteOrder::BigEndian => self.buf.put_u64(v),
        }
    }

    /// Writes a pointer's referent id: 0 when `present` is false, otherwise a fresh
    /// non-zero id. Returns the id written.
    pub fn referent(&mut self, present: bool) -> u32 {
        let id = if present {
            let id = self.next_referent;
            self.next_referent = self.next_referent.wrapping_add(4).max(FIRST_REFERENT_ID);
            id
        } else {
            0
        };
        self.u32(id);
        id
    }

    /// Encodes `value` completely (its flat part, then its deferred pointees).
    pub fn write<T: Ndr>(&mut self, value: &T) {
        value.encode(self);
    }

    /// The referent id of a full-pointer target, the same for the same object.
    pub(crate) fn full_referent<T: Any + Send + Sync>(&mut self, target: &Arc<T>) -> u32 {
        let key = Arc::as_ptr(target) as *const () as usize;
        if let Some((id, _, _)) = self.full.get(&key) {
            let id = *id;
            self.u32(id);
            return id;
        }
        let id = self.referent(true);
        let keep: Arc<dyn Any + Send + Sync> = target.clone();
        self.full.insert(key, (id, false, keep));
        id
    }

    /// Whether a full-pointer target still has to be written (true once per object).
    pub(crate) fn full_first_emit<T: Any + Send + Sync>(&mut self, target: &Arc<T>) -> bool {
        let key = Arc::as_ptr(target) as *const () as usize;
        match self.full.get_mut(&key) {
            Some((_, emitted, _)) if !*emitted => {
                *emitted = true;
                true
            }
            Some(_) => false,
            // Not seen in the flat phase: the caller skipped it; write it anyway.
            None => true,
        }
    }
}
