//! The create context chain of CREATE requests and responses (MS-SMB2 2.2.13.2,
//! 2.2.14.2) and typed views of the contexts a server acts on.
//!
//! A chain is kept as raw [`CreateContext`]s (name and data bytes) so nothing is lost;
//! [`RequestContext::from_raw`] and [`ResponseContext::from_raw`] give the typed value of
//! a known name (the data of some names differs between request and response), and
//! anything else stays raw (`Other`). Each entry of a chain starts 8-aligned: Next is a
//! multiple of 8 and at least the 16-byte entry header, so a chain can only move forward.

use bytes::BufMut;
use lwio_types::{AccessMask, NtStatus};

use crate::codec::{DecodeError, Reader, Smb2Reader, align8};
use crate::create::FileId;
use crate::header::open_flags;
use crate::oplock::LeaseState;

/// The size of a create context entry header.
const ENTRY_HEADER: usize = 16;

/// SMB2_CREATE_EA_BUFFER: extended attributes (an MS-FSCC FILE_FULL_EA_INFORMATION list).
pub const EXTA: &[u8; 4] = b"ExtA";
/// SMB2_CREATE_SD_BUFFER: a self-relative security descriptor.
pub const SECD: &[u8; 4] = b"SecD";
/// SMB2_CREATE_DURABLE_HANDLE_REQUEST (and its response).
pub const DHNQ: &[u8; 4] = b"DHnQ";
/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT.
pub const DHNC: &[u8; 4] = b"DHnC";
/// SMB2_CREATE_ALLOCATION_SIZE.
pub const ALSI: &[u8; 4] = b"AlSi";
/// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST (and its response).
pub const MXAC: &[u8; 4] = b"MxAc";
/// SMB2_CREATE_TIMEWARP_TOKEN.
pub const TWRP: &[u8; 4] = b"TWrp";
/// SMB2_CREATE_QUERY_ON_DISK_ID (and its response).
pub const QFID: &[u8; 4] = b"QFid";
/// SMB2_CREATE_REQUEST_LEASE and SMB2_CREATE_REQUEST_LEASE_V2 (and the responses).
pub const RQLS: &[u8; 4] = b"RqLs";
/// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 (and its response).
pub const DH2Q: &[u8; 4] = b"DH2Q";
/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2.
pub const DH2C: &[u8; 4] = b"DH2C";
/// SMB2_CREATE_APP_INSTANCE_ID (a 16-byte GUID name).
pub const APP_INSTANCE_ID: &[u8; 16] = &[
    0x45, 0xBC, 0xA6, 0x6A, 0xEF, 0xA7, 0xF7, 0x4A, 0x90, 0x08, 0xFA, 0x46, 0x2E, 0x14, 0x4D, 0x74,
];
/// SMB2_CREATE_APP_INSTANCE_VERSION (a 16-byte GUID name; SMB 3.1.1, MS-SMB2 2.2.13.2.15).
pub const APP_INSTANCE_VERSION: &[u8; 16] = &[
    0xB9, 0x82, 0xD0, 0xB7, 0x3B, 0x56, 0x07, 0x4F, 0xA0, 0x7B, 0x52, 0x4A, 0x81, 0x16, 0xA0, 0x10,
];

/// Decodes the data of an SMB2_CREATE_APP_INSTANCE_VERSION context (MS-SMB2 2.2.13.2.15:
/// StructureSize 24, Reserved, Padding, AppInstanceVersionHigh, AppInstanceVersionLow):
/// the version as (high, low). The context is not one of [`RequestContext`]'s variants
/// (it arrives as [`RequestContext::Other`]); the server reads it with this.
pub fn decode_app_instance_version(data: &[u8]) -> Result<(u64, u64), DecodeError> {
    let b = exact::<24>(data)?;
    let mut c = Reader::at(&b, 0);
    c.structure_size(24)?;
    c.skip(6)?;
    Ok((c.u64()?, c.u64()?))
}

/// One create context as it is on the wire (MS-SMB2 2.2.13.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateContext {
    /// The name (usually a 4-byte ASCII tag, sometimes a 16-byte GUID).
    pub name: Vec<u8>,
    /// The data.
    pub data: Vec<u8>,
}

