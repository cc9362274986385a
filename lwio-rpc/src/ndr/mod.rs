//! The NDR 2.0 transfer syntax (C706 chapter 14, MS-RPCE 2.2.5.1): marshalling of stub
//! data, in either integer byte order ([`ByteOrder`]; little-endian unless the reader or
//! writer is told otherwise, as the `drep` of the PDU says).
//!
//! # The model
//!
//! NDR writes a value as its *flat part* — primitives, fixed and conformant arrays,
//! structure members, and a 4-byte referent id for each pointer — followed by the
//! *deferred* pointees of the pointers met in that flat part, in order, each pointee written
//! completely (its own flat part, then its own deferred pointees). The [`Ndr`] trait mirrors
//! that with two phases per direction:
//!
//! * [`Ndr::encode_flat`] / [`Ndr::decode_flat`] for the flat part;
//! * [`Ndr::encode_deferred`] / [`Ndr::decode_deferred`] for the pointees;
//! * [`Ndr::encode`] / [`Ndr::decode`] = flat then deferred: a complete value. A top-level
//!   parameter is written with `encode`, so a top-level pointer's pointee follows its
//!   referent id at once, while pointers embedded in a structure or array have their
//!   pointees after the containing structure — as NDR requires (C706 14.3.12.3).
//!
//! While decoding, a pointer's flat phase reads the referent id and queues it on the
//! reader ([`NdrReader::defer`]); the deferred phase of the same level takes it back in the
//! same order ([`NdrReader::take_deferred`]). The value returned by `decode_flat` holds a
//! placeholder (`None`, or `T::default()` for [`Ref`]) until then.
//!
//! # Type map
//!
//! | IDL | Rust |
//! |---|---|
//! | `small`, `short`, `long`, `hyper` (signed or not), `boolean` | `u8`…`u64`, `i8`…`i64`, `bool` |
//! | `enum` (16 bits on the wire) | [`crate::ndr_enum!`] |
//! | `T x[N]` | `[T; N]` |
//! | `[size_is(n)] T*` pointee (conformant array) | `Vec<T>` |
//! | `[size_is(m), length_is(n)]` (conformant varying) | [`ConfVarArray<T>`] |
//! | `[length_is(n)] T x[N]` (varying) | [`VaryingArray<T, N>`] |
//! | `[unique] T*` | `Option<T>` |
//! | `[ref] T*` embedded | [`Ref<T>`] (top level: just `T`) |
//! | `[ptr] T*` (full) | [`Full<T>`] |
//! | `[string] wchar_t*` | `Option<WString>` ([`WStrPtr`]) |
//! | `[string] char*` | `Option<AString>` |
//! | `RPC_UNICODE_STRING` | [`RpcUnicodeString`] |
//! | `RPC_SID` | [`lwio_core::Sid`] |
//! | `GUID` | [`crate::Uuid`] |
//! | policy / context handle | [`PolicyHandle`] |
//! | `struct` | [`crate::ndr_struct!`] |
//! | `[switch_is] union` | [`crate::ndr_union!`] |
//!
//! # Writing interface code
//!
//! ```
//! use lwio_rpc::ndr::{self, Ndr, NdrReader, NdrWriter, WStrPtr, WString};
//! use lwio_rpc::{ndr_struct, ndr_union};
//!
//! ndr_struct! {
//!     /// SHARE_INFO_1 (MS-SRVS 2.2.4.23).
//!     #[derive(Debug, Clone, PartialEq, Eq, Default)]
//!     pub struct ShareInfo1 {
//!         /// shi1_netname.
//!         pub netname: WStrPtr,
//!         /// shi1_type.
//!         pub share_type: u32,
//!         /// shi1_remark.
//!         pub remark: WStrPtr,
//!     }
//! }
//!
//! ndr_struct! {
//!     /// SHARE_INFO_1_CONTAINER.
//!     #[derive(Debug, Clone, PartialEq, Eq, Default)]
//!     pub struct ShareInfo1Container {
//!         /// EntriesRead.
//!         pub count: u32,
//!         /// `[size_is(EntriesRead)] LPSHARE_INFO_1 Buffer`.
//!         pub buffer: Option<Vec<ShareInfo1>>,
//!     }
//! }
//!
//! ndr_union! {
//!     /// `[switch_is(Level)] SHARE_ENUM_UNION`.
//!     #[derive(Debug, Clone, PartialEq, Eq)]
//!     pub enum ShareEnumUnion: u32 {
//!         /// Level 1.
//!         1 => Level1(Option<ShareInfo1Container>),
//!     }
//! }
//!
//! let info = ShareInfo1 {
//!     netname: Some(WString::from("IPC$")),
//!     share_type: 3,
//!     remark: None,
//! };
//! let ctr = ShareEnumUnion::Level1(Some(ShareInfo1Container {
//!     count: 1,
//!     buffer: Some(vec![info]),
//! }));
//! // Parameters are written one after another with `encode` ...
//! let mut w = NdrWriter::new();
//! w.write(&1u32); // Level
//! w.write(&ctr);
//! let bytes = w.into_bytes();
//! // ... and read back the same way; `finish` rejects trailing bytes.
//! let mut r = NdrReader::new(&bytes);
//! assert_eq!(r.read::<u32>().unwrap(), 1);
//! assert_eq!(r.read::<ShareEnumUnion>().unwrap(), ctr);
//! r.finish().unwrap();
//! ```
//!
//! Structures whose last member is a conformant array (conformant structures, C706 14.3.7)
//! carry the array's maximum count *before* the structure; write those by hand as the
//! [`lwio_core::Sid`] implementation in this module does: `encode_flat` writes the count,
//! then the members, then the elements; `decode_flat` reads the count, checks it with
//! [`NdrReader::check_count`], and checks it against the member that holds the size.
//!
//! Not here: NDR64, EBCDIC characters, VAX/Cray/IBM floating point, pipes, context
//! handle rundown, and
//! `[range]` or other attributes beyond what the types above enforce.

