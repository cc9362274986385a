//! A small little-endian cursor for the buffers this driver decodes (FSCTL inputs, set
//! information buffers, the client-information blob). Every read is bounds-checked, and
//! [`Reader::finish`] rejects trailing bytes.

use lwio_core::NtStatus;

/// A cursor over untrusted bytes; every failure is STATUS_INVALID_PARAMETER.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], NtStatus> {
        if self.buf.len() < n {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], NtStatus> {
        let bytes = self.take(N)?;
        <[u8; N]>::try_from(bytes).map_err(|_| NtStatus::INVALID_PARAMETER)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, NtStatus> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, NtStatus> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, NtStatus> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, NtStatus> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, NtStatus> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A length (u32) and that many bytes.
    pub(crate) fn counted(&mut self) -> Result<&'a [u8], NtStatus> {
        let n = usize::try_from(self.u32()?).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        self.take(n)
    }

    /// Succeeds only when every byte was read.
    pub(crate) fn finish(self) -> Result<(), NtStatus> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(NtStatus::INVALID_PARAMETER)
        }
    }
}

/// Decodes UTF-16LE; odd lengths and unpaired surrogates are STATUS_OBJECT_NAME_INVALID.
pub(crate) fn utf16le(bytes: &[u8]) -> Result<String, NtStatus> {
    if bytes.len() % 2 != 0 {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| NtStatus::OBJECT_NAME_INVALID)
}

/// Appends `s` as UTF-16LE.
pub(crate) fn put_utf16le(out: &mut Vec<u8>, s: &str) {
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_checks_bounds_and_trailing_bytes() {
        let mut r = Reader::new(&[1, 2, 0, 3, 0, 0]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(2));
        assert_eq!(r.u32(), Err(NtStatus::INVALID_PARAMETER));
        let mut r = Reader::new(&[1, 0, 0, 0, 9, 7]);
        assert_eq!(r.counted(), Ok(&[9][..]));
        assert_eq!(r.finish(), Err(NtStatus::INVALID_PARAMETER));
    }

    #[test]
    fn utf16_round_trip() {
        let mut out = Vec::new();
        put_utf16le(&mut out, "srvsvc€");
        assert_eq!(utf16le(&out).as_deref(), Ok("srvsvc€"));
        assert_eq!(utf16le(&out[1..]), Err(NtStatus::OBJECT_NAME_INVALID));
    }
}