impl CreateContext {
    /// A context of `name` and `data`.
    pub fn new(name: &[u8], data: Vec<u8>) -> Self {
        CreateContext {
            name: name.to_vec(),
            data,
        }
    }

    /// Decodes a whole chain: `buf` is exactly the CreateContexts buffer (offset/length
    /// already checked by the caller). At most 7 bytes of padding may follow the last
    /// entry's data.
    pub fn decode_chain(buf: &[u8]) -> Result<Vec<CreateContext>, DecodeError> {
        let mut list = Vec::new();
        let mut at = 0usize;
        loop {
            let mut c = Reader::at(buf, at);
            let next = c.u32()? as usize;
            let name_off = usize::from(c.u16()?);
            let name_len = usize::from(c.u16()?);
            c.skip(2)?;
            let data_off = usize::from(c.u16()?);
            let data_len = c.u32()? as usize;
            let len = if next == 0 {
                buf.len() - at
            } else {
                if next % 8 != 0 || next < ENTRY_HEADER || next > buf.len() - at {
                    return Err(DecodeError::Invalid("create context Next"));
                }
                next
            };
            let entry = &buf[at..at + len];
            let part = |off: usize, n: usize| {
                let bad = DecodeError::BadBuffer {
                    offset: at + off,
                    length: n,
                };
                if off < ENTRY_HEADER {
                    return Err(bad);
                }
                let end = off.checked_add(n).ok_or(bad.clone())?;
                entry.get(off..end).ok_or(bad)
            };
            if name_len == 0 {
                return Err(DecodeError::Invalid("empty create context name"));
            }
            let name = part(name_off, name_len)?;
            let data = if data_len == 0 {
                &[][..]
            } else {
                if data_off % 8 != 0 || data_off < name_off + name_len {
                    return Err(DecodeError::Invalid("create context DataOffset"));
                }
                part(data_off, data_len)?
            };
            list.push(CreateContext {
                name: name.to_vec(),
                data: data.to_vec(),
            });
            if next == 0 {
                let used = if data_len == 0 {
                    name_off + name_len
                } else {
                    data_off + data_len
                };
                if len > align8(used) {
                    return Err(DecodeError::Invalid("bytes after the last create context"));
                }
                return Ok(list);
            }
            at += next;
        }
    }

    /// Appends a chain. `out.len()` must be 8-aligned (each entry starts 8-aligned from
    /// the start of `out`, which is the SMB2 header start). Returns the chain's length.
    pub fn encode_chain(list: &[CreateContext], out: &mut Vec<u8>) -> usize {
        debug_assert!(out.len() % 8 == 0);
        let start = out.len();
        for (i, ctx) in list.iter().enumerate() {
            let entry = out.len();
            let name_len = ctx.name.len();
            let data_off = if ctx.data.is_empty() {
                0
            } else {
                align8(ENTRY_HEADER + name_len)
            };
            out.put_u32_le(0);
            out.put_u16_le(ENTRY_HEADER as u16);
            out.put_u16_le(name_len as u16);
            out.put_u16_le(0);
            out.put_u16_le(data_off as u16);
            out.put_u32_le(ctx.data.len() as u32);
            out.put_slice(&ctx.name);
            if !ctx.data.is_empty() {
                out.resize(entry + data_off, 0);
                out.put_slice(&ctx.data);
            }
            if i + 1 < list.len() {
                out.resize(align8(out.len()), 0);
                let next = (out.len() - entry) as u32;
                out[entry..entry + 4].copy_from_slice(&next.to_le_bytes());
            }
        }
        out.len() - start
    }
}

open_flags! {
    /// LeaseFlags of a lease context (MS-SMB2 2.2.13.2.8, 2.2.13.2.10).
    pub struct LeaseFlags(u32) {
        /// SMB2_LEASE_FLAG_BREAK_IN_PROGRESS (responses).
        const BREAK_IN_PROGRESS = 0x02;
        /// SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET (v2).
        const PARENT_LEASE_KEY_SET = 0x04;
    }
}

