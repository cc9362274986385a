//! MS-XCA LZNT1 (2.5), the NTFS compression format.
//!
//! The input is cut into chunks of 4,096 bytes. Each chunk starts with a 16-bit header:
//! bits 0-11 are the chunk's size in the stream (header included) minus 3, bits 12-14 the
//! signature 3, bit 15 set when the chunk is compressed. A stored chunk is its bytes as
//! they are. A compressed chunk is groups of a flag byte and eight items, least
//! significant bit first: 0 a literal byte, 1 a 16-bit match word. The word splits into a
//! displacement (high bits, `distance - 1`) and a length (low bits, `length - 3`) at a
//! point that moves with the position in the chunk: 4 displacement bits while at most 16
//! bytes of the chunk are out, one more bit each time that count passes a power of two, up
//! to 12 (and 4 length bits) past 2,048. Matches never reach outside their chunk. A header
//! of zero, or the end of the input, ends the stream; a chunk that produces fewer than
//! 4,096 bytes and is followed by another is padded with zeros, as NTFS reads it.

use crate::Error;
use crate::matcher::Matcher;
use crate::output::Output;

const CHUNK: usize = 4096;
const SIGNATURE: u16 = 3 << 12;
const COMPRESSED: u16 = 0x8000;

/// The number of length bits at `pos` bytes into a chunk (`pos >= 1`).
fn length_bits(pos: usize) -> u32 {
    let mut bits = 12;
    let mut i = pos - 1;
    while i >= 0x10 {
        i >>= 1;
        bits -= 1;
    }
    bits
}

/// Compresses `input`; a chunk that does not shrink is stored.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 2048 * 2 + 2);
    let mut scratch = Vec::with_capacity(CHUNK + CHUNK / 8 + 2);
    // One match finder for every chunk: matches are kept inside their chunk by `min_pos`.
    let mut matcher = Matcher::new();
    let mut start = 0;
    while start < input.len() {
        let end = (start + CHUNK).min(input.len());
        let chunk = &input[start..end];
        scratch.clear();
        compress_chunk(input, start, end, &mut matcher, &mut scratch);
        if scratch.len() < chunk.len() {
            let header = (scratch.len() + 2 - 3) as u16 | SIGNATURE | COMPRESSED;
            out.extend_from_slice(&header.to_le_bytes());
            out.extend_from_slice(&scratch);
        } else {
            let header = (chunk.len() + 2 - 3) as u16 | SIGNATURE;
            out.extend_from_slice(&header.to_le_bytes());
            out.extend_from_slice(chunk);
        }
        start = end;
    }
    out
}

fn compress_chunk(
    input: &[u8],
    start: usize,
    end: usize,
    matcher: &mut Matcher,
    out: &mut Vec<u8>,
) {
    let data = &input[..end];
    let mut pos = start;
    while pos < end {
        let flag_at = out.len();
        out.push(0);
        let mut flags = 0u8;
        for bit in 0..8 {
            if pos >= end {
                break;
            }
            let in_chunk = pos - start;
            let found = if in_chunk == 0 {
                None
            } else {
                let max_len = (1usize << length_bits(in_chunk)) - 1 + 3;
                matcher.find(data, pos, start, in_chunk, max_len)
            };
            match found {
                Some((distance, len)) => {
                    let lbits = length_bits(in_chunk);
                    let word = ((distance - 1) << lbits) | (len - 3);
                    out.extend_from_slice(&(word as u16).to_le_bytes());
                    flags |= 1 << bit;
                    for p in pos..pos + len {
                        matcher.insert(data, p);
                    }
                    pos += len;
                }
                None => {
                    out.push(data[pos]);
                    matcher.insert(data, pos);
                    pos += 1;
                }
            }
        }
        out[flag_at] = flags;
    }
}

/// Decompresses `input` to exactly `expected` bytes (`expected <= limit`, checked first).
pub fn decompress(input: &[u8], expected: usize, limit: usize) -> Result<Vec<u8>, Error> {
    let mut out = Output::new(expected, limit)?;
    let mut pos = 0;
    while pos + 2 <= input.len() {
        let header = u16::from_le_bytes([input[pos], input[pos + 1]]);
        if header == 0 {
            break;
        }
        if header & 0x7000 != SIGNATURE {
            return Err(Error::Corrupt("LZNT1 chunk signature is not 3"));
        }
        let size = usize::from(header & 0x0fff) + 3;
        let end = pos
            .checked_add(size)
            .filter(|&e| e <= input.len())
            .ok_or(Error::Truncated)?;
        let body = &input[pos + 2..end];
        // A chunk after a short one starts on a 4,096-byte boundary: zero-fill the gap.
        let gap = (CHUNK - out.len() % CHUNK) % CHUNK;
        if gap != 0 && pos != 0 {
            out.zeros(gap.min(out.room()))?;
        }
        if header & COMPRESSED == 0 {
            out.extend(body)?;
        } else {
            decompress_chunk(body, &mut out)?;
        }
        pos = end;
    }
    out.finish()
}

fn decompress_chunk(body: &[u8], out: &mut Output) -> Result<(), Error> {
    let start = out.len();
    let mut i = 0;
    while i < body.len() {
        let flags = body[i];
        i += 1;
        for bit in 0..8 {
            if i >= body.len() {
                break;
            }
            let in_chunk = out.len() - start;
            if in_chunk >= CHUNK {
                return Err(Error::Corrupt("LZNT1 chunk decompresses past 4,096 bytes"));
            }
            if flags & (1 << bit) == 0 {
                out.push(body[i])?;
                i += 1;
                continue;
            }
            if i + 2 > body.len() || in_chunk == 0 {
                return Err(Error::Corrupt("LZNT1 match word cut or at chunk start"));
            }
            let word = usize::from(u16::from_le_bytes([body[i], body[i + 1]]));
            i += 2;
            let lbits = length_bits(in_chunk);
            let distance = (word >> lbits) + 1;
            let len = (word & ((1 << lbits) - 1)) + 3;
            if distance > in_chunk {
                return Err(Error::BadOffset);
            }
            if in_chunk + len > CHUNK {
                return Err(Error::Corrupt("LZNT1 match runs past the chunk"));
            }
            out.copy_match(distance, len)?;
        }
    }
    Ok(())
}
