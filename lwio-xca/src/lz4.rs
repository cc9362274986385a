//! LZ4's block format (no frame): sequences of a token byte (literal count high nibble,
//! match length low nibble, each extended by 255-bytes when 15), the literals, a 16-bit
//! little-endian offset and the match length extension. SMB2 carries one block per
//! compressed segment, its original size in the SMB2 header.
//!
//! Encoding and decoding are `lz4_flex`'s safe-code block functions. The decoder writes
//! into a buffer allocated at the announced size after the limit check, and lz4_flex
//! refuses any sequence that would write past it.

use crate::Error;

/// Compresses `input` as one LZ4 block.
pub fn compress(input: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(input)
}

/// Decompresses one block to exactly `expected` bytes (`expected <= limit`, checked first).
pub fn decompress(input: &[u8], expected: usize, limit: usize) -> Result<Vec<u8>, Error> {
    if expected > limit {
        return Err(Error::TooLarge {
            announced: expected,
            limit,
        });
    }
    let mut out = vec![0u8; expected];
    let n = lz4_flex::block::decompress_into(input, &mut out).map_err(|e| match e {
        lz4_flex::block::DecompressError::OutputTooSmall { .. } => Error::Overrun,
        lz4_flex::block::DecompressError::OffsetOutOfBounds => Error::BadOffset,
        _ => Error::Corrupt("LZ4 block is malformed"),
    })?;
    if n != expected {
        return Err(Error::Truncated);
    }
    Ok(out)
}
