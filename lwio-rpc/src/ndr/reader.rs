//! [`NdrReader`]: the NDR 2.0 decoder over a borrowed stub (C706 14.2-14.3), with the
//! bounds that make hostile counts and nesting harmless.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use lwio_types::Reader;

use super::{ByteOrder, Ndr};
use crate::NdrError;

/// Default bound on pointer nesting ([`NdrReader::with_max_depth`]).
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Default bound on the total number of array elements ([`NdrReader::with_max_elements`]).
pub const DEFAULT_MAX_ELEMENTS: usize = 1 << 22;

/// A full-pointer table entry: `None` while the pointee is being decoded.
type FullEntry = Option<Arc<dyn Any + Send + Sync>>;

/// An NDR 2.0 decoder over `&[u8]`.
///
/// * Alignment is relative to the start of the buffer (the start of the stub); padding
///   must be zero unless [`NdrReader::lenient_padding`] was asked for.
/// * Every count is checked against the bytes left (count × the element's minimum wire
///   size) before anything is allocated, and all counts together against a total element
///   budget.
/// * Each complete [`Ndr::decode`] (a top-level value or a pointee) is one nesting level;
///   deeper than the bound is [`NdrError::DepthExceeded`].
///
/// The bytes themselves come through the family's one checked reader
/// ([`lwio_types::Reader`]); this type adds NDR's alignment, byte order and bounds.
///
/// After an error the reader's state is unspecified; drop it.
pub struct NdrReader<'a> {
    cursor: Reader<'a>,
    order: ByteOrder,
    slack: usize,
    strict_padding: bool,
    depth: usize,
    max_depth: usize,
    elements: usize,
    max_elements: usize,
    // One queue per nesting level: values a flat phase leaves for the deferred phase of the
    // same level (referent ids, and lengths that a pointee must agree with).
    levels: Vec<VecDeque<u32>>,
    full: HashMap<u32, FullEntry>,
}

impl std::fmt::Debug for NdrReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdrReader")
            .field("pos", &self.cursor.position())
            .field("len", &self.cursor.input().len())
            .field("depth", &self.depth)
            .finish()
    }
}

impl<'a> NdrReader<'a> {
    /// A strict reader over `buf` with the default bounds.
    pub fn new(buf: &'a [u8]) -> NdrReader<'a> {
        NdrReader {
            cursor: Reader::new(buf),
            order: ByteOrder::LittleEndian,
            slack: 0,
            strict_padding: true,
            depth: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            elements: 0,
            max_elements: DEFAULT_MAX_ELEMENTS,
            levels: Vec::new(),
            full: HashMap::new(),
        }
    }

    /// Reads integers in `order`: the sender's data representation, from the `drep` of
    /// the PDU that carried the stub (little-endian unless told).
    #[must_use]
    pub fn with_byte_order(mut self, order: ByteOrder) -> NdrReader<'a> {
        self.order = order;
        self
    }

