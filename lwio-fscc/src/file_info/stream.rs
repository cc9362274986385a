//! FileStreamInformation (MS-FSCC 2.4.43): a chain of FILE_STREAM_INFORMATION entries, each
//! aligned on 8 bytes, the last with `NextEntryOffset` 0 and no padding. Query sizing follows
//! MS-FSA 2.1.5.12.29: whole entries only; an entry that does not fit ends the list with
//! STATUS_BUFFER_OVERFLOW.

use bytes::BufMut;
use lwio_types::NtStatus;

use crate::FsccError;
use crate::codec::{
    Reader, align_up, encode_chain, len32, parse_chain, put_utf16, utf16_len, utf16_name,
};

/// One stream of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamEntry {
    /// The stream name in the form `:name:$DATA`; the default stream is `::$DATA`.
    pub stream_name: String,
    /// Size in bytes.
    pub stream_size: u64,
    /// Bytes allocated.
    pub stream_allocation_size: u64,
}

/// Bytes of a FILE_STREAM_INFORMATION entry before its name.
pub const STREAM_ENTRY_FIXED: usize = 24;

/// The smallest output buffer a stream query accepts: sizeof(FILE_STREAM_INFORMATION) as a
/// C compiler lays it out (24 + one WCHAR, rounded to 8) = 32 (MS-FSA 2.1.5.12.29).
pub const STREAM_QUERY_MIN_OUTPUT: usize = 32;

impl StreamEntry {
    fn wire_len(&self) -> usize {
        STREAM_ENTRY_FIXED + utf16_len(&self.stream_name)
    }

    fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(0);
        out.put_u32_le(len32(utf16_len(&self.stream_name)));
        out.put_u64_le(self.stream_size);
        out.put_u64_le(self.stream_allocation_size);
        put_utf16(out, &self.stream_name);
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let _next = r.u32()?;
        let len = r.u32()?;
        let stream_size = r.u64()?;
        let stream_allocation_size = r.u64()?;
        let stream_name = utf16_name(r, len as usize, "StreamNameLength")?;
        Ok(StreamEntry {
            stream_name,
            stream_size,
            stream_allocation_size,
        })
    }
}

/// FileStreamInformation: the streams of a file (an empty list encodes as zero bytes, which
/// is what a directory without named streams returns).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileStreamInformation {
    /// The streams, in order.
    pub entries: Vec<StreamEntry>,
}

impl FileStreamInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.extend(encode_chain(&self.entries, 8, false, |e, o| e.put(o)));
    }

    /// Encodes as many whole entries as fit in `max` bytes (MS-FSA 2.1.5.12.29):
    /// `Err(STATUS_INFO_LENGTH_MISMATCH)` below [`STREAM_QUERY_MIN_OUTPUT`]; otherwise the
    /// bytes and STATUS_SUCCESS, or STATUS_BUFFER_OVERFLOW when an entry had to be left out.
    pub fn encode_within(&self, max: u32) -> Result<(Vec<u8>, NtStatus), NtStatus> {
        let max = max as usize;
        if max < STREAM_QUERY_MIN_OUTPUT {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        }
        let mut end = 0usize;
        let mut count = 0usize;
        for e in &self.entries {
            let start = if count == 0 { 0 } else { align_up(end, 8) };
            if start + e.wire_len() > max {
                break;
            }
            end = start + e.wire_len();
            count += 1;
        }
        let bytes = encode_chain(&self.entries[..count], 8, false, |e, o| e.put(o));
        let status = if count < self.entries.len() {
            NtStatus::BUFFER_OVERFLOW
        } else {
            NtStatus::SUCCESS
        };
        Ok((bytes, status))
    }
}

impl FileStreamInformation {
    /// Encodes the list.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.put(&mut out);
        out
    }

    /// Decodes a list, checking every `NextEntryOffset` (inside the buffer, multiple of 8,
    /// past the entry's name) and every name length.
    pub fn decode(input: &[u8]) -> Result<Self, FsccError> {
        parse_chain(input, 8, 0, StreamEntry::parse)
            .map(|entries| FileStreamInformation { entries })
    }
}

impl crate::FileInfo for FileStreamInformation {
    const CLASS: lwio_types::FileInfoClass = lwio_types::FileInfoClass::STREAM;
    const FIXED_SIZE: usize = STREAM_ENTRY_FIXED;
    const VARIABLE: bool = true;
    fn encode(&self) -> Vec<u8> {
        FileStreamInformation::encode(self)
    }
    fn decode(input: &[u8]) -> Result<Self, FsccError> {
        FileStreamInformation::decode(input)
    }
}
