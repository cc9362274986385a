//! MS-XCA LZ77+Huffman (2.1 compression, 2.2 decompression), "Xpress Huffman".
//!
//! The output is produced in blocks of 65,536 bytes. Each block in the stream starts with a
//! 256-byte table: the code lengths (0 to 15, 0 meaning unused) of 512 symbols, two to a
//! byte, the even symbol in the low nibble. The codes are canonical: sorted by length, then
//! by symbol, so the lengths alone rebuild them, and they must fill the code space exactly.
//! Symbols 0-255 are literal bytes; a symbol 256 + `(h << 4) + l` is a match whose distance
//! has its highest set bit at `h` (the `h` lower bits follow in the bit stream) and whose
//! length is `l + 3`, or, when `l` is 15, longer: a byte follows (added to 15), and a byte
//! of 255 is instead followed by a 16-bit `length - 3` (a 16-bit zero by a 32-bit one).
//!
//! The bit stream is 16-bit little-endian words read most significant bit first, and the
//! reader always holds 32 bits ahead. The extra length bytes are not part of the bit
//! stream: they sit at the reader's byte position at the moment they are needed, after the
//! words already loaded, so the writer keeps two word slots reserved and appends the raw
//! bytes behind them. The next block's table starts where the reader's byte position ends.
//! The last block ends with symbol 256 (which decoders that know the size need not read).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::Error;
use crate::matcher::Matcher;
use crate::output::Output;

const BLOCK: usize = 65536;
const SYMBOLS: usize = 512;
const MAX_BITS: u32 = 15;
const TABLE_BYTES: usize = 256;
const MAX_DISTANCE: usize = 65535;

#[derive(Clone, Copy)]
enum Token {
    Literal(u8),
    Match { distance: usize, len: usize },
}

fn match_symbol(distance: usize, len: usize) -> (usize, u32) {
    let high = usize::BITS - 1 - distance.leading_zeros();
    (256 + ((high as usize) << 4) + (len - 3).min(15), high)
}

/// Compresses `input`.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + TABLE_BYTES + 8);
    let mut matcher = Matcher::new();
    let mut tokens = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + BLOCK).min(input.len());
        let last = end == input.len();
        tokens.clear();
        let mut pos = start;
        while pos < end {
            match matcher.find(input, pos, 0, MAX_DISTANCE, end - pos) {
                Some((distance, len)) => {
                    tokens.push(Token::Match { distance, len });
                    for p in pos..pos + len {
                        matcher.insert(input, p);
                    }
                    pos += len;
                }
                None => {
                    tokens.push(Token::Literal(input[pos]));
                    matcher.insert(input, pos);
                    pos += 1;
                }
            }
        }
        write_block(&tokens, last, &mut out);
        if last {
            break;
        }
        start = end;
    }
    out
}

fn write_block(tokens: &[Token], last: bool, out: &mut Vec<u8>) {
    let mut freq = [0u32; SYMBOLS];
    for t in tokens {
        match *t {
            Token::Literal(b) => freq[usize::from(b)] += 1,
            Token::Match { distance, len } => freq[match_symbol(distance, len).0] += 1,
        }
    }
    if last {
        freq[256] += 1;
    }
    // A complete code needs two symbols at least.
    while freq.iter().filter(|&&f| f > 0).count() < 2 {
        let spare = if freq[256] == 0 { 256 } else { 0 };
        freq[spare] = 1;
    }
    let lengths = code_lengths(&freq);
    let codes = canonical_codes(&lengths);
    for pair in lengths.chunks(2) {
        out.push(pair[0] | pair[1] << 4);
    }
    let mut w = BitWriter::new(out);
    for t in tokens {
        match *t {
            Token::Literal(b) => w.bits(codes[usize::from(b)], lengths[usize::from(b)], out),
            Token::Match { distance, len } => {
                let (sym, high) = match_symbol(distance, len);
                w.bits(codes[sym], lengths[sym], out);
                let extra = len - 3;
                if extra >= 15 {
                    if extra - 15 < 255 {
                        out.push((extra - 15) as u8);
                    } else {
                        out.push(255);
                        match u16::try_from(extra) {
                            Ok(v) => out.extend_from_slice(&v.to_le_bytes()),
                            Err(_) => {
                                out.extend_from_slice(&[0, 0]);
                                out.extend_from_slice(&(extra as u32).to_le_bytes());
                            }
                        }
                    }
                }
                w.bits((distance - (1 << high)) as u32, high as u8, out);
            }
        }
    }
    if last {
        w.bits(codes[256], lengths[256], out);
    }
    w.flush(out);
}

