//! MS-SMB2 Pattern_V1 (2.2.42.2.2): a run of one byte, as an 8-byte payload.
//!
//! ```text
//! Pattern (1) | Reserved1 (1) | Reserved2 (2) | Repetitions (4, little-endian)
//! ```
//! It appears only in chained compressed messages (MS-SMB2 2.2.42.2), where the sender
//! uses it for the runs at the front and the back of a payload. The reserved fields are
//! sent as zero and ignored on receipt.

use crate::Error;
use crate::output::Output;

/// The size of a Pattern_V1 payload.
pub const PATTERN_V1_LEN: usize = 8;

/// One Pattern_V1 payload: `pattern` repeated `repetitions` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternV1 {
    /// The byte that repeats.
    pub pattern: u8,
    /// How many times.
    pub repetitions: u32,
}

impl PatternV1 {
    /// The 8 wire bytes.
    pub fn encode(&self) -> [u8; PATTERN_V1_LEN] {
        let mut b = [0u8; PATTERN_V1_LEN];
        b[0] = self.pattern;
        b[4..].copy_from_slice(&self.repetitions.to_le_bytes());
        b
    }

    /// Reads the 8 wire bytes (exactly 8).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let b: &[u8; PATTERN_V1_LEN] = bytes
            .try_into()
            .map_err(|_| Error::Corrupt("Pattern_V1 payload is not 8 bytes"))?;
        Ok(PatternV1 {
            pattern: b[0],
            repetitions: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        })
    }
}

/// `Some` when all of `input` (non-empty, at most 4 GiB) is one byte repeated.
pub fn compress(input: &[u8]) -> Option<PatternV1> {
    let (&first, _) = input.split_first()?;
    let repetitions = u32::try_from(input.len()).ok()?;
    input.iter().all(|&b| b == first).then_some(PatternV1 {
        pattern: first,
        repetitions,
    })
}

/// The length of the run of `input[0]` at the front of `input`.
pub fn leading_run(input: &[u8]) -> usize {
    match input.first() {
        Some(&b) => input.iter().take_while(|&&x| x == b).count(),
        None => 0,
    }
}

/// The length of the run of the last byte at the back of `input`.
pub fn trailing_run(input: &[u8]) -> usize {
    match input.last() {
        Some(&b) => input.iter().rev().take_while(|&&x| x == b).count(),
        None => 0,
    }
}

/// Expands a payload that must produce exactly `expected` bytes (`expected <= limit`,
/// checked before allocating; the repetitions must equal `expected`).
pub fn decompress(input: &[u8], expected: usize, limit: usize) -> Result<Vec<u8>, Error> {
    let mut out = Output::new(expected, limit)?;
    let p = PatternV1::decode(input)?;
    let n = usize::try_from(p.repetitions).map_err(|_| Error::Overrun)?;
    if n > expected {
        return Err(Error::Overrun);
    }
    out.extend(&vec![p.pattern; n])?;
    out.finish()
}
