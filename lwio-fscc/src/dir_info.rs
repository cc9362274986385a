//! Directory entries for query-directory: FileDirectoryInformation (MS-FSCC 2.4.10),
//! FileFullDirectoryInformation (2.4.14), FileBothDirectoryInformation (2.4.8),
//! FileIdBothDirectoryInformation (2.4.17), FileIdFullDirectoryInformation (2.4.18),
//! FileIdExtdDirectoryInformation (2.4.16) and FileNamesInformation (2.4.28).
//!
//! Every class is a chain: entries aligned on 8 bytes, each `NextEntryOffset` pointing at
//! the next, the last 0 and unpadded. [`DirEntryWriter`] builds such a buffer under the
//! caller's size limit with the MS-FSA 2.1.5.6.3 rules; [`DirEntries`] walks one, checking
//! every offset and name length.
//!
//! Fixed parts (bytes before `FileName`): Directory 64, Full 68, IdFull 80, Both 94,
//! IdBoth 104, IdExtd 88, Names 12.
//!
//! For Full, IdFull, Both and IdBoth the `EaSize` field carries the reparse tag when the
//! entry has FILE_ATTRIBUTE_REPARSE_POINT (MS-FSA 2.1.5.6.3.1-4): the writer puts
//! [`DirEntry::reparse_tag`] there for such entries, and the decoder fills `reparse_tag`
//! (leaving `ea_size` 0) from it. The writer does not add FILE_ATTRIBUTE_NORMAL or
//! FILE_ATTRIBUTE_DIRECTORY: the file system sets attributes before it calls it.

use bytes::BufMut;
use lwio_types::{FileAttributes, FileInfoClass, NtStatus};

use crate::FsccError;
use crate::codec::{
    Chain, Reader, align_up, chained_entry, len32, pad_to, put_utf16, utf16_decode, utf16_name,
};
use crate::time::FileTime;

/// One directory entry, the union of what the entry classes carry. Encoding uses the
/// fields its class has; decoding leaves the others at their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirEntry {
    /// Position in the directory; 0 where positions are not stable (MS-FSCC 2.4.10).
    pub file_index: u32,
    /// Creation time.
    pub creation_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// Last change time.
    pub change_time: FileTime,
    /// Size in bytes.
    pub end_of_file: u64,
    /// Bytes allocated.
    pub allocation_size: u64,
    /// Attributes.
    pub file_attributes: FileAttributes,
    /// EA size (as FileEaInformation reports it).
    pub ea_size: u32,
    /// Reparse tag, for entries with FILE_ATTRIBUTE_REPARSE_POINT.
    pub reparse_tag: u32,
    /// The 64-bit file id (IdBoth, IdFull).
    pub file_id: u64,
    /// The 128-bit file id (IdExtd).
    pub file_id_128: [u8; 16],
    /// The 8.3 name, at most 12 UTF-16 units (Both, IdBoth); longer names are cut.
    pub short_name: String,
    /// The name.
    pub file_name: String,
}

/// Bytes before `FileName` in an entry of `class`, or `None` for a class that is not a
/// directory entry class this crate encodes.
pub fn dir_entry_fixed_size(class: FileInfoClass) -> Option<usize> {
    Some(match class {
        FileInfoClass::DIRECTORY => 64,
        FileInfoClass::FULL_DIRECTORY => 68,
        FileInfoClass::ID_FULL_DIRECTORY => 80,
        FileInfoClass::BOTH_DIRECTORY => 94,
        FileInfoClass::ID_BOTH_DIRECTORY => 104,
        FileInfoClass::ID_EXTD_DIRECTORY => 88,
        FileInfoClass::NAMES => 12,
        _ => return None,
    })
}

/// True for the directory classes whose entries carry `EaSize` (Full, IdFull, Both, IdBoth,
/// IdExtd), so a file system knows when an entry's EA size must be looked up.
pub fn dir_class_has_ea_size(class: FileInfoClass) -> bool {
    matches!(
        class,
        FileInfoClass::FULL_DIRECTORY
            | FileInfoClass::ID_FULL_DIRECTORY
            | FileInfoClass::BOTH_DIRECTORY
            | FileInfoClass::ID_BOTH_DIRECTORY
            | FileInfoClass::ID_EXTD_DIRECTORY
    )
}