open_flags! {
    /// Flags of the durable handle v2 contexts (MS-SMB2 2.2.13.2.11, 2.2.13.2.12).
    pub struct DurableFlags(u32) {
        /// SMB2_DHANDLE_FLAG_PERSISTENT.
        const PERSISTENT = 0x02;
    }
}

/// The version 2 part of a lease context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseV2 {
    /// ParentLeaseKey.
    pub parent_key: [u8; 16],
    /// Epoch.
    pub epoch: u16,
}

/// SMB2_CREATE_REQUEST_LEASE (32 bytes, MS-SMB2 2.2.13.2.8) or _V2 (52 bytes,
/// 2.2.13.2.10), the same layout in responses (2.2.14.2.10, 2.2.14.2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lease {
    /// LeaseKey.
    pub key: [u8; 16],
    /// LeaseState.
    pub state: LeaseState,
    /// LeaseFlags.
    pub flags: LeaseFlags,
    /// LeaseDuration (reserved, 0).
    pub duration: u64,
    /// The v2 fields, `None` for a v1 lease.
    pub v2: Option<LeaseV2>,
}

impl Lease {
    fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        if data.len() != 32 && data.len() != 52 {
            return Err(DecodeError::Invalid("lease context length"));
        }
        let mut c = Reader::at(data, 0);
        let key = c.array()?;
        let state = LeaseState(c.u32()?);
        let flags = LeaseFlags(c.u32()?);
        let duration = c.u64()?;
        let v2 = if data.len() == 52 {
            let parent_key = c.array()?;
            let epoch = c.u16()?;
            Some(LeaseV2 { parent_key, epoch })
        } else {
            None
        };
        Ok(Lease {
            key,
            state,
            flags,
            duration,
            v2,
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(52);
        out.put_slice(&self.key);
        out.put_u32_le(self.state.0);
        out.put_u32_le(self.flags.0);
        out.put_u64_le(self.duration);
        if let Some(v2) = self.v2 {
            out.put_slice(&v2.parent_key);
            out.put_u16_le(v2.epoch);
            out.put_u16_le(0);
        }
        out
    }
}

fn exact<const N: usize>(data: &[u8]) -> Result<[u8; N], DecodeError> {
    data.try_into()
        .map_err(|_| DecodeError::Invalid("create context data length"))
}

fn u64_of(data: &[u8]) -> Result<u64, DecodeError> {
    Ok(u64::from_le_bytes(exact(data)?))
}

/// A create context of a CREATE request, typed when its name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestContext {
    /// MxAc: query maximal access, optionally as of a timestamp.
    MaximalAccess {
        /// The FILETIME to evaluate access at, if given.
        timestamp: Option<u64>,
    },
    /// QFid: return the on-disk id (no data).
    QueryOnDiskId,
    /// AlSi: the allocation size.
    AllocationSize(u64),
    /// TWrp: open the snapshot of this FILETIME.
    Timewarp(u64),
    /// SecD: a self-relative security descriptor.
    SecurityDescriptor(Vec<u8>),
    /// ExtA: a FILE_FULL_EA_INFORMATION list, raw.
    ExtendedAttributes(Vec<u8>),
    /// DHnQ: durable handle request v1 (16 reserved bytes).
    DurableRequest,
    /// DHnC: durable reconnect v1.
    DurableReconnect(FileId),
    /// DH2Q: durable handle request v2.
    DurableRequestV2 {
        /// Timeout in milliseconds.
        timeout: u32,
        /// Flags.
        flags: DurableFlags,
        /// CreateGuid.
        create_guid: [u8; 16],
    },
    /// DH2C: durable reconnect v2.
    DurableReconnectV2 {
        /// FileId.
        file_id: FileId,
        /// CreateGuid.
        create_guid: [u8; 16],
        /// Flags.
        flags: DurableFlags,
    },
    /// RqLs: a lease request (v1 or v2).
    Lease(Lease),
    /// SMB2_CREATE_APP_INSTANCE_ID.
    AppInstanceId([u8; 16]),
    /// Any other context (SVHDX ones included), raw.
    Other(CreateContext),
}

