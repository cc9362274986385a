//! A response frame as the buffers it is sent from (gather I/O).
//!
//! The headers, bodies and padding of a frame's responses are gathered in small buffers;
//! a large payload (a READ's data) stays in the buffer the driver read it into, as a
//! piece of its own. The writer hands all pieces of a batch of frames to vectored writes
//! (`writev`), so a READ's data reaches the socket without being copied: the driver's
//! `pread` is its only copy. Signing runs over the pieces as they lie
//! (`lwio_auth::smb2sign::sign_with_parts`). Compression and encryption need the frame
//! in one buffer: they join it first ([`Pieces::into_vec`]), the one copy of an encrypted
//! or compressed READ before its ciphertext or compressed form is made.

/// Data shorter than this is copied behind its header instead of being sent as a piece
/// of its own (a copy of a few KiB costs less than another entry of the write).
pub(crate) const SMALL_DATA: usize = 4096;

/// The buffers of one response frame, in the order they are sent.
#[derive(Debug, Default)]
pub(crate) struct Pieces {
    bufs: Vec<Vec<u8>>,
    /// The last buffer is one of the frame's own small ones and may take more bytes (not
    /// a payload kept apart, which would grow by a copy of itself).
    open_tail: bool,
    len: usize,
}

impl Pieces {
    /// A frame in one buffer.
    pub(crate) fn whole(buf: Vec<u8>) -> Pieces {
        Pieces {
            len: buf.len(),
            bufs: vec![buf],
            open_tail: true,
        }
    }

    /// Appends `bytes`, copied into the frame's last small buffer.
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.bufs.last_mut() {
            Some(last) if self.open_tail => last.extend_from_slice(bytes),
            _ => {
                self.bufs.push(bytes.to_vec());
                self.open_tail = true;
            }
        }
        self.len += bytes.len();
    }

    /// Appends a small buffer of the frame's own (a response's header and body): it is
    /// taken as it is when it starts a piece, else copied behind the bytes before it.
    pub(crate) fn push_buf(&mut self, buf: Vec<u8>) {
        if self.open_tail && !self.bufs.is_empty() {
            self.push_bytes(&buf);
            return;
        }
        if buf.is_empty() {
            return;
        }
        self.len += buf.len();
        self.bufs.push(buf);
        self.open_tail = true;
    }

    /// Appends a payload: a short one is copied like any bytes, a long one becomes a
    /// piece of its own and is never copied.
    pub(crate) fn push_data(&mut self, data: Vec<u8>) {
        if data.len() < SMALL_DATA {
            self.push_bytes(&data);
            return;
        }
        self.len += data.len();
        self.bufs.push(data);
        self.open_tail = false;
    }

    /// The frame's length.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The buffers, in order.
    pub(crate) fn bufs(&self) -> &[Vec<u8>] {
        &self.bufs
    }

    /// The frame in one buffer: the first piece's, grown, when there are several.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        let mut bufs = self.bufs.into_iter();
        let Some(mut first) = bufs.next() else {
            return Vec::new();
        };
        first.reserve_exact(self.len - first.len());
        for b in bufs {
            first.extend_from_slice(&b);
        }
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_payloads_stay_apart_and_the_rest_is_gathered() {
        let mut p = Pieces::default();
        p.push_buf(vec![1; 80]);
        let payload = vec![2; SMALL_DATA];
        let at = payload.as_ptr();
        p.push_data(payload);
        p.push_bytes(&[0; 4]);
        p.push_buf(vec![3; 70]);
        p.push_data(vec![4; 10]);
        assert_eq!(p.len(), 80 + SMALL_DATA + 4 + 70 + 10);
        let lens: Vec<usize> = p.bufs().iter().map(Vec::len).collect();
        assert_eq!(lens, [80, SMALL_DATA, 84]);
        assert_eq!(p.bufs()[1].as_ptr(), at, "the payload was not moved");
        let whole = p.into_vec();
        let mut want = vec![1; 80];
        want.extend(vec![2; SMALL_DATA]);
        want.extend([0; 4]);
        want.extend([3; 70]);
        want.extend([4; 10]);
        assert_eq!(whole, want);
    }

    #[test]
    fn a_head_behind_a_payload_starts_a_piece_without_a_copy() {
        let mut p = Pieces::whole(vec![9; 64]);
        p.push_data(vec![8; SMALL_DATA * 2]);
        let head = vec![7; 72];
        let at = head.as_ptr();
        p.push_buf(head);
        assert_eq!(p.bufs().len(), 3);
        assert_eq!(p.bufs()[2].as_ptr(), at);
        assert!(Pieces::default().into_vec().is_empty());
        assert_eq!(Pieces::whole(vec![5; 3]).into_vec(), vec![5; 3]);
    }
}