const SHORT_NAME_BYTES: usize = 24;

fn utf16_bytes(s: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() * 2);
    put_utf16(&mut v, s);
    v
}

fn ea_or_tag(e: &DirEntry) -> u32 {
    if e.file_attributes.contains(FileAttributes::REPARSE_POINT) {
        e.reparse_tag
    } else {
        e.ea_size
    }
}

fn set_ea_or_tag(e: &mut DirEntry, v: u32) {
    if e.file_attributes.contains(FileAttributes::REPARSE_POINT) {
        e.reparse_tag = v;
    } else {
        e.ea_size = v;
    }
}

/// Writes one entry with `NextEntryOffset` 0: the fixed part, `FileNameLength` =
/// `name_len_field`, then `name` (which may be a prefix of the full name).
fn put_entry(
    class: FileInfoClass,
    e: &DirEntry,
    out: &mut Vec<u8>,
    name_len_field: u32,
    name: &[u8],
) {
    out.put_u32_le(0);
    out.put_u32_le(e.file_index);
    if class == FileInfoClass::NAMES {
        out.put_u32_le(name_len_field);
        out.put_slice(name);
        return;
    }
    out.put_i64_le(e.creation_time.0);
    out.put_i64_le(e.last_access_time.0);
    out.put_i64_le(e.last_write_time.0);
    out.put_i64_le(e.change_time.0);
    out.put_u64_le(e.end_of_file);
    out.put_u64_le(e.allocation_size);
    out.put_u32_le(e.file_attributes.0);
    out.put_u32_le(name_len_field);
    match class {
        FileInfoClass::FULL_DIRECTORY => out.put_u32_le(ea_or_tag(e)),
        FileInfoClass::ID_FULL_DIRECTORY => {
            out.put_u32_le(ea_or_tag(e));
            out.put_u32_le(0);
            out.put_u64_le(e.file_id);
        }
        FileInfoClass::BOTH_DIRECTORY | FileInfoClass::ID_BOTH_DIRECTORY => {
            out.put_u32_le(ea_or_tag(e));
            let mut short = utf16_bytes(&e.short_name);
            short.truncate(SHORT_NAME_BYTES);
            out.put_u8(short.len() as u8);
            out.put_u8(0);
            out.put_slice(&short);
            out.put_bytes(0, SHORT_NAME_BYTES - short.len());
            if class == FileInfoClass::ID_BOTH_DIRECTORY {
                out.put_u16_le(0);
                out.put_u64_le(e.file_id);
            }
        }
        FileInfoClass::ID_EXTD_DIRECTORY => {
            out.put_u32_le(e.ea_size);
            out.put_u32_le(e.reparse_tag);
            out.put_slice(&e.file_id_128);
        }
        _ => {}
    }
    out.put_slice(name);
}

