//! SMB2 CREATE Request and Response (MS-SMB2 2.2.13, 2.2.14), and the [`FileId`] every
//! handle-based command carries (2.2.14.1).

use bytes::BufMut;
use lwio_types::{
    AccessMask, CreateAction, CreateDisposition, CreateOptions, FileAttributes, ShareAccess,
};

use crate::codec::{DecodeError, Reader, Smb2Reader, align8, to_utf16le, utf16le};
use crate::create_context::CreateContext;
use crate::header::{HEADER_LEN, check_end, open_enum, open_flags};
use crate::oplock::OplockLevel;

/// An SMB2_FILEID (MS-SMB2 2.2.14.1): 16 bytes, persistent part first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId {
    /// Persistent.
    pub persistent: u64,
    /// Volatile.
    pub volatile: u64,
}

impl FileId {
    /// The all-ones id a related compounded request uses for "the handle of the previous
    /// request" (MS-SMB2 3.2.4.1.4).
    pub const RELATED: FileId = FileId {
        persistent: u64::MAX,
        volatile: u64::MAX,
    };

    /// Reads 16 bytes at the cursor.
    pub fn read(c: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(FileId {
            persistent: c.u64()?,
            volatile: c.u64()?,
        })
    }

    /// Appends 16 bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u64_le(self.persistent);
        out.put_u64_le(self.volatile);
    }
}

/// StructureSize of the request.
const REQUEST_SIZE: u16 = 57;
/// StructureSize of the response.
const RESPONSE_SIZE: u16 = 89;
/// Where the request's Buffer starts (header + 56-byte fixed part): an empty name points here.
pub const CREATE_BUFFER_OFFSET: usize = HEADER_LEN + 56;

open_enum! {
    /// ImpersonationLevel of a CREATE request (MS-SMB2 2.2.13).
    pub struct ImpersonationLevel(u32) {
        /// Anonymous.
        const ANONYMOUS = 0;
        /// Identification.
        const IDENTIFICATION = 1;
        /// Impersonation.
        const IMPERSONATION = 2;
        /// Delegate.
        const DELEGATE = 3;
    }
}

open_flags! {
    /// Flags of a CREATE response (MS-SMB2 2.2.14).
    pub struct CreateResponseFlags(u8) {
        /// SMB2_CREATE_FLAG_REPARSEPOINT (3.1.1).
        const REPARSEPOINT = 0x01;
    }
}

/// Decodes the CreateContexts buffer at `offset`/`length`, which must start 8-aligned
/// at or after `min`. Returns the chain and the end of the buffer (or `min`).
fn contexts_at(
    c: &Reader<'_>,
    offset: usize,
    length: usize,
    min: usize,
) -> Result<(Vec<CreateContext>, usize), DecodeError> {
    if length == 0 {
        return Ok((Vec::new(), min));
    }
    if offset % 8 != 0 {
        return Err(DecodeError::BadBuffer { offset, length });
    }
    let buf = c.buffer_at(offset, length, min)?;
    Ok((CreateContext::decode_chain(buf)?, offset + length))
}

/// Pads to 8 and appends the chain; writes its offset and length at `at` (two u32s).
fn put_contexts(list: &[CreateContext], out: &mut Vec<u8>, at: usize) {
    if list.is_empty() {
        return;
    }
    out.resize(align8(out.len()), 0);
    let offset = out.len() as u32;
    let len = CreateContext::encode_chain(list, out) as u32;
    out[at..at + 4].copy_from_slice(&offset.to_le_bytes());
    out[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
}

/// An SMB2 CREATE Request (MS-SMB2 2.2.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// SecurityFlags (reserved, 0).
    pub security_flags: u8,
    /// RequestedOplockLevel.
    pub oplock_level: OplockLevel,
    /// ImpersonationLevel.
    pub impersonation_level: ImpersonationLevel,
    /// SmbCreateFlags (reserved, 0).
    pub smb_create_flags: u64,
    /// DesiredAccess.
    pub desired_access: AccessMask,
    /// FileAttributes.
    pub file_attributes: FileAttributes,
    /// ShareAccess.
    pub share_access: ShareAccess,
    /// CreateDisposition.
    pub disposition: CreateDisposition,
    /// CreateOptions.
    pub options: CreateOptions,
    /// The name relative to the share root (no leading backslash); empty for the root.
    pub name: String,
    /// The create context chain, raw (see [`crate::create_context::RequestContext`]).
    pub contexts: Vec<CreateContext>,
}

