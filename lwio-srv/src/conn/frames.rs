//! Direct TCP framing on the receiving side (MS-SMB2 2.1), with buffers that grow with
//! demand: a sans-I/O frame assembler ([`FrameReader`]) and the one async function that
//! fills it from a byte stream ([`FrameReader::fill`]).
//!
//! Each message is a 4-byte header (a zero byte, a 24-bit big-endian length) and the
//! message. The reader holds two kinds of buffer, neither committed up front:
//!
//! - a *staging* buffer of [`STAGING`] bytes for headers and small messages, allocated when
//!   bytes are about to arrive and given back whenever the stream has nothing to read and
//!   nothing is left half-read, so an idle connection holds no buffer at all;
//! - for a message longer than what the staging buffer holds, a buffer of exactly its
//!   length, which the stream then fills directly: a large WRITE is read into the `Vec`
//!   the request handlers will see, without a further copy. Its pages are touched only as
//!   bytes arrive, so a peer announcing a large message and sending it slowly costs the
//!   memory of what it has sent.
//!
//! A length above the configured maximum is refused as soon as its header is in, before
//! anything is buffered for it.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use lwio_smb2::frame::{FRAME_HEADER_LEN, FrameError, MAX_FRAME_LEN, message_len};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The staging buffer's size: headers and messages up to this length are read through it.
pub(crate) const STAGING: usize = 16 * 1024;

/// Reassembles Direct TCP messages from a byte stream.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    /// Bytes received, not yet returned; `staging[start..]` is unconsumed.
    staging: Vec<u8>,
    start: usize,
    /// A long message being read straight into its own buffer (its capacity is its length).
    body: Option<Vec<u8>>,
    max: usize,
}

impl FrameReader {
    /// A reader that accepts messages of at most `max` bytes (capped at 24 bits).
    pub(crate) fn new(max: usize) -> FrameReader {
        FrameReader {
            max: max.min(MAX_FRAME_LEN),
            ..FrameReader::default()
        }
    }

