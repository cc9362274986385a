//! Reading frames off a stream and writing them: the async helpers both ends share.
//!
//! The length prefix is checked ([`crate::proto::frame_length`]) before anything is
//! allocated, and the body's buffer grows as bytes arrive rather than by what the prefix
//! announces, so a peer that announces a large frame and sends nothing holds no memory.
//!
//! Both ends read through a [`tokio::io::BufReader`] of [`READ_BUFFER`] bytes: a small
//! frame (its prefix and body, often the next frames too) costs one `read` rather than
//! two, and a large body bypasses the buffer (it is read straight into the frame's). Both
//! write with [`write_all_vectored`]: frame heads and the large buffers they carry go out
//! in one `writev`, never copied into a batch first.

use std::io::IoSlice;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The read buffer each end puts in front of its socket.
pub const READ_BUFFER: usize = 64 * 1024;

/// A buffer of at least this many bytes goes out as its own slice of a vectored write;
/// smaller ones are copied into the batch (one slice per small frame would cost more).
pub const VECTORED_MIN: usize = 16 * 1024;

use crate::proto::{ProtoError, frame_length};

/// Why no frame was read.
#[derive(Debug)]
pub enum FrameReadError {
    /// The stream failed or ended inside a frame.
    Io(std::io::Error),
    /// The length prefix is out of range.
    Proto(ProtoError),
}

/// Reads one frame body; `Ok(None)` when the stream ends cleanly between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(rd: &mut R) -> Result<Option<Bytes>, FrameReadError> {
    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match rd.read(&mut prefix[got..]).await {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => {
                return Err(FrameReadError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(n) => got += n,
            Err(e) => return Err(FrameReadError::Io(e)),
        }
    }
    let len = frame_length(prefix).map_err(FrameReadError::Proto)?;
    let mut body = BytesMut::with_capacity(len.min(64 * 1024));
    while body.len() < len {
        let want = len - body.len();
        body.reserve(want.min(1 << 20));
        match (&mut *rd).take(want as u64).read_buf(&mut body).await {
            Ok(0) => {
                return Err(FrameReadError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(_) => {}
            Err(e) => return Err(FrameReadError::Io(e)),
        }
    }
    Ok(Some(body.freeze()))
}

/// Writes `segments` in order with vectored writes (`writev`): frame heads and the large
/// buffers they announce go out without being copied into one buffer first.
pub async fn write_all_vectored<W: AsyncWrite + Unpin>(
    wr: &mut W,
    segments: &mut Vec<Bytes>,
) -> std::io::Result<()> {
    /// At most this many slices per call (below every IOV_MAX).
    const MAX_SLICES: usize = 64;
    let mut at = 0;
    while at < segments.len() {
        let slices: Vec<IoSlice<'_>> = segments[at..]
            .iter()
            .take(MAX_SLICES)
            .map(|b| IoSlice::new(b))
            .collect();
        let mut n = wr.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let Some(first) = segments.get_mut(at) else {
                break;
            };
            if n >= first.len() {
                n -= first.len();
                at += 1;
            } else {
                bytes::Buf::advance(first, n);
                n = 0;
            }
        }
        // Skip empty segments so a loop of zero-length slices cannot spin.
        while segments.get(at).is_some_and(|b| b.is_empty()) {
            at += 1;
        }
    }
    segments.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Completion, ServerFrame};
    use lwio_types::NtStatus;

    /// Frames written as heads and split-off outputs through a pipe that takes a few bytes
    /// at a time (partial writes, empty segments) read back whole and in order, through
    /// the buffered reader.
    #[tokio::test]
    async fn vectored_frames_read_back_through_the_buffered_reader() {
        let frames: Vec<ServerFrame> = [0usize, 10, VECTORED_MIN, 3 * VECTORED_MIN + 7]
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                ServerFrame::Completion(Completion {
                    id: i as u64,
                    status: NtStatus::SUCCESS,
                    information: n as u64,
                    output: Bytes::from(vec![i as u8; n]),
                })
            })
            .chain([ServerFrame::Pending { id: 9 }])
            .collect();
        let (mut wr, rd) = tokio::io::duplex(7);
        let sent = frames.clone();
        let writer = tokio::spawn(async move {
            let mut heads = BytesMut::new();
            let mut segments = vec![Bytes::new()];
            for f in &sent {
                if let Some(tail) = f.encode_split(&mut heads, VECTORED_MIN) {
                    segments.push(heads.split().freeze());
                    segments.push(Bytes::new());
                    segments.push(tail);
                }
            }
            segments.push(heads.split().freeze());
            write_all_vectored(&mut wr, &mut segments).await.unwrap();
            assert!(segments.is_empty());
        });
        let mut rd = tokio::io::BufReader::with_capacity(READ_BUFFER, rd);
        for want in &frames {
            let body = read_frame(&mut rd).await.unwrap().unwrap();
            assert_eq!(&ServerFrame::decode(&body).unwrap(), want);
        }
        writer.await.unwrap();
        assert!(read_frame(&mut rd).await.unwrap().is_none());
    }
}