    /// Lets [`NdrReader::finish`] accept up to `n` zero octets after the last value: the
    /// alignment padding a client puts between the stub and a verification trailer
    /// (MS-RPCE 2.2.2.13) once the trailer is cut off.
    #[must_use]
    pub fn allow_trailing_padding(mut self, n: usize) -> NdrReader<'a> {
        self.slack = n;
        self
    }

    /// The byte order integers are read in.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Accepts non-zero alignment padding.
    #[must_use]
    pub fn lenient_padding(mut self) -> NdrReader<'a> {
        self.strict_padding = false;
        self
    }

    /// Sets the nesting bound.
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> NdrReader<'a> {
        self.max_depth = depth;
        self
    }

    /// Sets the total element budget.
    #[must_use]
    pub fn with_max_elements(mut self, elements: usize) -> NdrReader<'a> {
        self.max_elements = elements;
        self
    }

    /// The current offset.
    pub fn position(&self) -> usize {
        self.cursor.position()
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.cursor.remaining()
    }

    /// Succeeds when every byte was read ([`NdrError::TrailingBytes`] otherwise).
    pub fn finish(&self) -> Result<(), NdrError> {
        match self.remaining() {
            0 => Ok(()),
            n if n <= self.slack && self.cursor.peek_rest().iter().all(|b| *b == 0) => Ok(()),
            n => Err(NdrError::TrailingBytes(n)),
        }
    }

    /// Skips padding to a multiple of `align`; strict readers require zero padding.
    pub fn align(&mut self, align: usize) -> Result<(), NdrError> {
        if align <= 1 {
            return Ok(());
        }
        let at = self.cursor.position();
        let pad = (align - at % align) % align;
        let padding = self.bytes(pad)?;
        if self.strict_padding && padding.iter().any(|b| *b != 0) {
            return Err(NdrError::NonZeroPadding(at));
        }
        Ok(())
    }

    /// Takes `n` raw bytes, unaligned.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], NdrError> {
        Ok(self.cursor.take(n)?)
    }

    /// Reads a `u8` / `small`.
    pub fn u8(&mut self) -> Result<u8, NdrError> {
        Ok(self.bytes(1)?[0])
    }

    /// Takes `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], NdrError> {
        Ok(self.cursor.array()?)
    }

    /// Reads a 2-aligned `u16`.
    pub fn u16(&mut self) -> Result<u16, NdrError> {
        self.align(2)?;
        Ok(self.order.u16(self.array()?))
    }

    /// Reads a 4-aligned `u32`.
    pub fn u32(&mut self) -> Result<u32, NdrError> {
        self.align(4)?;
        Ok(self.order.u32(self.array()?))
    }

    /// Reads an 8-aligned `u64` / `hyper`.
    pub fn u64(&mut self) -> Result<u64, NdrError> {
        self.align(8)?;
        Ok(self.order.u64(self.array()?))
    }

    /// Decodes a complete value (flat part and pointees).
    pub fn read<T: Ndr>(&mut self) -> Result<T, NdrError> {
        T::decode(self)
    }

    /// Checks a count read off the wire before anything is allocated for it: `count`
    /// elements of at least `min_size` bytes each must fit in the bytes left, and the total
    /// element budget must allow them. Returns the count as `usize`.
    pub fn check_count(&mut self, count: u32, min_size: usize) -> Result<usize, NdrError> {
        let n = usize::try_from(count).map_err(|_| NdrError::CountTooLarge {
            count,
            remaining: self.remaining(),
        })?;
        let need = n.checked_mul(min_size.max(1));
        if need.is_none_or(|need| need > self.remaining()) {
            return Err(NdrError::CountTooLarge {
                count,
                remaining: self.remaining(),
            });
        }
        self.elements = self.elements.saturating_add(n);
        if self.elements > self.max_elements {
            return Err(NdrError::TooManyElements(self.max_elements));
        }
        Ok(n)
    }

    /// Leaves `value` (a referent id, or a length its pointee must match) for the deferred
    /// phase of the current level. Values come back in the order they were left.
    pub fn defer(&mut self, value: u32) -> Result<(), NdrError> {
        self.levels
            .last_mut()
            .ok_or(NdrError::Invalid("flat decode outside Ndr::decode"))?
            .push_back(value);
        Ok(())
    }

    /// Takes the next value [`NdrReader::defer`] left on this level.
    pub fn take_deferred(&mut self) -> Result<u32, NdrError> {
        self.levels
            .last_mut()
            .and_then(VecDeque::pop_front)
            .ok_or(NdrError::Invalid("deferred queue out of step"))
    }

    /// Opens a nesting level (called by [`Ndr::decode`]).
    pub(crate) fn enter(&mut self) -> Result<(), NdrError> {
        if self.depth >= self.max_depth {
            return Err(NdrError::DepthExceeded(self.max_depth));
        }
        self.depth += 1;
        self.levels.push(VecDeque::new());
        Ok(())
    }

    /// Closes the level [`NdrReader::enter`] opened.
    pub(crate) fn leave(&mut self) {
        self.levels.pop();
        self.depth = self.depth.saturating_sub(1);
    }

    /// Looks up a full-pointer referent id: `Ok(None)` when unseen (and now marked in
    /// progress), the object when seen, an error when it is still being decoded (a cycle).
    pub(crate) fn full_lookup(
        &mut self,
        id: u32,
    ) -> Result<Option<Arc<dyn Any + Send + Sync>>, NdrError> {
        match self.full.get(&id) {
            Some(Some(obj)) => Ok(Some(obj.clone())),
            Some(None) => Err(NdrError::BadReferent(id)),
            None => {
                self.full.insert(id, None);
                Ok(None)
            }
        }
    }

    /// Records the object a full-pointer referent id names.
    pub(crate) fn full_insert(&mut self, id: u32, obj: Arc<dyn Any + Send + Sync>) {
        self.full.insert(id, Some(obj));
    }
}
