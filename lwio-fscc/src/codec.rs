//! Shared decode and encode helpers: the nom error type, UTF-16 names, alignment, and the
//! walker for `NextEntryOffset` chains that MS-FSCC uses for every list (2.4.8 and
//! siblings, 2.4.15, 2.4.43, 2.7.1).

use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use crate::FsccError;

/// The nom error of this crate: every failure carries the [`FsccError`] to report.
#[derive(Debug)]
pub(crate) struct PErr(pub(crate) FsccError);

impl<'a> ParseError<&'a [u8]> for PErr {
    fn from_error_kind(_: &'a [u8], _: ErrorKind) -> Self {
        // The complete little-endian parsers only fail when the input runs out.
        PErr(FsccError::Truncated)
    }
    fn append(_: &'a [u8], _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// The result of one of this crate's nom parsers.
pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, PErr>;

/// A parser failure carrying `e`.
pub(crate) fn fail<'a, T>(e: FsccError) -> PResult<'a, T> {
    Err(nom::Err::Failure(PErr(e)))
}

fn unwrap_err(e: nom::Err<PErr>) -> FsccError {
    match e {
        nom::Err::Error(PErr(e)) | nom::Err::Failure(PErr(e)) => e,
        nom::Err::Incomplete(_) => FsccError::Truncated,
    }
}

/// Runs `parser` over the whole of `input`; leftover bytes are an error.
pub(crate) fn run<'a, T>(
    input: &'a [u8],
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, T>,
) -> Result<T, FsccError> {
    match parser(input) {
        Ok(([], value)) => Ok(value),
        Ok((rest, _)) => Err(FsccError::TrailingBytes(rest.len())),
        Err(e) => Err(unwrap_err(e)),
    }
}

/// Runs `parser` over a prefix of `input`; returns the value and the bytes it used.
pub(crate) fn run_prefix<'a, T>(
    input: &'a [u8],
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, T>,
) -> Result<(T, usize), FsccError> {
    match parser(input) {
        Ok((rest, value)) => Ok((value, input.len() - rest.len())),
        Err(e) => Err(unwrap_err(e)),
    }
}

pub(crate) use nom::number::complete::{
    le_i64 as i64le, le_u8 as u8le, le_u16 as u16le, le_u32 as u32le, le_u64 as u64le,
};

/// Takes `n` bytes.
pub(crate) fn take(input: &[u8], n: usize) -> PResult<'_, &[u8]> {
    if input.len() < n {
        return fail(FsccError::Truncated);
    }
    Ok((&input[n..], &input[..n]))
}

/// Skips `n` reserved bytes.
pub(crate) fn skip(input: &[u8], n: usize) -> PResult<'_, ()> {
    let (rest, _) = take(input, n)?;
    Ok((rest, ()))
}

/// Reads a one-byte MS-FSCC BOOLEAN (2.1.8): zero is false, anything else true.
pub(crate) fn boolean(input: &[u8]) -> PResult<'_, bool> {
    let (rest, b) = u8le(input)?;
    Ok((rest, b != 0))
}

/// Reads a 16-byte identifier.
pub(crate) fn id128(input: &[u8]) -> PResult<'_, [u8; 16]> {
    let (rest, bytes) = take(input, 16)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(bytes);
    Ok((rest, id))
}

/// Reads a UTF-16LE name of `len` bytes announced by `field`; a length past the buffer or
/// an odd length is [`FsccError::BadLength`], unpaired surrogates [`FsccError::BadName`].
pub(crate) fn utf16_name<'a>(
    input: &'a [u8],
    len: usize,
    field: &'static str,
) -> PResult<'a, String> {
    if len % 2 != 0 || len > input.len() {
        return fail(FsccError::BadLength(field));
    }
    match utf16_decode(&input[..len]) {
        Ok(s) => Ok((&input[len..], s)),
        Err(e) => fail(e),
    }
}

/// Decodes UTF-16LE bytes (even length) into a `String`.
pub(crate) fn utf16_decode(bytes: &[u8]) -> Result<String, FsccError> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| FsccError::BadName)
}