impl Default for CreateRequest {
    fn default() -> Self {
        CreateRequest {
            security_flags: 0,
            oplock_level: OplockLevel::NONE,
            impersonation_level: ImpersonationLevel::IMPERSONATION,
            smb_create_flags: 0,
            desired_access: AccessMask(0),
            file_attributes: FileAttributes(0),
            share_access: ShareAccess(0),
            disposition: CreateDisposition::OPEN,
            options: CreateOptions(0),
            name: String::new(),
            contexts: Vec::new(),
        }
    }
}

impl CreateRequest {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(REQUEST_SIZE)?;
        let security_flags = c.u8()?;
        let oplock_level = OplockLevel(c.u8()?);
        let impersonation_level = ImpersonationLevel(c.u32()?);
        let smb_create_flags = c.u64()?;
        c.skip(8)?;
        let desired_access = AccessMask(c.u32()?);
        let file_attributes = FileAttributes(c.u32()?);
        let share_access = ShareAccess(c.u32()?);
        let disposition = CreateDisposition(c.u32()?);
        let options = CreateOptions(c.u32()?);
        let name_offset = usize::from(c.u16()?);
        let name_len = usize::from(c.u16()?);
        let ctx_offset = c.u32()? as usize;
        let ctx_len = c.u32()? as usize;
        let fixed = c.position();
        let name = utf16le(c.buffer_at(name_offset, name_len, fixed)?)?;
        let name_end = if name_len == 0 {
            fixed + usize::from(msg.len() > fixed)
        } else {
            name_offset + name_len
        };
        // With no name, the contexts may start right after the fixed part (Samba's client
        // puts them there: an empty name takes no byte).
        let ctx_min = if name_len == 0 { fixed } else { name_end };
        let (contexts, end) = contexts_at(&c, ctx_offset, ctx_len, ctx_min)?;
        check_end(msg, end.max(name_end))?;
        Ok(CreateRequest {
            security_flags,
            oplock_level,
            impersonation_level,
            smb_create_flags,
            desired_access,
            file_attributes,
            share_access,
            disposition,
            options,
            name,
            contexts,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]). The name is placed
    /// at the Buffer (offset 0x78 when the header starts `out`), also when empty.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let name = to_utf16le(&self.name);
        out.put_u16_le(REQUEST_SIZE);
        out.put_u8(self.security_flags);
        out.put_u8(self.oplock_level.0);
        out.put_u32_le(self.impersonation_level.0);
        out.put_u64_le(self.smb_create_flags);
        out.put_u64_le(0);
        out.put_u32_le(self.desired_access.0);
        out.put_u32_le(self.file_attributes.0);
        out.put_u32_le(self.share_access.0);
        out.put_u32_le(self.disposition.0);
        out.put_u32_le(self.options.0);
        out.put_u16_le((out.len() + 12) as u16);
        debug_assert!(name.len() <= usize::from(u16::MAX));
        out.put_u16_le(name.len() as u16);
        let ctx_at = out.len();
        out.put_u64_le(0);
        out.put_slice(&name);
        if name.is_empty() {
            out.put_u8(0);
        }
        put_contexts(&self.contexts, out, ctx_at);
    }
}

/// Timestamps and sizes shared by the CREATE and CLOSE responses (FILETIME values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileTimes {
    /// CreationTime.
    pub creation_time: u64,
    /// LastAccessTime.
    pub last_access_time: u64,
    /// LastWriteTime.
    pub last_write_time: u64,
    /// ChangeTime.
    pub change_time: u64,
    /// AllocationSize.
    pub allocation_size: u64,
    /// EndofFile.
    pub end_of_file: u64,
}

impl FileTimes {
    /// Reads the six u64 fields.
    pub fn read(c: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(FileTimes {
            creation_time: c.u64()?,
            last_access_time: c.u64()?,
            last_write_time: c.u64()?,
            change_time: c.u64()?,
            allocation_size: c.u64()?,
            end_of_file: c.u64()?,
        })
    }

    /// Appends the six u64 fields.
    pub fn write(&self, out: &mut Vec<u8>) {
        for v in [
            self.creation_time,
            self.last_access_time,
            self.last_write_time,
            self.change_time,
            self.allocation_size,
            self.end_of_file,
        ] {
            out.put_u64_le(v);
        }
    }
}