impl RequestContext {
    /// The typed value of a raw request context.
    pub fn from_raw(ctx: &CreateContext) -> Result<Self, DecodeError> {
        let d = ctx.data.as_slice();
        Ok(match ctx.name.as_slice() {
            n if n == MXAC => RequestContext::MaximalAccess {
                timestamp: if d.is_empty() { None } else { Some(u64_of(d)?) },
            },
            n if n == QFID => {
                if !d.is_empty() {
                    return Err(DecodeError::Invalid("QFid request data"));
                }
                RequestContext::QueryOnDiskId
            }
            n if n == ALSI => RequestContext::AllocationSize(u64_of(d)?),
            n if n == TWRP => RequestContext::Timewarp(u64_of(d)?),
            n if n == SECD => RequestContext::SecurityDescriptor(d.to_vec()),
            n if n == EXTA => RequestContext::ExtendedAttributes(d.to_vec()),
            n if n == DHNQ => {
                exact::<16>(d)?;
                RequestContext::DurableRequest
            }
            n if n == DHNC => {
                let b = exact::<16>(d)?;
                let mut c = Reader::at(&b, 0);
                RequestContext::DurableReconnect(FileId::read(&mut c)?)
            }
            n if n == DH2Q => {
                let b = exact::<32>(d)?;
                let mut c = Reader::at(&b, 0);
                let timeout = c.u32()?;
                let flags = DurableFlags(c.u32()?);
                c.skip(8)?;
                RequestContext::DurableRequestV2 {
                    timeout,
                    flags,
                    create_guid: c.array()?,
                }
            }
            n if n == DH2C => {
                let b = exact::<36>(d)?;
                let mut c = Reader::at(&b, 0);
                RequestContext::DurableReconnectV2 {
                    file_id: FileId::read(&mut c)?,
                    create_guid: c.array()?,
                    flags: DurableFlags(c.u32()?),
                }
            }
            n if n == RQLS => RequestContext::Lease(Lease::decode(d)?),
            n if n == APP_INSTANCE_ID => {
                let b = exact::<20>(d)?;
                let mut c = Reader::at(&b, 0);
                c.structure_size(20)?;
                c.skip(2)?;
                RequestContext::AppInstanceId(c.array()?)
            }
            _ => RequestContext::Other(ctx.clone()),
        })
    }

    /// The raw context of this value.
    pub fn to_raw(&self) -> CreateContext {
        let mut d = Vec::new();
        let name: &[u8] = match self {
            RequestContext::MaximalAccess { timestamp } => {
                if let Some(t) = timestamp {
                    d.put_u64_le(*t);
                }
                MXAC
            }
            RequestContext::QueryOnDiskId => QFID,
            RequestContext::AllocationSize(n) => {
                d.put_u64_le(*n);
                ALSI
            }
            RequestContext::Timewarp(t) => {
                d.put_u64_le(*t);
                TWRP
            }
            RequestContext::SecurityDescriptor(b) => {
                d.put_slice(b);
                SECD
            }
            RequestContext::ExtendedAttributes(b) => {
                d.put_slice(b);
                EXTA
            }
            RequestContext::DurableRequest => {
                d.put_slice(&[0; 16]);
                DHNQ
            }
            RequestContext::DurableReconnect(f) => {
                f.write(&mut d);
                DHNC
            }
            RequestContext::DurableRequestV2 {
                timeout,
                flags,
                create_guid,
            } => {
                d.put_u32_le(*timeout);
                d.put_u32_le(flags.0);
                d.put_u64_le(0);
                d.put_slice(create_guid);
                DH2Q
            }
            RequestContext::DurableReconnectV2 {
                file_id,
                create_guid,
                flags,
            } => {
                file_id.write(&mut d);
                d.put_slice(create_guid);
                d.put_u32_le(flags.0);
                DH2C
            }
            RequestContext::Lease(l) => {
                d = l.encode();
                RQLS
            }
            RequestContext::AppInstanceId(id) => {
                d.put_u16_le(20);
                d.put_u16_le(0);
                d.put_slice(id);
                APP_INSTANCE_ID
            }
            RequestContext::Other(c) => return c.clone(),
        };
        CreateContext::new(name, d)
    }
}

