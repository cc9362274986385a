//! Reading frames off a stream: the one async helper both ends share.
//!
//! The length prefix is checked ([`crate::proto::frame_length`]) before anything is
//! allocated, and the body's buffer grows as bytes arrive rather than by what the prefix
//! announces, so a peer that announces a large frame and sends nothing holds no memory.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

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
