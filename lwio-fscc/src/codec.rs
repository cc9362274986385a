//! Shared decode and encode helpers: the family's checked reader ([`Reader`], from
//! `lwio-types`) with this crate's error, UTF-16 names, alignment, and the walker for
//! `NextEntryOffset` chains that MS-FSCC uses for every list (2.4.8 and siblings, 2.4.15,
//! 2.4.43, 2.7.1).

pub(crate) use lwio_types::Reader;

use crate::FsccError;

/// Runs `parse` over the whole of `input`; leftover bytes are an error.
pub(crate) fn run<'a, T>(
    input: &'a [u8],
    parse: impl FnOnce(&mut Reader<'a>) -> Result<T, FsccError>,
) -> Result<T, FsccError> {
    lwio_types::read_all(input, parse)
}

/// Runs `parse` over a prefix of `input`; returns the value and the bytes it used.
pub(crate) fn run_prefix<'a, T>(
    input: &'a [u8],
    parse: impl FnOnce(&mut Reader<'a>) -> Result<T, FsccError>,
) -> Result<(T, usize), FsccError> {
    let mut r = Reader::new(input);
    let value = parse(&mut r)?;
    Ok((value, r.position()))
}

/// Reads a one-byte MS-FSCC BOOLEAN (2.1.8): zero is false, anything else true.
pub(crate) fn boolean(r: &mut Reader<'_>) -> Result<bool, FsccError> {
    Ok(r.u8()? != 0)
}

/// Reads a UTF-16LE name of `len` bytes announced by `field`; a length past the buffer or
/// an odd length is [`FsccError::BadLength`], unpaired surrogates [`FsccError::BadName`].
pub(crate) fn utf16_name(
    r: &mut Reader<'_>,
    len: usize,
    field: &'static str,
) -> Result<String, FsccError> {
    if len % 2 != 0 || len > r.remaining() {
        return Err(FsccError::BadLength(field));
    }
    Ok(r.utf16le(len)?)
}

/// Decodes UTF-16LE bytes (even length) into a `String`.
pub(crate) fn utf16_decode(bytes: &[u8]) -> Result<String, FsccError> {
    Ok(lwio_types::utf16::decode_utf16le(bytes)?)
}

pub(crate) use lwio_types::utf16::{put_utf16le as put_utf16, utf16le_len as utf16_len};

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
        let Ok(next) = Reader::new(rest).u32() else {
            self.done = true;
            return Some(Err(FsccError::Truncated));
        };
        let next = next as usize;
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
    parser: impl FnOnce(&mut Reader<'a>) -> Result<T, FsccError>,
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
    mut parser: impl FnMut(&mut Reader<'a>) -> Result<T, FsccError>,
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
