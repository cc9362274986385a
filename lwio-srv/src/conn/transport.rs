//! The tokio shell around one connection, generic over the byte stream that carries it (a
//! TCP socket, tokio's in-memory duplex pipe, any `AsyncRead + AsyncWrite`).
//!
//! - The reader fills the [`FrameReader`], hands every whole frame to
//!   [`Conn::on_frame`], reserves the bytes the frame needs in the connection's budget
//!   (waiting there while earlier responses have not drained: the client is then no
//!   longer read), and spawns the frame's task. It also keeps the connection's clocks: a
//!   connection without an authenticated session closes after `unauthenticated_timeout`,
//!   an idle one after `idle_timeout`, and session setups in progress expire after
//!   `session_setup_timeout`.
//! - The writer takes queued response frames in batches, opens the credits they grant
//!   ([`crate::credits::CreditWindow::apply`]) and writes them with their transport headers
//!   in vectored writes. A write that makes no progress for `send_timeout` closes the
//!   connection: a client that stops reading does not hold its memory for ever.
//!
//! When the reader stops (end of stream, protocol violation, timeout, shutdown), the
//! connection is torn down (its requests cancelled, its sessions' opens closed), the
//! queued responses get a moment to go out, and the engine's record of it ends.

use std::io::{self, IoSlice};
use std::sync::Arc;
use std::time::Duration;

use lwio_smb2::frame::MAX_FRAME_LEN;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

use super::frames::FrameReader;
use super::outbox::Outgoing;
use super::registry::{Admitted, Counted};
use super::{Addrs, Conn, FrameVerdict};
use crate::server::ServerShared;

/// How many bytes of queued responses one vectored write takes at most (more when a single
/// response is longer).
const WRITE_BATCH: usize = 1 << 20;

/// How long queued responses may take to go out once the connection is closing.
const LINGER: Duration = Duration::from_millis(200);

/// Serves one admitted connection over `rd` and `wr` until it ends.
pub(crate) async fn run<R, W>(
    srv: Arc<ServerShared>,
    admitted: Admitted,
    addrs: Addrs,
    rd: R,
    wr: W,
) where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let shutdown = srv.engine.stop_signal();
    let conn = Conn::new(srv, admitted, addrs);
    let mut writer = tokio::spawn(write_loop(Arc::clone(&conn), wr));
    read_loop(&conn, rd, shutdown).await;
    conn.close();
    conn.teardown();
    conn.out.close();
    // Give queued responses a moment, then drop the stream.
    if tokio::time::timeout(LINGER, &mut writer).await.is_err() {
        writer.abort();
        let _ = writer.await;
    }
    conn.out.discard();
    conn.set_read_buffer(0);
    let authenticated = conn.counted_authenticated();
    conn.srv.engine.ended(&conn, authenticated);
}

/// Waits until the server shuts down (or its signal is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn read_loop<R: AsyncRead + Unpin>(
    conn: &Arc<Conn>,
    mut rd: R,
    mut shutdown: watch::Receiver<bool>,
) {
    let cfg = &conn.srv.config;
    let mut frames = FrameReader::new(cfg.max_message);
    let started = Instant::now();
    let mut last = started;
    loop {
        loop {
            let frame = match frames.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(%e, "bad frame, closing");
                    return;
                }
            };
            last = Instant::now();
            let (frame, need, ends_handles, sealed) = match conn.on_frame(frame) {
                FrameVerdict::Run {
                    frame,
                    need,
                    ends_handles,
                    sealed,
                } => (frame, need, ends_handles, sealed),
                FrameVerdict::Done => continue,
                FrameVerdict::Close => return,
            };
            // Backpressure: no further frame is read until this one's bytes fit.
            let reservation = tokio::select! {
                r = conn.out.reserve(need) => r,
                () = stopped(&mut shutdown) => return,
                () = conn.close.notified() => return,
            };
            if conn.is_closing() {
                return;
            }
            conn.spawn_chain(frame, ends_handles, reservation, sealed);
        }
        let mut deadline = if conn
            .authenticated
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            last + cfg.idle_timeout
        } else {
            started + cfg.unauthenticated_timeout
        };
        if let Some(expiry) = conn.next_setup_expiry() {
            deadline = deadline.min(expiry);
        }
        tokio::select! {
            r = frames.fill(&mut rd, &conn.read_buffer) => match r {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            () = tokio::time::sleep_until(deadline) => {
                let now = Instant::now();
                conn.expire_setups(now);
                let authenticated = conn.authenticated.load(std::sync::atomic::Ordering::Relaxed);
                let limit = if authenticated {
                    last + cfg.idle_timeout
                } else {
                    started + cfg.unauthenticated_timeout
                };
                if now >= limit {
                    if authenticated && conn.busy() {
                        last = now;
                    } else {
                        tracing::debug!(authenticated, "connection timed out");
                        return;
                    }
                }
            }
            () = stopped(&mut shutdown) => return,
            () = conn.close.notified() => return,
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(conn: Arc<Conn>, mut wr: W) {
    let _task = Counted::new(&conn.srv.engine.counters.tasks);
    let send_timeout = conn.srv.config.send_timeout;
    while let Some(batch) = conn.out.next_batch(WRITE_BATCH).await {
        if let Some(o) = batch.iter().find(|o| o.len() > MAX_FRAME_LEN) {
            // The engine keeps every frame within 24 bits (chain::MAX_RESPONSE_FRAME); a
            // longer one is a bug, and its length must never be cut: drop the connection
            // rather than send a malformed frame.
            tracing::error!(len = o.len(), "response frame too long, closing");
            conn.close();
            break;
        }
        let bytes: usize = batch.iter().map(Outgoing::len).sum();
        {
            // Sent now: the credits these responses grant open before the client can see
            // them.
            let mut credits = conn.credits.lock();
            for o in &batch {
                credits.apply(o.credits);
            }
        }
        let written = tokio::time::timeout(send_timeout, write_frames(&mut wr, &batch)).await;
        conn.out.sent(bytes);
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "write failed, closing");
                conn.close();
                break;
            }
            Err(_) => {
                tracing::debug!("the client has not read its responses in time, closing");
                conn.close();
                break;
            }
        }
    }
    let _ = tokio::time::timeout(LINGER, wr.shutdown()).await;
}

/// Writes `batch`, each frame behind its Direct TCP header, in as few writes as the
/// stream allows: every piece of every frame is one entry of a vectored write, so a
/// READ's data goes from the driver's buffer to the socket without a copy.
async fn write_frames<W: AsyncWrite + Unpin>(wr: &mut W, batch: &[Outgoing]) -> io::Result<()> {
    let heads: Vec<[u8; 4]> = batch
        .iter()
        .map(|o| (o.len() as u32).to_be_bytes())
        .collect();
    let mut slices: Vec<IoSlice<'_>> = heads
        .iter()
        .zip(batch)
        .flat_map(|(h, o)| {
            let transform = o.transform.as_ref().map_or(&[][..], |t| &t[..]);
            [IoSlice::new(h), IoSlice::new(transform)]
                .into_iter()
                .chain(o.frame.bufs().iter().map(|b| IoSlice::new(b)))
        })
        .filter(|s| !s.is_empty())
        .collect();
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        let n = wr.write_vectored(bufs).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut bufs, n);
    }
    wr.flush().await
}
