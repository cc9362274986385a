//! Reading a local file ahead of a copy to a remote one (`cp`'s put side).
//!
//! A thread of its own reads the next chunks while the earlier ones are on the wire (a
//! bounded queue of [`AHEAD`] chunks between it and the writer), into buffers taken from
//! a small pool. Each chunk goes to its WRITE IRP as [`Bytes`] over the pooled buffer, so
//! the only copy of the data is the read from the file into it (the redirector signs it
//! in place and sends it from there); when the redirector drops it, after the WRITE's
//! answer, the buffer goes back to the pool. A copy of any size thus reuses the same few
//! megabytes: no fresh memory per chunk for the kernel to fault in and zero.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use std::sync::Mutex;

use bytes::Bytes;

/// How many chunks the reading thread may be ahead of the writes handed to the
/// redirector.
pub(super) const AHEAD: usize = 4;

/// Buffers of one size, kept for reuse.
struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
    size: usize,
    keep: usize,
}

impl Pool {
    fn take(&self) -> Vec<u8> {
        self.free
            .lock()
            .ok()
            .and_then(|mut f| f.pop())
            .unwrap_or_else(|| Vec::with_capacity(self.size))
    }
}

/// A pooled buffer holding one chunk; back to its pool when dropped.
struct Pooled {
    buf: Vec<u8>,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if let Ok(mut free) = self.pool.free.lock() {
            if free.len() < self.pool.keep {
                free.push(buf);
            }
        }
    }
}

/// The chunks of a local file, read ahead by a thread: each is `chunk` bytes but the
/// last (shorter, possibly empty at the end). The thread stops at the end of the file, at
/// the first read error (the last item), or when the receiver is dropped. `in_flight` is
/// how many chunks the caller may hold at once (its writes in flight): the pool keeps
/// enough buffers for them and the queue.
pub(super) fn read_ahead(
    mut file: File,
    chunk: usize,
    in_flight: usize,
) -> Receiver<std::io::Result<Bytes>> {
    let (tx, rx) = sync_channel(AHEAD);
    let pool = Arc::new(Pool {
        free: Mutex::new(Vec::new()),
        size: chunk,
        keep: in_flight + AHEAD + 2,
    });
    std::thread::spawn(move || {
        loop {
            let mut buf = pool.take();
            let read = (&mut file).take(chunk as u64).read_to_end(&mut buf);
            let item = match read {
                Ok(0) => return,
                Ok(_) => Ok(Bytes::from_owner(Pooled {
                    buf,
                    pool: Arc::clone(&pool),
                })),
                Err(e) => Err(e),
            };
            let last = item.is_err();
            if tx.send(item).is_err() || last {
                return;
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn chunks_are_the_file_in_order_and_buffers_are_reused() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let rx = read_ahead(File::open(f.path()).unwrap(), 1024, 2);
        let mut got = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in rx {
            let c = c.unwrap();
            seen.insert(c.as_ptr() as usize);
            got.extend_from_slice(&c);
        }
        assert_eq!(got, data);
        assert!(seen.len() < 10, "{} buffers for 10 chunks", seen.len());
    }
}
