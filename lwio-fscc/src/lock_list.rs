//! The answer of `FSCTL_LWIO_QUERY_LOCKS`: the byte-range locks of one stream.
//!
//! Windows offers no way to list a file's byte-range locks; administrators of an SMB
//! server still want to see them (Samba's smbstatus prints "Byte range locks"). lwio asks
//! the file system through its own FSCTL, in the range Windows leaves to vendors
//! ([`crate::CtlCode::FSCTL_LWIO_QUERY_LOCKS`]), sent on any file object of the stream:
//! the file system answers from the lock table every opener shares, so locks taken over
//! SMB, over lwiod's local socket or in process all show.
//!
//! # Input
//! Empty, or a 4-byte little-endian flags word: [`QUERY_ONLY_MINE`] (bit 0) lists only the
//! locks and waiting requests of the file object the FSCTL was sent on. Other bits are
//! STATUS_INVALID_PARAMETER.
//!
//! # Output (little-endian)
//! A 16-byte header, then `returned` entries of 32 bytes:
//!
//! | field | size | meaning |
//! |---|---|---|
//! | `owner` | 8 | the file object the FSCTL was sent on, as the entries name owners |
//! | `total` | 4 | how many entries the query matched |
//! | `returned` | 4 | how many follow |
//!
//! | entry field | size | meaning |
//! |---|---|---|
//! | `offset` | 8 | the first byte of the range |
//! | `length` | 8 | its length (zero-length locks exist, MS-FSA 2.1.4.10) |
//! | `owner` | 8 | the file object holding (or waiting for) the lock |
//! | `key` | 4 | the key it was taken with |
//! | `flags` | 4 | [`LOCK_EXCLUSIVE`] (bit 0), [`LOCK_WAITING`] (bit 1: a request still waiting) |
//!
//! # Sizing (as Windows sizes FSCTL_QUERY_ALLOCATED_RANGES: MS-FSCC 2.3.52, and MS-FSA's
//! algorithm for that FSCTL)
//! A buffer smaller than the header is STATUS_BUFFER_TOO_SMALL with no output; one that
//! holds fewer entries than matched gets the header (with the full `total`) and the entries
//! that fit, and STATUS_BUFFER_OVERFLOW.

use lwio_types::NtStatus;

use crate::FsccError;
use crate::codec::{Reader, run};

/// Input flag: only the locks of the file object the FSCTL names.
pub const QUERY_ONLY_MINE: u32 = 0x1;
/// Entry flag: an exclusive lock (else shared).
pub const LOCK_EXCLUSIVE: u32 = 0x1;
/// Entry flag: a lock request waiting for its range, not yet granted.
pub const LOCK_WAITING: u32 = 0x2;
/// Bytes of the header.
pub const HEADER_LEN: usize = 16;
/// Bytes of one entry.
pub const ENTRY_LEN: usize = 32;

/// One lock, granted or waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockEntry {
    /// The first byte.
    pub offset: u64,
    /// The length.
    pub length: u64,
    /// The file object that holds or waits for it (opaque, per file system).
    pub owner: u64,
    /// The lock's key.
    pub key: u32,
    /// [`LOCK_EXCLUSIVE`], [`LOCK_WAITING`].
    pub flags: u32,
}

impl LockEntry {
    /// An exclusive lock (else shared).
    pub fn exclusive(&self) -> bool {
        self.flags & LOCK_EXCLUSIVE != 0
    }

    /// A request still waiting for its range.
    pub fn waiting(&self) -> bool {
        self.flags & LOCK_WAITING != 0
    }
}

/// A decoded answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockList {
    /// The file object the query was sent on.
    pub owner: u64,
    /// How many entries matched (more than `entries` after STATUS_BUFFER_OVERFLOW).
    pub total: u32,
    /// The entries returned.
    pub entries: Vec<LockEntry>,
}

/// Parses the FSCTL's input: the flags (0 when empty).
pub fn decode_query(input: &[u8]) -> Result<u32, NtStatus> {
    let flags = match input {
        [] => 0,
        [a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]),
        _ => return Err(NtStatus::INVALID_PARAMETER),
    };
    if flags & !QUERY_ONLY_MINE != 0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    Ok(flags)
}