/// The UTF-16 length of `s` in bytes.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count() * 2
}

/// Appends `s` as UTF-16LE.
pub(crate) fn put_utf16(out: &mut Vec<u8>, s: &str) {
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// A byte count as the u32 of a length field (saturating: names this long never fit in a
/// response anyway, and the caller's size checks reject them).
pub(crate) fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `n` rounded up to a multiple of `align` (a power of two).
pub(crate) const fn align_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}

/// Pads `out` with zeros to a multiple of `align`.
pub(crate) fn pad_to(out: &mut Vec<u8>, align: usize) {
    out.resize(align_up(out.len(), align), 0);
}

/// Walks a `NextEntryOffset` chain: yields each entry's bytes (bounded by the next entry,
/// or the end of the buffer for the last) and whether it is the last. Every offset is
/// checked against the buffer and `align` before use; an empty buffer yields nothing.
#[derive(Debug)]
pub(crate) struct Chain<'a> {
    buf: &'a [u8],
    pos: usize,
    align: usize,
    done: bool,
}

impl<'a> Chain<'a> {
    pub(crate) fn new(buf: &'a [u8], align: usize) -> Self {
        Chain {
            buf,
            pos: 0,
            align,
            done: buf.is_empty(),
        }
    }
}

impl<'a> Iterator for Chain<'a> {
    type Item = Result<(&'a [u8], bool), FsccError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let Some(head) = rest.get(..4) else {
            self.done = true;
            return Some(Err(FsccError::Truncated));
        };
        let next = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if next == 0 {
            self.done = true;
            return Some(Ok((rest, true)));
        }
        if next > rest.len() || next % self.align != 0 {
            self.done = true;
            return Some(Err(FsccError::BadLength("NextEntryOffset")));
        }
        self.pos += next;
        Some(Ok((&rest[..next], false)))
    }
}

/// Parses one chained entry with `parser`. A non-last entry must fit before the next one
/// (what it leaves is alignment padding, which receivers ignore); the last entry must use
/// the rest of the buffer except fewer than `last_pad` padding bytes.
pub(crate) fn chained_entry<'a, T>(
    slice: &'a [u8],
    last: bool,
    last_pad: usize,
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, T>,
) -> Result<T, FsccError> {
    match run_prefix(slice, parser) {
        Ok((value, used)) => {
            let extra = slice.len() - used;
            if last && extra >= last_pad.max(1) {
                Err(FsccError::TrailingBytes(extra))
            } else {
                Ok(value)
            }
        }
        Err(FsccError::Truncated) if !last => Err(FsccError::BadLength("NextEntryOffset")),
        Err(e) => Err(e),
    }
}

/// Parses a whole chain into a vector; the vector grows with entries actually present, so
/// a hostile count cannot make it allocate ahead.
pub(crate) fn parse_chain<'a, T>(
    buf: &'a [u8],
    align: usize,
    last_pad: usize,
    mut parser: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> Result<Vec<T>, FsccError> {
    let mut out = Vec::new();
    for item in Chain::new(buf, align) {
        let (slice, last) = item?;
        out.push(chained_entry(slice, last, last_pad, &mut parser)?);
    }
    Ok(out)
}

/// Encodes a chain: each entry is written by `put` after padding to `align`, and the
/// previous entry's `NextEntryOffset` (its first four bytes) is pointed at it. The last
/// entry keeps `NextEntryOffset` 0 and gets no padding unless `pad_last`.
pub(crate) fn encode_chain<T>(
    items: &[T],
    align: usize,
    pad_last: bool,
    mut put: impl FnMut(&T, &mut Vec<u8>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev: Option<usize> = None;
    for item in items {
        pad_to(&mut out, align);
        let start = out.len();
        if let Some(p) = prev {
            let off = len32(start - p).to_le_bytes();
            out[p..p + 4].copy_from_slice(&off);
        }
        put(item, &mut out);
        prev = Some(start);
    }
    if pad_last {
        pad_to(&mut out, align);
    }
    out
}