    /// The next whole message, `Ok(None)` when more bytes are needed.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if let Some(body) = &self.body {
            if body.len() < body.capacity() {
                return Ok(None);
            }
            return Ok(self.body.take());
        }
        let pending = &self.staging[self.start..];
        let Some(&[a, b, c, d]) = pending.get(..FRAME_HEADER_LEN) else {
            self.compact();
            return Ok(None);
        };
        let len = message_len([a, b, c, d], self.max)?;
        let have = pending.len() - FRAME_HEADER_LEN;
        if have >= len {
            let at = self.start + FRAME_HEADER_LEN;
            let msg = self.staging[at..at + len].to_vec();
            self.start = at + len;
            self.compact();
            return Ok(Some(msg));
        }
        if FRAME_HEADER_LEN + len > STAGING {
            // Too long for the staging buffer: the rest goes straight into its own.
            let mut body = Vec::new();
            body.reserve_exact(len);
            body.extend_from_slice(&pending[FRAME_HEADER_LEN..]);
            self.start = self.staging.len();
            self.compact();
            self.body = Some(body);
        } else {
            self.compact();
        }
        Ok(None)
    }

    /// Moves the unconsumed bytes to the front of the staging buffer.
    fn compact(&mut self) {
        if self.start == self.staging.len() {
            self.staging.clear();
        } else if self.start > 0 {
            self.staging.drain(..self.start);
        }
        self.start = 0;
    }

    /// The bytes of memory the reader holds (buffers' capacities).
    pub(crate) fn held(&self) -> usize {
        self.staging.capacity() + self.body.as_ref().map_or(0, Vec::capacity)
    }

    /// Feeds bytes as the stream would, taking whole messages between reads as the
    /// connection does (for tests of the assembler).
    #[cfg(test)]
    fn feed(&mut self, mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut got = Vec::new();
        loop {
            while let Some(f) = self.next_frame()? {
                got.push(f);
            }
            if bytes.is_empty() {
                return Ok(got);
            }
            let (target, room) = self.target();
            let n = bytes.len().min(room);
            target.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
    }

    /// Where the next bytes go, and how many it takes.
    fn target(&mut self) -> (&mut Vec<u8>, usize) {
        match &mut self.body {
            Some(body) => {
                let room = body.capacity() - body.len();
                (body, room)
            }
            None => {
                if self.staging.capacity() == 0 {
                    self.staging.reserve_exact(STAGING);
                }
                let room = self.staging.capacity() - self.staging.len();
                (&mut self.staging, room)
            }
        }
    }

    /// Reads what the stream has into the reader; `Ok(0)` at the end of the stream. The
    /// staging buffer is given back while the stream has nothing to read; `held` is kept
    /// up to date with [`FrameReader::held`].
    pub(crate) async fn fill<R: AsyncRead + Unpin>(
        &mut self,
        rd: &mut R,
        held: &AtomicUsize,
    ) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            let r = self.poll_fill(cx, rd);
            held.store(self.held(), Ordering::Relaxed);
            r
        })
        .await
    }

    fn poll_fill<R: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        rd: &mut R,
    ) -> Poll<io::Result<usize>> {
        let (target, room) = self.target();
        if room == 0 {
            // A full staging buffer holds a whole message or an impossible header: the
            // caller takes frames before reading more.
            return Poll::Ready(Err(io::Error::other("frame reader full")));
        }
        let polled = {
            let mut take = (&mut *rd).take(room as u64);
            let read = pin!(take.read_buf(target));
            read.poll(cx)
        };
        if polled.is_pending() && self.body.is_none() && self.staging.is_empty() {
            // Nothing to read and nothing half-read: an idle connection holds no buffer.
            self.staging = Vec::new();
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(len: usize, fill: u8) -> Vec<u8> {
        let mut out = Vec::new();
        lwio_smb2::frame::encode_frame_header(len, &mut out);
        out.resize(FRAME_HEADER_LEN + len, fill);
        out
    }

    #[test]
    fn small_messages_split_anywhere() {
        let mut wire = framed(10, 1);
        wire.extend(framed(0, 0));
        wire.extend(framed(300, 2));
        for cut in 0..wire.len() {
            let mut r = FrameReader::new(1 << 20);
            let mut got = r.feed(&wire[..cut]).unwrap();
            got.extend(r.feed(&wire[cut..]).unwrap());
            assert_eq!(got.len(), 3, "cut at {cut}");
            assert_eq!(got[0], vec![1; 10]);
            assert!(got[1].is_empty());
            assert_eq!(got[2], vec![2; 300]);
        }
    }

    #[test]
    fn a_long_message_gets_a_buffer_of_its_own_length() {
        let len = 1 << 20;
        let mut wire = framed(len, 7);
        wire.extend(framed(4, 9));
        let mut r = FrameReader::new(1 << 21);
        assert!(r.feed(&wire[..100]).unwrap().is_empty());
        assert_eq!(r.body.as_ref().map(Vec::capacity), Some(len));
        let got = r.feed(&wire[100..]).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), len);
        assert!(got[0].iter().all(|&b| b == 7));
        assert_eq!(got[1], vec![9; 4]);
        // Many messages of every size around the staging buffer's, in one stream.
        let mut wire = Vec::new();
        let sizes: Vec<usize> = (0..40).map(|i| STAGING - 40 + i * 3).collect();
        for (i, &n) in sizes.iter().enumerate() {
            wire.extend(framed(n, i as u8));
        }
        for chunk in [1000, STAGING - 1, STAGING + 5, 70_000] {
            let mut r = FrameReader::new(1 << 20);
            let mut got = Vec::new();
            for part in wire.chunks(chunk) {
                got.extend(r.feed(part).unwrap());
            }
            let lens: Vec<usize> = got.iter().map(Vec::len).collect();
            assert_eq!(lens, sizes, "chunks of {chunk}");
            for (i, f) in got.iter().enumerate() {
                assert!(f.iter().all(|&b| b == i as u8));
            }
        }
    }

    #[test]
    fn lengths_over_the_maximum_and_bad_headers_are_refused_at_once() {
        let mut r = FrameReader::new(1000);
        assert!(matches!(
            r.feed(&framed(1001, 0)[..4]),
            Err(FrameError::TooLarge { len: 1001, .. })
        ));
        let mut r = FrameReader::new(1000);
        assert!(matches!(
            r.feed(&[0x85, 0, 0, 0]),
            Err(FrameError::BadHeader(0x85))
        ));
    }

    #[tokio::test]
    async fn an_idle_reader_holds_no_buffer() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = server;
        let mut r = FrameReader::new(1 << 20);
        use tokio::io::AsyncWriteExt;
        client.write_all(&framed(8, 3)).await.unwrap();
        let gauge = AtomicUsize::new(0);
        let n = r.fill(&mut server, &gauge).await.unwrap();
        assert_eq!(n, 12);
        assert_eq!(r.next_frame().unwrap(), Some(vec![3; 8]));
        // Nothing more to read: one poll finds the stream empty and gives the buffer back.
        let mut fill = Box::pin(r.fill(&mut server, &gauge));
        let waker = std::task::Waker::noop();
        assert!(
            fill.as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        drop(fill);
        assert_eq!(r.held(), 0);
        assert_eq!(gauge.load(Ordering::Relaxed), 0);
        drop(client);
        assert_eq!(r.fill(&mut server, &gauge).await.unwrap(), 0);
    }
}