/// An SMB2 CREATE Response (MS-SMB2 2.2.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    /// OplockLevel granted.
    pub oplock_level: OplockLevel,
    /// Flags.
    pub flags: CreateResponseFlags,
    /// CreateAction.
    pub create_action: CreateAction,
    /// Times and sizes.
    pub times: FileTimes,
    /// FileAttributes.
    pub file_attributes: FileAttributes,
    /// FileId.
    pub file_id: FileId,
    /// The create context chain, raw (see [`crate::create_context::ResponseContext`]).
    pub contexts: Vec<CreateContext>,
}

impl CreateResponse {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(RESPONSE_SIZE)?;
        let oplock_level = OplockLevel(c.u8()?);
        let flags = CreateResponseFlags(c.u8()?);
        let create_action = CreateAction(c.u32()?);
        let times = FileTimes::read(&mut c)?;
        let file_attributes = FileAttributes(c.u32()?);
        c.skip(4)?;
        let file_id = FileId::read(&mut c)?;
        let ctx_offset = c.u32()? as usize;
        let ctx_len = c.u32()? as usize;
        let fixed = c.position();
        let min = fixed + usize::from(msg.len() > fixed);
        let (contexts, end) = contexts_at(&c, ctx_offset, ctx_len, fixed)?;
        check_end(msg, end.max(min))?;
        Ok(CreateResponse {
            oplock_level,
            flags,
            create_action,
            times,
            file_attributes,
            file_id,
            contexts,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(RESPONSE_SIZE);
        out.put_u8(self.oplock_level.0);
        out.put_u8(self.flags.0);
        out.put_u32_le(self.create_action.0);
        self.times.write(out);
        out.put_u32_le(self.file_attributes.0);
        out.put_u32_le(0);
        self.file_id.write(out);
        let ctx_at = out.len();
        out.put_u64_le(0);
        if self.contexts.is_empty() {
            out.put_u8(0);
        }
        put_contexts(&self.contexts, out, ctx_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create_context::{MXAC, RQLS};

    #[test]
    fn request_round_trip_and_empty_name() {
        let mut r = CreateRequest {
            oplock_level: OplockLevel::LEASE,
            desired_access: AccessMask::FILE_GENERIC_READ,
            share_access: ShareAccess::ALL,
            disposition: CreateDisposition::OPEN_IF,
            name: "dir\\file.txt".into(),
            contexts: vec![
                CreateContext::new(MXAC, vec![]),
                CreateContext::new(RQLS, vec![0; 32]),
            ],
            ..CreateRequest::default()
        };
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        assert_eq!(&out[108..110], &0x78u16.to_le_bytes());
        assert_eq!(CreateRequest::decode(&out).unwrap(), r);
        for n in 0..out.len() {
            assert!(CreateRequest::decode(&out[..n]).is_err(), "{n}");
        }
        r.name.clear();
        r.contexts.clear();
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        assert_eq!(&out[108..112], &[0x78, 0, 0, 0]);
        assert_eq!(out.len(), CREATE_BUFFER_OFFSET + 1);
        assert_eq!(CreateRequest::decode(&out).unwrap(), r);
        // An empty name and contexts right after the fixed part (as Samba's client sends
        // a durable reconnect): the contexts start at 0x78.
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        out.truncate(CREATE_BUFFER_OFFSET);
        let ctx = CreateContext::new(MXAC, vec![]);
        let start = out.len();
        CreateContext::encode_chain(std::slice::from_ref(&ctx), &mut out);
        let len = (out.len() - start) as u32;
        out[HEADER_LEN + 48..HEADER_LEN + 52].copy_from_slice(&0x78u32.to_le_bytes());
        out[HEADER_LEN + 52..HEADER_LEN + 56].copy_from_slice(&len.to_le_bytes());
        let decoded = CreateRequest::decode(&out).unwrap();
        assert_eq!(decoded.name, "");
        assert_eq!(decoded.contexts, vec![ctx]);
    }

    #[test]
    fn response_round_trip() {
        let r = CreateResponse {
            oplock_level: OplockLevel::BATCH,
            flags: CreateResponseFlags::empty(),
            create_action: CreateAction::CREATED,
            times: FileTimes {
                creation_time: 1,
                last_access_time: 2,
                last_write_time: 3,
                change_time: 4,
                allocation_size: 4096,
                end_of_file: 10,
            },
            file_attributes: FileAttributes(0x20),
            file_id: FileId {
                persistent: 9,
                volatile: 10,
            },
            contexts: vec![CreateContext::new(MXAC, vec![0; 8])],
        };
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        assert_eq!(CreateResponse::decode(&out).unwrap(), r);
        for n in 0..out.len() {
            assert!(CreateResponse::decode(&out[..n]).is_err(), "{n}");
        }
    }
}