/// Encodes the answer for a buffer of `max_output` bytes: the bytes and
/// STATUS_SUCCESS or STATUS_BUFFER_OVERFLOW; `Err(STATUS_BUFFER_TOO_SMALL)` below the
/// header. `entries` may be any iterator; only what fits is encoded, the rest is counted.
pub fn encode_within(
    owner: u64,
    entries: impl IntoIterator<Item = LockEntry>,
    max_output: u32,
) -> Result<(Vec<u8>, NtStatus), NtStatus> {
    let max = max_output as usize;
    if max < HEADER_LEN {
        return Err(NtStatus::BUFFER_TOO_SMALL);
    }
    let room = (max - HEADER_LEN) / ENTRY_LEN;
    let mut body = Vec::new();
    let mut total: u32 = 0;
    let mut returned: u32 = 0;
    for e in entries {
        total = total.saturating_add(1);
        if (returned as usize) < room {
            returned += 1;
            body.extend_from_slice(&e.offset.to_le_bytes());
            body.extend_from_slice(&e.length.to_le_bytes());
            body.extend_from_slice(&e.owner.to_le_bytes());
            body.extend_from_slice(&e.key.to_le_bytes());
            body.extend_from_slice(&e.flags.to_le_bytes());
        }
    }
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&owner.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&returned.to_le_bytes());
    out.extend_from_slice(&body);
    let status = if returned < total {
        NtStatus::BUFFER_OVERFLOW
    } else {
        NtStatus::SUCCESS
    };
    Ok((out, status))
}

/// Decodes an answer (a whole one, or one cut by STATUS_BUFFER_OVERFLOW: `returned`
/// entries must all be present, and no more than `total`).
pub fn decode(bytes: &[u8]) -> Result<LockList, FsccError> {
    run(bytes, |r: &mut Reader<'_>| {
        let owner = r.u64()?;
        let total = r.u32()?;
        let returned = r.u32()?;
        if returned > total || returned as usize > r.remaining() / ENTRY_LEN {
            return Err(FsccError::BadLength("returned"));
        }
        let mut entries = Vec::with_capacity(returned as usize);
        for _ in 0..returned {
            entries.push(LockEntry {
                offset: r.u64()?,
                length: r.u64()?,
                owner: r.u64()?,
                key: r.u32()?,
                flags: r.u32()?,
            });
        }
        Ok(LockList {
            owner,
            total,
            entries,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> LockEntry {
        LockEntry {
            offset: i * 10,
            length: 10,
            owner: 7 + i,
            key: i as u32,
            flags: if i % 2 == 0 {
                LOCK_EXCLUSIVE
            } else {
                LOCK_WAITING
            },
        }
    }

    #[test]
    fn round_trip_and_overflow() {
        let all: Vec<_> = (0..5).map(entry).collect();
        let (bytes, status) = encode_within(3, all.clone(), 4096).unwrap();
        assert_eq!(status, NtStatus::SUCCESS);
        assert_eq!(bytes.len(), HEADER_LEN + 5 * ENTRY_LEN);
        let back = decode(&bytes).unwrap();
        assert_eq!(
            (back.owner, back.total, back.entries.clone()),
            (3, 5, all.clone())
        );
        assert!(back.entries[0].exclusive() && back.entries[1].waiting());

        // Room for two entries and a half: two, the full total, BUFFER_OVERFLOW.
        let max = (HEADER_LEN + 2 * ENTRY_LEN + ENTRY_LEN / 2) as u32;
        let (bytes, status) = encode_within(3, all.clone(), max).unwrap();
        assert_eq!(status, NtStatus::BUFFER_OVERFLOW);
        let back = decode(&bytes).unwrap();
        assert_eq!((back.total, back.entries.len()), (5, 2));
        assert_eq!(back.entries, all[..2]);

        // The header alone fits: counts only.
        let (bytes, status) = encode_within(3, all.clone(), HEADER_LEN as u32).unwrap();
        assert_eq!(
            (bytes.len(), status),
            (HEADER_LEN, NtStatus::BUFFER_OVERFLOW)
        );
        assert_eq!(
            encode_within(3, all, HEADER_LEN as u32 - 1),
            Err(NtStatus::BUFFER_TOO_SMALL)
        );
    }

    #[test]
    fn hostile_answers_and_queries_are_refused() {
        let (mut bytes, _) = encode_within(1, (0..2).map(entry), 4096).unwrap();
        // `returned` above `total`, past the bytes, or trailing bytes.
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        assert!(decode(&bytes).is_err());
        bytes[8..12].copy_from_slice(&9u32.to_le_bytes());
        bytes[12..16].copy_from_slice(&9u32.to_le_bytes());
        assert!(decode(&bytes).is_err());
        bytes[12..16].copy_from_slice(&1u32.to_le_bytes());
        assert!(decode(&bytes).is_err());
        assert!(decode(&bytes[..10]).is_err());

        assert_eq!(decode_query(&[]), Ok(0));
        assert_eq!(decode_query(&1u32.to_le_bytes()), Ok(QUERY_ONLY_MINE));
        assert_eq!(
            decode_query(&2u32.to_le_bytes()),
            Err(NtStatus::INVALID_PARAMETER)
        );
        assert_eq!(decode_query(&[1, 0]), Err(NtStatus::INVALID_PARAMETER));
    }
}
