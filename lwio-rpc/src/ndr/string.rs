//! Strings: `[string]` conformant varying arrays of `wchar_t` and `char` (C706 14.3.4),
//! and RPC_UNICODE_STRING (MS-DTYP 2.3.10).

use super::{Ndr, NdrReader, NdrWriter};
use crate::NdrError;

/// Reads the three counts of a conformant varying string and checks them: offset 0,
/// actual ≤ max, at least the terminator, and room for `actual` units of `unit` bytes.
fn string_counts(r: &mut NdrReader<'_>, unit: usize) -> Result<usize, NdrError> {
    let max = r.u32()?;
    let offset = r.u32()?;
    let actual = r.u32()?;
    if offset != 0 {
        return Err(NdrError::BadOffset(offset));
    }
    if actual > max {
        return Err(NdrError::ActualExceedsMax {
            offset,
            actual,
            max,
        });
    }
    if actual == 0 {
        return Err(NdrError::BadString("no terminating NUL"));
    }
    r.check_count(actual, unit)
}

fn counts_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A `[string] wchar_t[]` value: maximum count, offset 0, actual count (both counting the
/// terminating NUL), then UTF-16LE units ending in 0. Invalid UTF-16 or a missing NUL is
/// [`NdrError::BadString`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct WString(pub String);

/// `[string, unique] wchar_t*` (LPWSTR in most interfaces).
pub type WStrPtr = Option<WString>;

impl From<&str> for WString {
    fn from(s: &str) -> WString {
        WString(s.to_owned())
    }
}

impl From<String> for WString {
    fn from(s: String) -> WString {
        WString(s)
    }
}

impl Ndr for WString {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 12;
    fn encode_flat(&self, w: &mut NdrWriter) {
        let units: Vec<u16> = self.0.encode_utf16().collect();
        let n = counts_u32(units.len() + 1);
        w.u32(n);
        w.u32(0);
        w.u32(n);
        for u in units {
            w.u16(u);
        }
        w.u16(0);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<WString, NdrError> {
        let n = string_counts(r, 2)?;
        let raw = r.bytes(n * 2)?;
        let (text, nul) = raw.split_at(raw.len() - 2);
        if nul != [0, 0] {
            return Err(NdrError::BadString("no terminating NUL"));
        }
        let order = r.byte_order();
        let units = text.chunks_exact(2).map(|c| order.u16([c[0], c[1]]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(WString)
            .map_err(|_| NdrError::BadString("invalid UTF-16"))
    }
}

/// A `[string] char[]` value: the counts, then the octets ending in 0. The octets are kept
/// as they are (ASCII in practice, OEM code page in theory).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct AString(pub Vec<u8>);

impl From<&str> for AString {
    fn from(s: &str) -> AString {
        AString(s.as_bytes().to_vec())
    }
}

impl Ndr for AString {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 12;
    fn encode_flat(&self, w: &mut NdrWriter) {
        let n = counts_u32(self.0.len() + 1);
        w.u32(n);
        w.u32(0);
        w.u32(n);
        w.bytes(&self.0);
        w.u8(0);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<AString, NdrError> {
        let n = string_counts(r, 1)?;
        let raw = r.bytes(n)?;
        match raw.split_last() {
            Some((0, text)) => Ok(AString(text.to_vec())),
            _ => Err(NdrError::BadString("no terminating NUL")),
        }
    }
}

/// RPC_UNICODE_STRING (MS-DTYP 2.3.10):
///
/// ```text
/// typedef struct { unsigned short Length; unsigned short MaximumLength;
///   [size_is(MaximumLength/2), length_is(Length/2)] WCHAR* Buffer; }
/// ```
///
/// Lengths are in bytes, without a terminator. The buffer is a unique pointer to a
/// conformant varying array: maximum count `MaximumLength/2`, offset 0, actual count
/// `Length/2`. Decoding checks all of those agree, that `Length` is even and at most
/// `MaximumLength`, and that a null buffer has `Length` 0.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct RpcUnicodeString {
    /// The UTF-16 units (`Length/2` of them), or `None` for a null buffer.
    pub buffer: Option<Vec<u16>>,
    /// `MaximumLength` in bytes; at least `2 * buffer.len()` is written.
    pub maximum_length: u16,
}

/// The most UTF-16 units a 16-bit byte length can describe.
const MAX_UNITS: usize = 0x7FFF;

impl RpcUnicodeString {
    /// A string holding `s` (cut to 32767 UTF-16 units), with `MaximumLength = Length`.
    pub fn new(s: &str) -> RpcUnicodeString {
        let mut units: Vec<u16> = s.encode_utf16().collect();
        units.truncate(MAX_UNITS);
        let maximum_length = (units.len() * 2) as u16;
        RpcUnicodeString {
            buffer: Some(units),
            maximum_length,
        }
    }

    /// The null string (null buffer, lengths 0).
    pub fn null() -> RpcUnicodeString {
        RpcUnicodeString::default()
    }

    /// The text, with invalid UTF-16 replaced; `None` for a null buffer.
    pub fn to_string_lossy(&self) -> Option<String> {
        self.buffer.as_deref().map(String::from_utf16_lossy)
    }

    /// The units that will be written (at most 32767).
    fn units(&self) -> &[u16] {
        match &self.buffer {
            Some(b) => &b[..b.len().min(MAX_UNITS)],
            None => &[],
        }
    }

    /// `Length` as it will be written.
    fn length(&self) -> u16 {
        // At most 0x7FFF units, so the byte length fits.
        (self.units().len() * 2) as u16
    }

    fn max_length(&self) -> u16 {
        self.maximum_length.max(self.length())
    }
}

impl From<&str> for RpcUnicodeString {
    fn from(s: &str) -> RpcUnicodeString {
        RpcUnicodeString::new(s)
    }
}

impl Ndr for RpcUnicodeString {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 8;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.align(4);
        w.u16(self.length());
        w.u16(self.max_length());
        w.referent(self.buffer.is_some());
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        if self.buffer.is_some() {
            let units = self.units();
            w.u32(u32::from(self.max_length() / 2));
            w.u32(0);
            w.u32(counts_u32(units.len()));
            for u in units {
                w.u16(*u);
            }
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<RpcUnicodeString, NdrError> {
        r.align(4)?;
        let length = r.u16()?;
        let maximum_length = r.u16()?;
        let id = r.u32()?;
        if length % 2 != 0 || length > maximum_length {
            return Err(NdrError::Invalid("RPC_UNICODE_STRING lengths"));
        }
        if id == 0 && length != 0 {
            return Err(NdrError::Invalid(
                "RPC_UNICODE_STRING null buffer with a length",
            ));
        }
        r.defer(id)?;
        r.defer(u32::from(length))?;
        Ok(RpcUnicodeString {
            buffer: None,
            maximum_length,
        })
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        let id = r.take_deferred()?;
        let length = r.take_deferred()?;
        if id == 0 {
            return Ok(());
        }
        r.enter()?;
        let max = r.u32()?;
        let offset = r.u32()?;
        let actual = r.u32()?;
        if offset != 0 {
            return Err(NdrError::BadOffset(offset));
        }
        if actual > max {
            return Err(NdrError::ActualExceedsMax {
                offset,
                actual,
                max,
            });
        }
        if max != u32::from(self.maximum_length / 2) || actual != length / 2 {
            return Err(NdrError::CountMismatch(
                "RPC_UNICODE_STRING counts disagree with its lengths",
            ));
        }
        let n = r.check_count(actual, 2)?;
        let raw = r.bytes(n * 2)?;
        let order = r.byte_order();
        self.buffer = Some(
            raw.chunks_exact(2)
                .map(|c| order.u16([c[0], c[1]]))
                .collect(),
        );
        r.leave();
        Ok(())
    }
}
