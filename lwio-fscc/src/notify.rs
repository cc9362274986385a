//! Change notifications: the FILE_NOTIFY_INFORMATION list (MS-FSCC 2.7.1).
//!
//! Entry: `NextEntryOffset` (u32, a multiple of 4), `Action` (u32), `FileNameLength` (u32,
//! bytes), the UTF-16LE name relative to the watched directory. Every entry, the last
//! included, is padded to 4 bytes from its start; the decoder accepts a last entry with or
//! without that padding.

use bytes::BufMut;

use crate::FsccError;
use crate::codec::{Reader, encode_chain, len32, parse_chain, put_utf16, utf16_len, utf16_name};

lwio_types::open_enum! {
    /// What happened to the named file (MS-FSCC 2.7.1 Action).
    pub struct NotifyAction(u32) {
        /// The file was added to the directory.
        const ADDED = 0x0000_0001;
        /// The file was removed from the directory.
        const REMOVED = 0x0000_0002;
        /// The file was modified (data, times or attributes).
        const MODIFIED = 0x0000_0003;
        /// The file was renamed; this is the old name.
        const RENAMED_OLD_NAME = 0x0000_0004;
        /// The file was renamed; this is the new name.
        const RENAMED_NEW_NAME = 0x0000_0005;
        /// A named stream was added.
        const ADDED_STREAM = 0x0000_0006;
        /// A named stream was removed.
        const REMOVED_STREAM = 0x0000_0007;
        /// A named stream was modified.
        const MODIFIED_STREAM = 0x0000_0008;
        /// An object id was removed because its file was deleted.
        const REMOVED_BY_DELETE = 0x0000_0009;
        /// Object id tunnelling failed: the id is in use elsewhere.
        const ID_NOT_TUNNELLED = 0x0000_000A;
        /// Object id tunnelling failed: the file already has an id.
        const TUNNELLED_ID_COLLISION = 0x0000_000B;
    }
}

/// One change record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotifyEntry {
    /// What happened.
    pub action: NotifyAction,
    /// The name, relative to the watched directory.
    pub file_name: String,
}

/// Bytes of a notify record before its name.
pub const NOTIFY_ENTRY_FIXED: usize = 12;

impl NotifyEntry {
    fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(0);
        out.put_u32_le(self.action.0);
        out.put_u32_le(len32(utf16_len(&self.file_name)));
        put_utf16(out, &self.file_name);
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let _next = r.u32()?;
        let action = r.u32()?;
        let len = r.u32()?;
        let file_name = utf16_name(r, len as usize, "FileNameLength")?;
        Ok(NotifyEntry {
            action: NotifyAction(action),
            file_name,
        })
    }

    /// Bytes of this record on the wire, padded to 4.
    pub fn wire_len(&self) -> usize {
        crate::codec::align_up(NOTIFY_ENTRY_FIXED + utf16_len(&self.file_name), 4)
    }
}

/// Encodes a list of change records (an empty list is zero bytes).
pub fn encode_notify(entries: &[NotifyEntry]) -> Vec<u8> {
    encode_chain(entries, 4, true, |e, o| e.put(o))
}

/// Decodes a list of change records, checking every offset and name length.
pub fn decode_notify(buf: &[u8]) -> Result<Vec<NotifyEntry>, FsccError> {
    parse_chain(buf, 4, 4, NotifyEntry::parse)
}
