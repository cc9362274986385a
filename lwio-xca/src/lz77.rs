//! MS-XCA Plain LZ77 (2.3 compression, 2.4 decompression).
//!
//! The stream is byte-aligned. A 32-bit little-endian flag word comes first and then the
//! 32 items it describes, most significant bit first: a 0 bit is one literal byte, a 1 bit
//! a two-byte match word `(distance - 1) << 3 | length bits`, distance 1 to 8,192. The
//! length (at least 3) grows in tiers: the 3 low bits hold `length - 3` up to 6; 7 means a
//! further 4-bit nibble (two matches share one byte for their nibbles, the first using the
//! low half, the second the high half); a nibble of 15 means a further byte; a byte of 255
//! means a 16-bit `length - 3`, and a 16-bit zero a 32-bit one. After the last item the
//! compressor fills the flag word with 1 bits: a match flag with no input left ends the
//! stream.

use crate::Error;
use crate::matcher::Matcher;
use crate::output::Output;

const MAX_DISTANCE: usize = 8192;

/// Compresses `input` (never fails; incompressible input grows by 1/32 plus 4 bytes).
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 32 + 8);
    let mut flags: u32 = 0;
    let mut flag_count = 0u32;
    let mut flag_pos = 0usize;
    out.extend_from_slice(&[0; 4]);
    let mut nibble_pos: Option<usize> = None;
    let mut matcher = Matcher::new();
    let mut pos = 0;
    while pos < input.len() {
        let found = matcher.find(input, pos, 0, MAX_DISTANCE, usize::MAX);
        match found {
            Some((distance, len)) => {
                write_match(&mut out, &mut nibble_pos, distance, len);
                flags = (flags << 1) | 1;
                for p in pos..pos + len {
                    matcher.insert(input, p);
                }
                pos += len;
            }
            None => {
                out.push(input[pos]);
                flags <<= 1;
                matcher.insert(input, pos);
                pos += 1;
            }
        }
        flag_count += 1;
        if flag_count == 32 {
            out[flag_pos..flag_pos + 4].copy_from_slice(&flags.to_le_bytes());
            flag_pos = out.len();
            out.extend_from_slice(&[0; 4]);
            flags = 0;
            flag_count = 0;
        }
    }
    let rest = 32 - flag_count;
    let last = if rest == 32 {
        u32::MAX
    } else {
        (flags << rest) | ((1u32 << rest) - 1)
    };
    out[flag_pos..flag_pos + 4].copy_from_slice(&last.to_le_bytes());
    out
}

fn write_match(out: &mut Vec<u8>, nibble_pos: &mut Option<usize>, distance: usize, len: usize) {
    let word = ((distance - 1) << 3) as u16;
    let extra = len - 3;
    if extra < 7 {
        out.extend_from_slice(&(word | extra as u16).to_le_bytes());
        return;
    }
    out.extend_from_slice(&(word | 7).to_le_bytes());
    let rest = extra - 7;
    let nibble = rest.min(15) as u8;
    match nibble_pos.take() {
        None => {
            *nibble_pos = Some(out.len());
            out.push(nibble);
        }
        Some(at) => out[at] |= nibble << 4,
    }
    if rest < 15 {
        return;
    }
    let rest = rest - 15;
    if rest < 255 {
        out.push(rest as u8);
        return;
    }
    out.push(255);
    match u16::try_from(extra) {
        Ok(v) => out.extend_from_slice(&v.to_le_bytes()),
        Err(_) => {
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&(extra as u32).to_le_bytes());
        }
    }
}

struct In<'a> {
    data: &'a [u8],
    pos: usize,
}

impl In<'_> {
    fn u8(&mut self) -> Result<u8, Error> {
        let b = *self.data.get(self.pos).ok_or(Error::Truncated)?;
        self.pos += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from(self.u8()?) | u16::from(self.u8()?) << 8)
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from(self.u16()?) | u32::from(self.u16()?) << 16)
    }
}

/// Decompresses `input` to exactly `expected` bytes (`expected <= limit`, checked first).
pub fn decompress(input: &[u8], expected: usize, limit: usize) -> Result<Vec<u8>, Error> {
    let mut out = Output::new(expected, limit)?;
    let mut r = In {
        data: input,
        pos: 0,
    };
    let mut flags = 0u32;
    let mut flag_count = 0u32;
    let mut nibble_pos: Option<usize> = None;
    loop {
        if out.is_full() && r.pos == input.len() {
            break;
        }
        if flag_count == 0 {
            flags = r.u32()?;
            flag_count = 32;
        }
        flag_count -= 1;
        if flags & (1 << flag_count) == 0 {
            out.push(r.u8()?)?;
            continue;
        }
        if r.pos == input.len() {
            break;
        }
        let word = r.u16()?;
        let distance = usize::from(word >> 3) + 1;
        let mut len = usize::from(word & 7);
        if len == 7 {
            len = match nibble_pos.take() {
                None => {
                    nibble_pos = Some(r.pos);
                    usize::from(r.u8()? & 0x0f)
                }
                Some(at) => usize::from(input[at] >> 4),
            };
            if len == 15 {
                len = usize::from(r.u8()?);
                if len == 255 {
                    len = usize::from(r.u16()?);
                    if len == 0 {
                        len = r.u32()? as usize;
                    }
                    len = len
                        .checked_sub(15 + 7)
                        .ok_or(Error::Corrupt("match length below its tier"))?;
                }
                len += 15;
            }
            len += 7;
        }
        out.copy_match(distance, len + 3)?;
    }
    out.finish()
}
