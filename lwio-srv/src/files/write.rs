//! SMB2 WRITE (MS-SMB2 3.3.5.13): a write IRP with the request's data, handed to the
//! driver as a slice of the frame it came in (no copy between the socket read, or the
//! decryption in place, and the driver's `pwrite`).

use bytes::Bytes;
use lwio_core::irp::WriteRequest as IoWrite;
use lwio_core::{IrpRequest, NtStatus};
use lwio_smb2::{Channel, WriteRequest, WriteResponse};

use super::{Outcome, await_irp, bad_request, body, open_of};
use crate::state::{FileRequest, Reply};

/// Handles WRITE.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let wr = match WriteRequest::decode(req.msg) {
        Ok(wr) => wr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, wr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let too_long = u32::try_from(wr.data.len()).map_or(true, |n| n > req.max_io);
    // SMB2 has no "write at end of file" offset: every offset is a signed 64-bit position,
    // so one beyond 2^63 - 1 (the I/O manager's WRITE_TO_END_OF_FILE among them) is invalid.
    let bad_offset = wr.offset > i64::MAX as u64;
    if too_long || bad_offset || wr.channel != Channel::NONE {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let request = IoWrite {
        offset: wr.offset,
        // A slice of the frame the request came in: the socket read (or the decryption
        // in place) was the data's only copy before the driver's pwrite.
        data: shared(req, wr.data),
        key: None,
    };
    let irp = open.handle.call(IrpRequest::Write(request));
    let result = await_irp(req, irp).await;
    if !result.status.is_success() {
        return (Reply::error(result.status), Some(id));
    }
    let response = WriteResponse {
        count: u32::try_from(result.information).unwrap_or(u32::MAX),
        remaining: 0,
    };
    (body(result.status, |out| response.encode(out)), Some(id))
}

/// `part` (a slice of the request) as shared bytes: a slice of the request's frame when
/// the engine gave one and `part` lies in it, else a copy.
fn shared(req: &FileRequest<'_>, part: &[u8]) -> Bytes {
    req.frame
        .and_then(|frame| slice_within(frame, part))
        .unwrap_or_else(|| Bytes::copy_from_slice(part))
}

/// `part` as a slice of `frame`, when it lies within it.
fn slice_within(frame: &Bytes, part: &[u8]) -> Option<Bytes> {
    let start = (part.as_ptr() as usize).checked_sub(frame.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= frame.len()).then(|| frame.slice(start..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_of_the_frame_is_sliced_and_anything_else_is_not() {
        let frame = Bytes::from((0..=255u8).collect::<Vec<u8>>());
        let part = &frame[100..150];
        let s = slice_within(&frame, part).unwrap();
        assert_eq!(s.as_ptr(), part.as_ptr(), "the same bytes, not a copy");
        assert_eq!(&s[..], part);
        assert_eq!(slice_within(&frame, &frame[256..]).unwrap().len(), 0);
        assert_eq!(slice_within(&frame, &frame[..]).unwrap().len(), 256);
        let elsewhere = frame.to_vec();
        assert!(slice_within(&frame, &elsewhere[1..3]).is_none());
        // Overlapping the frame's end.
        let longer = Bytes::from(vec![1u8; 300]);
        let head = longer.slice(..200);
        assert!(slice_within(&head, &longer[150..250]).is_none());
    }
}