/// Huffman code lengths of at most 15 bits for the symbols with a non-zero count.
fn code_lengths(freq: &[u32; SYMBOLS]) -> [u8; SYMBOLS] {
    let mut weights: Vec<u64> = freq.iter().map(|&f| u64::from(f)).collect();
    loop {
        let lengths = huffman_lengths(&weights);
        if lengths.iter().all(|&l| u32::from(l) <= MAX_BITS) {
            return lengths;
        }
        for w in weights.iter_mut().filter(|w| **w > 0) {
            *w = (*w >> 1).max(1);
        }
    }
}

fn huffman_lengths(weights: &[u64]) -> [u8; SYMBOLS] {
    let mut parent: Vec<usize> = Vec::with_capacity(2 * SYMBOLS);
    let mut heap = BinaryHeap::new();
    let mut leaves = Vec::new();
    for (sym, &w) in weights.iter().enumerate() {
        if w > 0 {
            leaves.push((sym, parent.len()));
            heap.push(Reverse((w, parent.len())));
            parent.push(usize::MAX);
        }
    }
    while heap.len() > 1 {
        let (Some(Reverse((wa, a))), Some(Reverse((wb, b)))) = (heap.pop(), heap.pop()) else {
            break;
        };
        let node = parent.len();
        parent.push(usize::MAX);
        parent[a] = node;
        parent[b] = node;
        heap.push(Reverse((wa + wb, node)));
    }
    let mut lengths = [0u8; SYMBOLS];
    for (sym, leaf) in leaves {
        let mut depth = 0u32;
        let mut n = leaf;
        while parent[n] != usize::MAX {
            n = parent[n];
            depth += 1;
        }
        lengths[sym] = depth.min(255) as u8;
    }
    lengths
}

fn canonical_codes(lengths: &[u8; SYMBOLS]) -> [u32; SYMBOLS] {
    let mut codes = [0u32; SYMBOLS];
    let mut code = 0u32;
    for len in 1..=MAX_BITS as u8 {
        for sym in 0..SYMBOLS {
            if lengths[sym] == len {
                codes[sym] = code;
                code += 1;
            }
        }
        code <<= 1;
    }
    codes
}

/// Writes 16-bit words most significant bit first, two word slots reserved ahead of the
/// raw bytes (see the module documentation).
struct BitWriter {
    slot_a: usize,
    slot_b: usize,
    acc: u32,
    count: u32,
}

impl BitWriter {
    fn new(out: &mut Vec<u8>) -> Self {
        let slot_a = out.len();
        out.extend_from_slice(&[0; 4]);
        BitWriter {
            slot_a,
            slot_b: slot_a + 2,
            acc: 0,
            count: 0,
        }
    }

    fn bits(&mut self, value: u32, n: u8, out: &mut Vec<u8>) {
        let n = u32::from(n);
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | (value & ((1 << n) - 1));
        self.count += n;
        // A word is written when a bit spills into the next one: the reader loads its next
        // word only then too, and raw bytes go behind the words it holds.
        if self.count > 16 {
            self.count -= 16;
            let word = (self.acc >> self.count) as u16;
            out[self.slot_a..self.slot_a + 2].copy_from_slice(&word.to_le_bytes());
            self.slot_a = self.slot_b;
            self.slot_b = out.len();
            out.extend_from_slice(&[0, 0]);
            self.acc &= (1 << self.count) - 1;
        }
    }

    fn flush(self, out: &mut [u8]) {
        if self.count > 0 {
            let word = (self.acc << (16 - self.count)) as u16;
            out[self.slot_a..self.slot_a + 2].copy_from_slice(&word.to_le_bytes());
        }
    }
}