fn parse_entry(class: FileInfoClass, r: &mut Reader<'_>) -> Result<DirEntry, FsccError> {
    let _next = r.u32()?;
    let file_index = r.u32()?;
    let mut e = DirEntry {
        file_index,
        ..DirEntry::default()
    };
    if class == FileInfoClass::NAMES {
        let len = r.u32()?;
        e.file_name = utf16_name(r, len as usize, "FileNameLength")?;
        return Ok(e);
    }
    e.creation_time = FileTime(r.i64()?);
    e.last_access_time = FileTime(r.i64()?);
    e.last_write_time = FileTime(r.i64()?);
    e.change_time = FileTime(r.i64()?);
    e.end_of_file = r.u64()?;
    e.allocation_size = r.u64()?;
    e.file_attributes = FileAttributes(r.u32()?);
    let name_len = r.u32()?;
    match class {
        FileInfoClass::DIRECTORY => {}
        FileInfoClass::FULL_DIRECTORY => {
            let v = r.u32()?;
            set_ea_or_tag(&mut e, v);
        }
        FileInfoClass::ID_FULL_DIRECTORY => {
            let v = r.u32()?;
            r.skip(4)?;
            e.file_id = r.u64()?;
            set_ea_or_tag(&mut e, v);
        }
        FileInfoClass::BOTH_DIRECTORY | FileInfoClass::ID_BOTH_DIRECTORY => {
            let v = r.u32()?;
            let short_len = usize::from(r.u8()?);
            r.skip(1)?;
            if short_len > SHORT_NAME_BYTES || short_len % 2 != 0 {
                return Err(FsccError::BadLength("ShortNameLength"));
            }
            // The name is checked before the rest of the 24-byte field is taken.
            let short = r.peek_rest().get(..short_len).ok_or(FsccError::Truncated)?;
            let short = utf16_decode(short)?;
            r.skip(SHORT_NAME_BYTES)?;
            if class == FileInfoClass::ID_BOTH_DIRECTORY {
                r.skip(2)?;
                e.file_id = r.u64()?;
            }
            set_ea_or_tag(&mut e, v);
            e.short_name = short;
        }
        FileInfoClass::ID_EXTD_DIRECTORY => {
            e.ea_size = r.u32()?;
            e.reparse_tag = r.u32()?;
            e.file_id_128 = r.array()?;
        }
        _ => return Err(FsccError::InvalidValue("FileInformationClass")),
    }
    e.file_name = utf16_name(r, name_len as usize, "FileNameLength")?;
    Ok(e)
}

/// Builds a query-directory output buffer under a size limit (MS-FSA 2.1.5.6.3).
///
/// * [`DirEntryWriter::new`] fails with STATUS_INFO_LENGTH_MISMATCH when `max_len` cannot
///   hold the fixed part of one entry, and STATUS_INVALID_INFO_CLASS for a class that is not
///   a directory entry class.
/// * [`DirEntryWriter::push`] appends an entry, 8-byte aligned, and links the previous
///   entry's `NextEntryOffset` to it; it returns `false`, writing nothing, when the entry
///   does not fit whole, when the buffer is already closed by an overflow, or when
///   single-entry mode already holds one entry. The caller keeps that entry for the next
///   query.
/// * The first entry is special: if even it does not fit, MS-FSA returns it anyway with the
///   name cut to the bytes left (whole UTF-16 units; `FileNameLength` still gives the full
///   length) and the status STATUS_BUFFER_OVERFLOW, a warning whose bytes go back to the
///   caller. `push` does that, returns `false` (the entry was not delivered whole, so the
///   cursor must not move past it) and [`DirEntryWriter::status`] then reports
///   STATUS_BUFFER_OVERFLOW. STATUS_BUFFER_TOO_SMALL is the EA query's rule
///   (MS-FSA 2.1.5.12.12), not this one.
/// * With [`DirEntryWriter::single_entry`] (SMB2_RETURN_SINGLE_ENTRY / ReturnSingleEntry)
///   at most one entry goes in.
/// * When nothing matched, the driver answers STATUS_NO_SUCH_FILE on the first query of a
///   pattern and STATUS_NO_MORE_FILES afterwards; the writer is then simply empty.
#[derive(Debug, Clone)]
pub struct DirEntryWriter {
    class: FileInfoClass,
    fixed: usize,
    max_len: usize,
    single: bool,
    buf: Vec<u8>,
    last_start: Option<usize>,
    count: usize,
    overflow: bool,
}

impl DirEntryWriter {
    /// A writer for `class` entries, producing at most `max_len` bytes.
    pub fn new(class: FileInfoClass, max_len: u32) -> Result<Self, NtStatus> {
        let fixed = dir_entry_fixed_size(class).ok_or(NtStatus::INVALID_INFO_CLASS)?;
        let max_len = max_len as usize;
        if max_len < fixed {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        }
        Ok(DirEntryWriter {
            class,
            fixed,
            max_len,
            single: false,
            buf: Vec::new(),
            last_start: None,
            count: 0,
            overflow: false,
        })
    }

