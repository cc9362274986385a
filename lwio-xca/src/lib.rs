//! # lwio-xca
//!
//! The compression algorithms an SMB 3.1.1 connection may negotiate (MS-SMB2 2.2.3.1.3),
//! as pure codecs: bytes in, bytes out, no I/O and no state between calls.
//!
//! - [`lz77`]: MS-XCA Plain LZ77 (2.3, 2.4): literals and matches byte-aligned, gated by
//!   32-bit flag words.
//! - [`huffman`]: MS-XCA LZ77+Huffman (2.1, 2.2): the same matches, entropy-coded with a
//!   canonical Huffman code over 512 symbols, one code table per 64 KiB of output.
//! - [`lznt1`]: MS-XCA LZNT1 (2.5): 4 KiB chunks, each stored or compressed, the split
//!   between offset and length bits growing with the position in the chunk.
//! - [`pattern`]: MS-SMB2 Pattern_V1 (2.2.42.2.2): one byte repeated, for the runs at the
//!   edges of a chained compressed message.
//! - [`lz4`]: LZ4's block format, through `lz4_flex`'s safe-code encoder and decoder.
//!
//! ## Decompression is bounded
//! A compressed SMB2 message announces the size of its original payload; a hostile peer
//! announces anything. Every decompressor here takes that `expected` size and a hard
//! `limit`: `expected > limit` is refused before any allocation ([`Error::TooLarge`]), the
//! output buffer is allocated once at `expected` and never grows, a match or literal that
//! would write past it is refused ([`Error::Overrun`]), and a stream that ends short of it is
//! refused too ([`Error::Truncated`]). A decompression bomb is therefore never allocated.
//!
//! ## What it is not
//! No framing (the SMB2 compression transform header is `lwio-smb2`'s), no streaming, no
//! Xpress "compression level" tuning: the compressors are greedy hash-chain matchers that
//! favour speed.
#![forbid(unsafe_code)]

use std::fmt;

pub mod huffman;
pub mod lz4;
pub mod lz77;
pub mod lznt1;
mod matcher;
mod output;
pub mod pattern;

/// Why a compressed buffer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The announced original size is above the caller's limit (nothing was allocated).
    TooLarge {
        /// The size the peer announced.
        announced: usize,
        /// The caller's hard limit.
        limit: usize,
    },
    /// The data would decompress to more than the announced size.
    Overrun,
    /// The data ended before the announced size was produced.
    Truncated,
    /// A back-reference points before the start of the output (or is zero).
    BadOffset,
    /// The stream is malformed (the reason names the rule it broke).
    Corrupt(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooLarge { announced, limit } => {
                write!(f, "announced size {announced} is above the limit {limit}")
            }
            Error::Overrun => f.write_str("data decompresses past the announced size"),
            Error::Truncated => f.write_str("data ends before the announced size"),
            Error::BadOffset => f.write_str("back-reference before the start of the output"),
            Error::Corrupt(why) => write!(f, "corrupt compressed data: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// The algorithms of this crate, named as MS-SMB2 2.2.3.1.3 lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// LZNT1 (MS-XCA 2.5).
    Lznt1,
    /// Plain LZ77 (MS-XCA 2.3).
    Lz77,
    /// LZ77+Huffman (MS-XCA 2.1).
    Lz77Huffman,
    /// Pattern_V1 (MS-SMB2 2.2.42.2.2): only a buffer of one repeated byte compresses.
    PatternV1,
    /// LZ4 block format.
    Lz4,
}

impl Algorithm {
    /// Compresses `input`. `None` when the algorithm cannot represent it smaller or at all
    /// (Pattern_V1 of anything but one repeated byte).
    pub fn compress(self, input: &[u8]) -> Option<Vec<u8>> {
        match self {
            Algorithm::Lznt1 => Some(lznt1::compress(input)),
            Algorithm::Lz77 => Some(lz77::compress(input)),
            Algorithm::Lz77Huffman => Some(huffman::compress(input)),
            Algorithm::PatternV1 => pattern::compress(input).map(|p| p.encode().to_vec()),
            Algorithm::Lz4 => Some(lz4::compress(input)),
        }
    }

    /// Decompresses `input` to exactly `expected` bytes, refusing `expected > limit`
    /// before allocating (see the crate documentation).
    pub fn decompress(self, input: &[u8], expected: usize, limit: usize) -> Result<Vec<u8>, Error> {
        match self {
            Algorithm::Lznt1 => lznt1::decompress(input, expected, limit),
            Algorithm::Lz77 => lz77::decompress(input, expected, limit),
            Algorithm::Lz77Huffman => huffman::decompress(input, expected, limit),
            Algorithm::PatternV1 => pattern::decompress(input, expected, limit),
            Algorithm::Lz4 => lz4::decompress(input, expected, limit),
        }
    }
}