/// A create context of a CREATE response, typed when its name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseContext {
    /// MxAc response (2.2.14.2.5).
    MaximalAccess {
        /// QueryStatus.
        status: NtStatus,
        /// MaximalAccess.
        access: AccessMask,
    },
    /// QFid response (2.2.14.2.9): DiskFileId and VolumeId, 32 bytes.
    OnDiskId([u8; 32]),
    /// DHnQ response (2.2.14.2.3): 8 reserved bytes.
    Durable,
    /// DH2Q response (2.2.14.2.12).
    DurableV2 {
        /// Timeout in milliseconds.
        timeout: u32,
        /// Flags.
        flags: DurableFlags,
    },
    /// RqLs response (v1 or v2).
    Lease(Lease),
    /// Any other context, raw.
    Other(CreateContext),
}

impl ResponseContext {
    /// The typed value of a raw response context.
    pub fn from_raw(ctx: &CreateContext) -> Result<Self, DecodeError> {
        let d = ctx.data.as_slice();
        Ok(match ctx.name.as_slice() {
            n if n == MXAC => {
                let b = exact::<8>(d)?;
                let mut c = Reader::at(&b, 0);
                ResponseContext::MaximalAccess {
                    status: NtStatus(c.u32()?),
                    access: AccessMask(c.u32()?),
                }
            }
            n if n == QFID => ResponseContext::OnDiskId(exact(d)?),
            n if n == DHNQ => {
                exact::<8>(d)?;
                ResponseContext::Durable
            }
            n if n == DH2Q => {
                let b = exact::<8>(d)?;
                let mut c = Reader::at(&b, 0);
                ResponseContext::DurableV2 {
                    timeout: c.u32()?,
                    flags: DurableFlags(c.u32()?),
                }
            }
            n if n == RQLS => ResponseContext::Lease(Lease::decode(d)?),
            _ => ResponseContext::Other(ctx.clone()),
        })
    }

    /// The raw context of this value.
    pub fn to_raw(&self) -> CreateContext {
        let mut d = Vec::new();
        let name: &[u8] = match self {
            ResponseContext::MaximalAccess { status, access } => {
                d.put_u32_le(status.0);
                d.put_u32_le(access.0);
                MXAC
            }
            ResponseContext::OnDiskId(id) => {
                d.put_slice(id);
                QFID
            }
            ResponseContext::Durable => {
                d.put_u64_le(0);
                DHNQ
            }
            ResponseContext::DurableV2 { timeout, flags } => {
                d.put_u32_le(*timeout);
                d.put_u32_le(flags.0);
                DH2Q
            }
            ResponseContext::Lease(l) => {
                d = l.encode();
                RQLS
            }
            ResponseContext::Other(c) => return c.clone(),
        };
        CreateContext::new(name, d)
    }