    /// Accept at most one entry (ReturnSingleEntry).
    pub fn single_entry(mut self, single: bool) -> Self {
        self.single = single;
        self
    }

    /// The class being written.
    pub fn class(&self) -> FileInfoClass {
        self.class
    }

    /// True when no further entry can be added.
    pub fn is_full(&self) -> bool {
        self.overflow || (self.single && self.count > 0)
    }

    /// Number of whole entries written.
    pub fn entry_count(&self) -> usize {
        self.count
    }

    /// True when the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Appends `entry`; see the type documentation for when it returns `false`.
    pub fn push(&mut self, entry: &DirEntry) -> bool {
        if self.is_full() {
            return false;
        }
        let name = utf16_bytes(&entry.file_name);
        let start = match self.last_start {
            None => 0,
            Some(_) => align_up(self.buf.len(), 8),
        };
        let end = start + self.fixed + name.len();
        if end <= self.max_len {
            pad_to(&mut self.buf, 8);
            if let Some(prev) = self.last_start {
                let off = len32(start - prev).to_le_bytes();
                self.buf[prev..prev + 4].copy_from_slice(&off);
            }
            put_entry(self.class, entry, &mut self.buf, len32(name.len()), &name);
            self.last_start = Some(start);
            self.count += 1;
            return true;
        }
        if self.last_start.is_none() {
            let room = (self.max_len - self.fixed) & !1;
            put_entry(
                self.class,
                entry,
                &mut self.buf,
                len32(name.len()),
                &name[..room],
            );
            self.overflow = true;
        }
        false
    }

    /// STATUS_BUFFER_OVERFLOW when the first entry had to be cut, STATUS_SUCCESS otherwise.
    pub fn status(&self) -> NtStatus {
        if self.overflow {
            NtStatus::BUFFER_OVERFLOW
        } else {
            NtStatus::SUCCESS
        }
    }

    /// The finished buffer (last `NextEntryOffset` 0, no trailing padding) and its status.
    pub fn finish(self) -> (Vec<u8>, NtStatus) {
        let status = self.status();
        (self.buf, status)
    }
}

/// Encodes `entries` as one unlimited chain of `class` entries; `None` for a class that is
/// not a directory entry class.
pub fn encode_dir_entries(class: FileInfoClass, entries: &[DirEntry]) -> Option<Vec<u8>> {
    let mut w = DirEntryWriter::new(class, u32::MAX).ok()?;
    w.max_len = usize::MAX;
    for e in entries {
        w.push(e);
    }
    Some(w.finish().0)
}

/// An iterator over the entries of a query-directory buffer. Every `NextEntryOffset` is
/// checked (inside the buffer, a multiple of 8, past the entry's name) and every name
/// length; after the first error it yields nothing more.
#[derive(Debug)]
pub struct DirEntries<'a> {
    class: FileInfoClass,
    chain: Chain<'a>,
    failed: bool,
}

impl<'a> DirEntries<'a> {
    /// Walks `buf` as `class` entries; fails for a class that is not a directory class.
    pub fn new(class: FileInfoClass, buf: &'a [u8]) -> Result<Self, FsccError> {
        dir_entry_fixed_size(class).ok_or(FsccError::InvalidValue("FileInformationClass"))?;
        Ok(DirEntries {
            class,
            chain: Chain::new(buf, 8),
            failed: false,
        })
    }
}

impl Iterator for DirEntries<'_> {
    type Item = Result<DirEntry, FsccError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.chain.next()?.and_then(|(slice, last)| {
            let class = self.class;
            chained_entry(slice, last, 0, |r| parse_entry(class, r))
        });
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

/// Decodes a whole query-directory buffer of `class` entries.
pub fn decode_dir_entries(class: FileInfoClass, buf: &[u8]) -> Result<Vec<DirEntry>, FsccError> {
    DirEntries::new(class, buf)?.collect()
}
