//! nom plumbing shared by the PDU codecs: the error type that carries an [`RpcError`], and
//! runners that turn a parser into a `Result`.

use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use crate::RpcError;

/// The nom error of the PDU codecs.
#[derive(Debug)]
pub(crate) struct PErr(pub(crate) RpcError);

impl<'a> ParseError<&'a [u8]> for PErr {
    fn from_error_kind(_: &'a [u8], _: ErrorKind) -> Self {
        // The complete little-endian parsers fail only when the input runs out.
        PErr(RpcError::Truncated)
    }
    fn append(_: &'a [u8], _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// The result of a PDU parser.
pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, PErr>;

pub(crate) use nom::number::complete::{le_u8, le_u16, le_u32};

/// A parser failure carrying `e`.
pub(crate) fn fail<'a, T>(e: RpcError) -> PResult<'a, T> {
    Err(nom::Err::Failure(PErr(e)))
}

/// Runs `parser` over all of `input`; leftover bytes are [`RpcError::TrailingBytes`].
pub(crate) fn run_all<'a, T>(
    input: &'a [u8],
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, T>,
) -> Result<T, RpcError> {
    match parser(input) {
        Ok(([], value)) => Ok(value),
        Ok((rest, _)) => Err(RpcError::TrailingBytes(rest.len())),
        Err(nom::Err::Error(PErr(e)) | nom::Err::Failure(PErr(e))) => Err(e),
        Err(nom::Err::Incomplete(_)) => Err(RpcError::Truncated),
    }
}

/// Takes `n` bytes.
pub(crate) fn take(input: &[u8], n: usize) -> PResult<'_, &[u8]> {
    if input.len() < n {
        return fail(RpcError::Truncated);
    }
    Ok((&input[n..], &input[..n]))
}

/// Reads a 16-byte little-endian UUID.
pub(crate) fn uuid(input: &[u8]) -> PResult<'_, crate::Uuid> {
    let (rest, b) = take(input, 16)?;
    let mut raw = [0u8; 16];
    raw.copy_from_slice(b);
    Ok((rest, crate::Uuid::from_le_bytes(raw)))
}

/// Reads a 20-byte presentation syntax id.
pub(crate) fn syntax_id(input: &[u8]) -> PResult<'_, crate::SyntaxId> {
    let (input, uuid) = uuid(input)?;
    let (input, version) = le_u32(input)?;
    Ok((input, crate::SyntaxId { uuid, version }))
}

/// Padding that brings `len` up to a multiple of `align` (a power of two).
pub(crate) const fn pad_to(len: usize, align: usize) -> usize {
    (align - (len % align)) % align
}