    /// Encodes a response chain of typed contexts (see [`CreateContext::encode_chain`]).
    pub fn encode_chain(list: &[ResponseContext], out: &mut Vec<u8>) -> usize {
        let raw: Vec<CreateContext> = list.iter().map(ResponseContext::to_raw).collect();
        CreateContext::encode_chain(&raw, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_request() -> Vec<RequestContext> {
        vec![
            RequestContext::MaximalAccess { timestamp: None },
            RequestContext::MaximalAccess { timestamp: Some(7) },
            RequestContext::QueryOnDiskId,
            RequestContext::AllocationSize(4096),
            RequestContext::Timewarp(99),
            RequestContext::SecurityDescriptor(vec![1, 0, 4, 0x80]),
            RequestContext::ExtendedAttributes(vec![0; 12]),
            RequestContext::DurableRequest,
            RequestContext::DurableReconnect(FileId {
                persistent: 1,
                volatile: 2,
            }),
            RequestContext::DurableRequestV2 {
                timeout: 60_000,
                flags: DurableFlags::PERSISTENT,
                create_guid: [3; 16],
            },
            RequestContext::DurableReconnectV2 {
                file_id: FileId {
                    persistent: 4,
                    volatile: 5,
                },
                create_guid: [6; 16],
                flags: DurableFlags::empty(),
            },
            RequestContext::Lease(Lease {
                key: [7; 16],
                state: LeaseState::READ | LeaseState::HANDLE,
                flags: LeaseFlags::empty(),
                duration: 0,
                v2: None,
            }),
            RequestContext::Lease(Lease {
                key: [8; 16],
                state: LeaseState::WRITE,
                flags: LeaseFlags::PARENT_LEASE_KEY_SET,
                duration: 0,
                v2: Some(LeaseV2 {
                    parent_key: [9; 16],
                    epoch: 3,
                }),
            }),
            RequestContext::AppInstanceId([0xA; 16]),
            RequestContext::Other(CreateContext::new(b"Xyzw1", vec![1, 2, 3])),
        ]
    }

    #[test]
    fn app_instance_version_layout() {
        let mut d = vec![24, 0, 0, 0, 0, 0, 0, 0];
        d.extend_from_slice(&7u64.to_le_bytes());
        d.extend_from_slice(&9u64.to_le_bytes());
        assert_eq!(decode_app_instance_version(&d).unwrap(), (7, 9));
        assert!(decode_app_instance_version(&d[..23]).is_err());
        d[0] = 20;
        assert!(decode_app_instance_version(&d).is_err());
    }

    #[test]
    fn typed_request_chain_round_trips() {
        let list = all_request();
        let raw: Vec<CreateContext> = list.iter().map(RequestContext::to_raw).collect();
        let mut out = Vec::new();
        let n = CreateContext::encode_chain(&raw, &mut out);
        assert_eq!(n, out.len());
        let back = CreateContext::decode_chain(&out).unwrap();
        assert_eq!(back, raw);
        let typed: Vec<RequestContext> = back
            .iter()
            .map(|c| RequestContext::from_raw(c).unwrap())
            .collect();
        assert_eq!(typed, list);
        for n in 0..out.len() {
            assert!(CreateContext::decode_chain(&out[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn typed_response_chain_round_trips() {
        let list = vec![
            ResponseContext::MaximalAccess {
                status: NtStatus::SUCCESS,
                access: AccessMask::FILE_ALL_ACCESS,
            },
            ResponseContext::OnDiskId([1; 32]),
            ResponseContext::Durable,
            ResponseContext::DurableV2 {
                timeout: 0,
                flags: DurableFlags::empty(),
            },
        ];
        let mut out = Vec::new();
        ResponseContext::encode_chain(&list, &mut out);
        let back: Vec<ResponseContext> = CreateContext::decode_chain(&out)
            .unwrap()
            .iter()
            .map(|c| ResponseContext::from_raw(c).unwrap())
            .collect();
        assert_eq!(back, list);
    }

    #[test]
    fn hostile_chains() {
        let raw = vec![
            CreateContext::new(MXAC, vec![]),
            CreateContext::new(ALSI, vec![0; 8]),
        ];
        let mut out = Vec::new();
        CreateContext::encode_chain(&raw, &mut out);
        // Next not 8-aligned, zero-sized loop-ish, beyond the buffer.
        for next in [9u32, 4, 8, 0x1000] {
            let mut bad = out.clone();
            bad[0..4].copy_from_slice(&next.to_le_bytes());
            assert!(CreateContext::decode_chain(&bad).is_err(), "{next}");
        }
        // DataOffset misaligned or into the header, name beyond the entry.
        let mut bad = out.clone();
        let second = 24;
        bad[second + 10] = 17;
        assert!(CreateContext::decode_chain(&bad).is_err());
        let mut bad = out.clone();
        bad[4] = 8;
        assert!(CreateContext::decode_chain(&bad).is_err());
        let mut bad = out.clone();
        bad[6] = 200;
        assert!(CreateContext::decode_chain(&bad).is_err());
        // Trailing bytes after the last entry.
        let mut bad = out.clone();
        bad.extend_from_slice(&[0; 16]);
        assert!(CreateContext::decode_chain(&bad).is_err());
        // Wrong lengths for typed data.
        assert!(RequestContext::from_raw(&CreateContext::new(RQLS, vec![0; 33])).is_err());
        assert!(RequestContext::from_raw(&CreateContext::new(ALSI, vec![0; 4])).is_err());
        assert!(ResponseContext::from_raw(&CreateContext::new(QFID, vec![0; 16])).is_err());
    }
}
