//! Extended attributes: FileFullEaInformation (MS-FSCC 2.4.15), the chained
//! FILE_FULL_EA_INFORMATION list, and FILE_GET_EA_INFORMATION (2.4.15.1), the list of names a
//! query asks for.
//!
//! Entry layout: `NextEntryOffset` (u32), `Flags` (u8), `EaNameLength` (u8), `EaValueLength`
//! (u16), the name (8-bit characters) and one NUL, then the value. Entries are aligned on 4
//! bytes. Validation on decode (the checks Windows applies before a set, MS-FSA 2.1.5.15.5):
//! a non-last entry's `NextEntryOffset` must equal its size rounded up to 4; the last entry
//! must fit the buffer, followed by at most 3 padding bytes; the name must be NUL-terminated
//! (all of these fail as [`FsccError::EaListInconsistent`]); the name must be non-empty and
//! well-formed and the flags 0 or FILE_NEED_EA ([`FsccError::InvalidEaName`]).

use bytes::BufMut;

use lwio_types::ReadError;

use crate::FsccError;
use crate::codec::{Reader, align_up, len32, pad_to};

/// FILE_NEED_EA: the file cannot be interpreted without this EA.
pub const FILE_NEED_EA: u8 = 0x80;

/// Bytes of an EA entry before its name.
pub const EA_ENTRY_FIXED: usize = 8;

/// One extended attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EaEntry {
    /// 0 or [`FILE_NEED_EA`].
    pub flags: u8,
    /// The name, 1 to 255 8-bit characters without the terminator.
    pub name: Vec<u8>,
    /// The value, at most 65535 bytes; empty in a set means "delete this EA".
    pub value: Vec<u8>,
}

impl EaEntry {
    /// Bytes of this entry on the wire, without alignment padding.
    pub fn wire_len(&self) -> usize {
        EA_ENTRY_FIXED + self.name.len() + 1 + self.value.len()
    }

    /// Bytes of this entry in the packed (OS/2 FEA) form NTFS counts EA sizes in: `Flags`,
    /// `EaNameLength`, `EaValueLength` (4 bytes), the name, its NUL and the value, unaligned.
    pub fn packed_len(&self) -> usize {
        4 + self.name.len() + 1 + self.value.len()
    }
}

/// The size of an EA set as MS-FSA counts it (`File.ExtendedAttributesLength`): the sum of
/// the entries' [`EaEntry::packed_len`]. Windows refuses a set that would make it larger
/// than [`MAX_EA_SET_SIZE`].
pub fn ea_set_size(entries: &[EaEntry]) -> usize {
    entries.iter().map(EaEntry::packed_len).sum()
}

/// The largest EA set Windows keeps on a file: 64 KiB - 5 (MS-FSA 2.1.5.15.5); beyond it
/// a set fails with STATUS_EA_TOO_LARGE.
pub const MAX_EA_SET_SIZE: usize = 64 * 1024 - 5;

/// The `EaSize` FileEaInformation, FileAllInformation and the full directory classes report
/// for an EA set (MS-FSA 2.1.5.12.10): [`ea_set_size`] plus the 4-byte list header, or 0 for
/// a file without EAs.
pub fn ea_info_size(entries: &[EaEntry]) -> u32 {
    match ea_set_size(entries) {
        0 => 0,
        n => len32(n + 4),
    }
}

/// Encodes as many whole entries of `entries` as fit in `max` bytes (only the first with
/// `single`), chained as [`FileFullEaInformation`] encodes them. Returns the bytes and the
/// number of entries written; 0 entries (empty output) when the first does not fit.
pub fn encode_ea_entries_within(entries: &[EaEntry], max: usize, single: bool) -> (Vec<u8>, usize) {
    let mut end = 0usize;
    let mut count = 0usize;
    for e in entries {
        if single && count == 1 {
            break;
        }
        let start = if count == 0 { 0 } else { align_up(end, 4) };
        if start + e.wire_len() > max || e.name.len() > 255 || e.value.len() > 65535 {
            break;
        }
        end = start + e.wire_len();
        count += 1;
    }
    (encode_ea_list(&entries[..count]), count)
}

/// The chained FILE_FULL_EA_INFORMATION list of `entries` ([`FileFullEaInformation::encode`]).
fn encode_ea_list(entries: &[EaEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev: Option<usize> = None;
    for e in entries {
        pad_to(&mut out, 4);
        let start = out.len();
        if let Some(p) = prev {
            out[p..p + 4].copy_from_slice(&len32(start - p).to_le_bytes());
        }
        let name = &e.name[..e.name.len().min(255)];
        let value = &e.value[..e.value.len().min(65535)];
        out.put_u32_le(0);
        out.put_u8(e.flags);
        out.put_u8(name.len() as u8);
        out.put_u16_le(value.len() as u16);
        out.put_slice(name);
        out.put_u8(0);
        out.put_slice(value);
        prev = Some(start);
    }
    out
}

/// Checks an EA name against MS-FSCC 2.4.15: 1..=255 bytes, none of them a control
/// character (0x00-0x1F) or one of `" * + , / : ; < = > ? [ \ ] |`.
pub fn validate_ea_name(name: &[u8]) -> Result<(), FsccError> {
    const BAD: &[u8] = b"\"*+,/:;<=>?[\\]|";
    if name.is_empty() || name.len() > 255 || name.iter().any(|&b| b < 0x20 || BAD.contains(&b)) {
        return Err(FsccError::InvalidEaName);
    }
    Ok(())
}

/// FileFullEaInformation: a list of EAs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileFullEaInformation {
    /// The EAs, in order.
    pub entries: Vec<EaEntry>,
}

