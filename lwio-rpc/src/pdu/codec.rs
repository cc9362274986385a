//! The PDU codecs read through the family's one checked reader ([`Reader`], from
//! `lwio-types`); this module adds the DCE/RPC pieces on top of it: the 16-byte UUID and the
//! presentation syntax id, and the alignment arithmetic of the bind-family bodies.

pub(crate) use lwio_types::{Reader, read_all};

use crate::RpcError;

/// Reads a 16-byte little-endian UUID.
pub(crate) fn uuid(r: &mut Reader<'_>) -> Result<crate::Uuid, RpcError> {
    Ok(crate::Uuid::from_le_bytes(r.array()?))
}

/// Reads a 20-byte presentation syntax id.
pub(crate) fn syntax_id(r: &mut Reader<'_>) -> Result<crate::SyntaxId, RpcError> {
    let uuid = uuid(r)?;
    let version = r.u32()?;
    Ok(crate::SyntaxId { uuid, version })
}

/// Padding that brings `len` up to a multiple of `align` (a power of two).
pub(crate) const fn pad_to(len: usize, align: usize) -> usize {
    (align - (len % align)) % align
}