mod macros;
mod prim;
mod reader;
mod string;
#[cfg(test)]
mod tests;
mod types;
mod writer;

pub use prim::{ConfVarArray, Full, Ref, VaryingArray};
pub use reader::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_ELEMENTS, NdrReader};
pub use string::{AString, RpcUnicodeString, WStrPtr, WString};
pub use types::PolicyHandle;
pub use writer::{FIRST_REFERENT_ID, NdrWriter};

use crate::NdrError;

/// The integer representation of NDR data (C706 14.2.5): the high nibble of the first
/// `drep` octet, 1 for little-endian, 0 for big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// Least significant octet first (`drep[0] & 0xF0 == 0x10`).
    #[default]
    LittleEndian,
    /// Most significant octet first (`drep[0] & 0xF0 == 0x00`).
    BigEndian,
}

impl ByteOrder {
    /// A `u16` from its two octets in this order.
    pub fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            ByteOrder::LittleEndian => u16::from_le_bytes(b),
            ByteOrder::BigEndian => u16::from_be_bytes(b),
        }
    }

    /// A `u32` from its four octets in this order.
    pub fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            ByteOrder::LittleEndian => u32::from_le_bytes(b),
            ByteOrder::BigEndian => u32::from_be_bytes(b),
        }
    }

    /// A `u64` from its eight octets in this order.
    pub fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            ByteOrder::LittleEndian => u64::from_le_bytes(b),
            ByteOrder::BigEndian => u64::from_be_bytes(b),
        }
    }
}

/// A type with an NDR 2.0 representation. See the [module documentation](self) for the
/// two-phase model, and [`crate::ndr_struct!`] for the usual implementation.
pub trait Ndr: Sized {
    /// Alignment of the flat part: the largest alignment among its members.
    const ALIGN: usize = 1;
    /// A lower bound on the flat part's size in bytes, used to check counts before
    /// allocating (zero only for `()`).
    const MIN_SIZE: usize = 1;

    /// Writes the flat part (referent ids for pointers).
    fn encode_flat(&self, w: &mut NdrWriter);

    /// Writes the pointees of the pointers in the flat part, in order.
    fn encode_deferred(&self, w: &mut NdrWriter) {
        let _ = w;
    }

    /// Reads the flat part; pointers come back as placeholders until the deferred phase.
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Self, NdrError>;

    /// Reads the pointees of the pointers read by [`Ndr::decode_flat`], in order.
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        let _ = r;
        Ok(())
    }

    /// Writes the complete value: flat part, then deferred pointees.
    fn encode(&self, w: &mut NdrWriter) {
        self.encode_flat(w);
        self.encode_deferred(w);
    }

    /// Reads a complete value at one more level of nesting.
    fn decode(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        r.enter()?;
        let mut value = Self::decode_flat(r)?;
        value.decode_deferred(r)?;
        r.leave();
        Ok(value)
    }
}

/// Encodes one complete value as a stub.
pub fn to_bytes<T: Ndr>(value: &T) -> Vec<u8> {
    let mut w = NdrWriter::new();
    value.encode(&mut w);
    w.into_bytes()
}

/// Decodes a stub holding exactly one complete value (strict reader, default bounds).
pub fn from_bytes<T: Ndr>(bytes: &[u8]) -> Result<T, NdrError> {
    let mut r = NdrReader::new(bytes);
    let value = T::decode(&mut r)?;
    r.finish()?;
    Ok(value)
}

/// The largest of `aligns` (at least 1); used by the macros to compute a structure's
/// alignment in a constant.
#[doc(hidden)]
pub const fn max_align(aligns: &[usize]) -> usize {
    let mut max = 1;
    let mut i = 0;
    while i < aligns.len() {
        if aligns[i] > max {
            max = aligns[i];
        }
        i += 1;
    }
    max
}
