//! UTF-16LE, the text of every Windows wire format (MS-FSCC names, SMB2 paths, NTLMSSP
//! under NEGOTIATE_UNICODE, NDR wide strings): one decoder that refuses what is not
//! UTF-16, one that replaces it (for text that is only shown or compared), and the
//! encoders.

use crate::reader::ReadError;

/// Decodes UTF-16LE; an odd byte count or an unpaired surrogate is
/// [`ReadError::BadUtf16`].
pub fn decode_utf16le(bytes: &[u8]) -> Result<String, ReadError> {
    if bytes.len() % 2 != 0 {
        return Err(ReadError::BadUtf16);
    }
    char::decode_utf16(units(bytes))
        .collect::<Result<String, _>>()
        .map_err(|_| ReadError::BadUtf16)
}

/// Decodes UTF-16LE, replacing unpaired surrogates with U+FFFD and dropping an odd last
/// byte.
pub fn decode_utf16le_lossy(bytes: &[u8]) -> String {
    char::decode_utf16(units(bytes))
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[inline]
fn units(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
}

/// Encodes `s` as UTF-16LE, without a terminator.
#[inline]
pub fn encode_utf16le(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2);
    put_utf16le(&mut out, s);
    out
}

/// Appends `s` to `out` as UTF-16LE, without a terminator.
#[inline]
pub fn put_utf16le(out: &mut Vec<u8>, s: &str) {
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// The length of `s` in UTF-16LE bytes.
#[inline]
pub fn utf16le_len(s: &str) -> usize {
    s.encode_utf16().count() * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let s = "srvsvc€ 😀";
        let b = encode_utf16le(s);
        assert_eq!(b.len(), utf16le_len(s));
        assert_eq!(decode_utf16le(&b).as_deref(), Ok(s));
        assert_eq!(decode_utf16le(&b[1..]), Err(ReadError::BadUtf16));
        // A lone low surrogate.
        assert_eq!(decode_utf16le(&[0x00, 0xdc]), Err(ReadError::BadUtf16));
        assert_eq!(decode_utf16le_lossy(&[0x00, 0xdc, b'a', 0, 7]), "\u{fffd}a");
    }
}
