//! FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3): a file's object id and what goes with it.
//!
//! NTFS can give any file or directory a 16-byte *object id*, a GUID unique on its volume,
//! which link tracking uses to find a file again after it moved (the id stays with the
//! file through renames, and goes when the file is deleted). The FSCTLs that read and
//! write it (FSCTL_CREATE_OR_GET_OBJECT_ID, FSCTL_GET_OBJECT_ID, FSCTL_SET_OBJECT_ID,
//! FSCTL_SET_OBJECT_ID_EXTENDED, FSCTL_DELETE_OBJECT_ID: MS-FSCC 2.3, MS-FSA 2.1.5.10)
//! carry this 64-byte structure, or (SET_OBJECT_ID_EXTENDED) its last 48 bytes alone:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 16 | ObjectId |
//! | 16 | 48 | ExtendedInfo, or (type 1) BirthVolumeId 16, BirthObjectId 16, DomainId 16 |
//!
//! The two forms of the last 48 bytes are one union: which one a file holds depends on how
//! its id was last set (MS-FSCC 2.3.4): an id the file system generated is type 1 (the
//! volume's id and the object id at birth, and a zero domain id, as MS-FSA 2.1.5.10.1
//! fills them); FSCTL_SET_OBJECT_ID stores what the caller gave; FSCTL_SET_OBJECT_ID_EXTENDED
//! replaces the 48 bytes. [`ObjectIdBuffer`] keeps them as bytes and offers the type 1 view.
//!
//! The layout is fixed: a buffer of any other length is
//! [`FsccError::BadLength`] (STATUS_INVALID_PARAMETER, as MS-FSA answers an input whose
//! size is not the structure's).

use crate::FsccError;
use crate::codec::{Reader, run};

/// Bytes of a FILE_OBJECTID_BUFFER.
pub const OBJECT_ID_BUFFER_LEN: usize = 64;
/// Bytes of the ExtendedInfo part (the input of FSCTL_SET_OBJECT_ID_EXTENDED).
pub const EXTENDED_INFO_LEN: usize = 48;

/// A FILE_OBJECTID_BUFFER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectIdBuffer {
    /// The file's object id, unique on its volume.
    pub object_id: [u8; 16],
    /// The 48 bytes after it: ExtendedInfo, or BirthVolumeId, BirthObjectId and DomainId.
    pub extended_info: [u8; EXTENDED_INFO_LEN],
}

impl Default for ObjectIdBuffer {
    fn default() -> Self {
        ObjectIdBuffer {
            object_id: [0; 16],
            extended_info: [0; EXTENDED_INFO_LEN],
        }
    }
}

impl ObjectIdBuffer {
    /// A type 1 buffer: the object id, the volume and object id at birth, the domain id.
    pub fn type1(
        object_id: [u8; 16],
        birth_volume_id: [u8; 16],
        birth_object_id: [u8; 16],
        domain_id: [u8; 16],
    ) -> Self {
        let mut extended_info = [0u8; EXTENDED_INFO_LEN];
        extended_info[..16].copy_from_slice(&birth_volume_id);
        extended_info[16..32].copy_from_slice(&birth_object_id);
        extended_info[32..].copy_from_slice(&domain_id);
        ObjectIdBuffer {
            object_id,
            extended_info,
        }
    }

    /// BirthVolumeId (type 1 view).
    pub fn birth_volume_id(&self) -> [u8; 16] {
        self.part(0)
    }

    /// BirthObjectId (type 1 view).
    pub fn birth_object_id(&self) -> [u8; 16] {
        self.part(1)
    }

    /// DomainId (type 1 view).
    pub fn domain_id(&self) -> [u8; 16] {
        self.part(2)
    }

    fn part(&self, i: usize) -> [u8; 16] {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.extended_info[i * 16..(i + 1) * 16]);
        out
    }

    /// The 64 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OBJECT_ID_BUFFER_LEN);
        out.extend_from_slice(&self.object_id);
        out.extend_from_slice(&self.extended_info);
        out
    }

    /// Parses exactly 64 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, FsccError> {
        if bytes.len() != OBJECT_ID_BUFFER_LEN {
            return Err(FsccError::BadLength("FILE_OBJECTID_BUFFER"));
        }
        run(bytes, |r: &mut Reader<'_>| {
            let object_id = r.array::<16>()?;
            let extended_info = r.array::<EXTENDED_INFO_LEN>()?;
            Ok(ObjectIdBuffer {
                object_id,
                extended_info,
            })
        })
    }
}

/// Parses the input of FSCTL_SET_OBJECT_ID_EXTENDED: exactly the 48 ExtendedInfo bytes.
pub fn decode_extended_info(bytes: &[u8]) -> Result<[u8; EXTENDED_INFO_LEN], FsccError> {
    <[u8; EXTENDED_INFO_LEN]>::try_from(bytes)
        .map_err(|_| FsccError::BadLength("FILE_OBJECTID_BUFFER.ExtendedInfo"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_round_trip() {
        let b = ObjectIdBuffer::type1([1; 16], [2; 16], [3; 16], [0; 16]);
        let bytes = b.encode();
        assert_eq!(bytes.len(), OBJECT_ID_BUFFER_LEN);
        assert_eq!(&bytes[..16], &[1; 16]);
        assert_eq!(&bytes[16..32], &[2; 16]);
        assert_eq!(&bytes[32..48], &[3; 16]);
        assert_eq!(&bytes[48..], &[0; 16]);
        let back = ObjectIdBuffer::decode(&bytes).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.birth_volume_id(), [2; 16]);
        assert_eq!(back.birth_object_id(), [3; 16]);
        assert_eq!(back.domain_id(), [0; 16]);
    }

    #[test]
    fn wrong_lengths_refused() {
        assert!(ObjectIdBuffer::decode(&[0; 63]).is_err());
        assert!(ObjectIdBuffer::decode(&[0; 65]).is_err());
        assert!(ObjectIdBuffer::decode(&[]).is_err());
        assert_eq!(decode_extended_info(&[7; 48]).unwrap(), [7; 48]);
        assert!(decode_extended_info(&[7; 47]).is_err());
        assert!(decode_extended_info(&[7; 64]).is_err());
    }
}