struct BitReader<'a> {
    data: &'a [u8],
    index: usize,
    mask: u32,
    count: u32,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8], at: usize) -> Self {
        let mut r = BitReader {
            data,
            index: at,
            mask: 0,
            count: 32,
        };
        r.mask = (r.word() << 16) | r.word();
        r
    }

    /// The next 16-bit word (zero past the end: the reader runs ahead of the data).
    fn word(&mut self) -> u32 {
        let w = match self.data.get(self.index..self.index + 2) {
            Some(b) => u32::from(u16::from_le_bytes([b[0], b[1]])),
            None => 0,
        };
        self.index += 2;
        w
    }

    fn peek(&self, n: u32) -> u32 {
        if n == 0 { 0 } else { self.mask >> (32 - n) }
    }

    fn skip(&mut self, n: u32) {
        if n == 0 {
            return;
        }
        self.mask <<= n;
        self.count -= n;
        if self.count < 16 {
            let w = self.word();
            self.mask |= w << (16 - self.count);
            self.count += 16;
        }
    }

    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self.data.get(self.index).ok_or(Error::Truncated)?;
        self.index += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from(self.byte()?) | u16::from(self.byte()?) << 8)
    }
}

/// The 2^15-entry decoding table of MS-XCA 2.2.4, refused unless the lengths fill the
/// code space exactly.
fn decoding_table(table: &[u8], lengths: &mut [u8; SYMBOLS]) -> Result<Vec<u16>, Error> {
    for (i, &b) in table.iter().enumerate() {
        lengths[2 * i] = b & 0x0f;
        lengths[2 * i + 1] = b >> 4;
    }
    let mut decode = Vec::with_capacity(1 << MAX_BITS);
    for len in 1..=MAX_BITS as u8 {
        for (sym, &l) in lengths.iter().enumerate() {
            if l == len {
                let entries = 1usize << (MAX_BITS - u32::from(len));
                if decode.len() + entries > 1 << MAX_BITS {
                    return Err(Error::Corrupt(
                        "Huffman code lengths over-subscribe the table",
                    ));
                }
                decode.resize(decode.len() + entries, sym as u16);
            }
        }
    }
    if decode.len() != 1 << MAX_BITS {
        return Err(Error::Corrupt("Huffman code lengths do not fill the table"));
    }
    Ok(decode)
}

/// Decompresses `input` to exactly `expected` bytes (`expected <= limit`, checked first).
pub fn decompress(input: &[u8], expected: usize, limit: usize) -> Result<Vec<u8>, Error> {
    let mut out = Output::new(expected, limit)?;
    let mut pos = 0;
    let mut lengths = [0u8; SYMBOLS];
    while !out.is_full() {
        let table = input.get(pos..pos + TABLE_BYTES).ok_or(Error::Truncated)?;
        let decode = decoding_table(table, &mut lengths)?;
        let mut bits = BitReader::new(input, pos + TABLE_BYTES);
        let block_end = out.len() + BLOCK;
        while out.len() < block_end && !out.is_full() {
            if bits.index > input.len() + 4 {
                return Err(Error::Truncated);
            }
            let sym = usize::from(decode[bits.peek(MAX_BITS) as usize]);
            bits.skip(u32::from(lengths[sym]));
            if sym < 256 {
                out.push(sym as u8)?;
                continue;
            }
            let sym = sym - 256;
            let high = (sym >> 4) as u32;
            let mut len = sym & 15;
            if len == 15 {
                len = usize::from(bits.byte()?);
                if len == 255 {
                    len = usize::from(bits.u16()?);
                    if len == 0 {
                        let lo = u32::from(bits.u16()?);
                        let hi = u32::from(bits.u16()?);
                        len = (lo | hi << 16) as usize;
                    }
                    len = len
                        .checked_sub(15)
                        .ok_or(Error::Corrupt("match length below its tier"))?;
                }
                len += 15;
            }
            let distance = (bits.peek(high) as usize) + (1 << high);
            bits.skip(high);
            out.copy_match(distance, len + 3)?;
        }
        pos = bits.index.min(input.len());
    }
    out.finish()
}