/// Every failure to read inside an EA list is an inconsistent list (MS-FSA 2.1.5.15.5).
fn inconsistent(_: ReadError) -> FsccError {
    FsccError::EaListInconsistent
}

impl FileFullEaInformation {
    /// Encodes the list. Names longer than 255 bytes or values longer than 65535 are cut
    /// down to fit their length fields (validate first if that matters).
    pub fn encode(&self) -> Vec<u8> {
        encode_ea_list(&self.entries)
    }

    /// Decodes and validates a list (see the module documentation for the rules).
    pub fn decode(input: &[u8]) -> Result<Self, FsccError> {
        let mut entries = Vec::new();
        let mut pos = 0usize;
        while pos < input.len() {
            let mut r = Reader::new(&input[pos..]);
            let next = r.u32().map_err(inconsistent)? as usize;
            let flags = r.u8().map_err(inconsistent)?;
            let name_len = usize::from(r.u8().map_err(inconsistent)?);
            let value_len = usize::from(r.u16().map_err(inconsistent)?);
            let size = EA_ENTRY_FIXED + name_len + 1 + value_len;
            let len = r.input().len();
            if size > len || (next != 0 && (next != align_up(size, 4) || next >= len)) {
                return Err(FsccError::EaListInconsistent);
            }
            let name = r.take(name_len).map_err(inconsistent)?;
            if r.u8().map_err(inconsistent)? != 0 {
                return Err(FsccError::EaListInconsistent);
            }
            validate_ea_name(name)?;
            if flags & !FILE_NEED_EA != 0 {
                return Err(FsccError::InvalidEaName);
            }
            let value = r.take(value_len).map_err(inconsistent)?;
            entries.push(EaEntry {
                flags,
                name: name.to_vec(),
                value: value.to_vec(),
            });
            if next == 0 {
                if r.remaining() >= 4 {
                    return Err(FsccError::EaListInconsistent);
                }
                break;
            }
            pos += next;
        }
        Ok(FileFullEaInformation { entries })
    }

    /// The size of the encoded list.
    pub fn wire_len(&self) -> usize {
        let mut end = 0;
        for (n, e) in self.entries.iter().enumerate() {
            if n > 0 {
                end = align_up(end, 4);
            }
            end += e.wire_len();
        }
        end
    }
}

impl crate::FileInfo for FileFullEaInformation {
    const CLASS: lwio_types::FileInfoClass = lwio_types::FileInfoClass::FULL_EA;
    const FIXED_SIZE: usize = EA_ENTRY_FIXED;
    const VARIABLE: bool = true;
    fn encode(&self) -> Vec<u8> {
        FileFullEaInformation::encode(self)
    }
    fn decode(input: &[u8]) -> Result<Self, FsccError> {
        FileFullEaInformation::decode(input)
    }
}

/// FILE_GET_EA_INFORMATION list (MS-FSCC 2.4.15.1): the names a query-EA asks for. Entry:
/// `NextEntryOffset` (u32), `EaNameLength` (u8), the name and a NUL; aligned on 4 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileGetEaInformation {
    /// The names asked for.
    pub names: Vec<Vec<u8>>,
}

impl FileGetEaInformation {
    /// Encodes the list.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev: Option<usize> = None;
        for name in &self.names {
            pad_to(&mut out, 4);
            let start = out.len();
            if let Some(p) = prev {
                out[p..p + 4].copy_from_slice(&len32(start - p).to_le_bytes());
            }
            let name = &name[..name.len().min(255)];
            out.put_u32_le(0);
            out.put_u8(name.len() as u8);
            out.put_slice(name);
            out.put_u8(0);
            prev = Some(start);
        }
        out
    }

    /// Decodes a list with the same offset, terminator and name checks as
    /// [`FileFullEaInformation::decode`].
    pub fn decode(input: &[u8]) -> Result<Self, FsccError> {
        let mut names = Vec::new();
        let mut pos = 0usize;
        while pos < input.len() {
            let mut r = Reader::new(&input[pos..]);
            let next = r.u32().map_err(inconsistent)? as usize;
            let name_len = usize::from(r.u8().map_err(inconsistent)?);
            let size = 5 + name_len + 1;
            let len = r.input().len();
            if size > len || (next != 0 && (next != align_up(size, 4) || next >= len)) {
                return Err(FsccError::EaListInconsistent);
            }
            let name = r.take(name_len).map_err(inconsistent)?;
            if r.u8().map_err(inconsistent)? != 0 {
                return Err(FsccError::EaListInconsistent);
            }
            validate_ea_name(name)?;
            names.push(name.to_vec());
            if next == 0 {
                if r.remaining() >= 4 {
                    return Err(FsccError::EaListInconsistent);
                }
                break;
            }
            pos += next;
        }
        Ok(FileGetEaInformation { names })
    }
}
