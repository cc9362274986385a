//! The daemon's reading of a local client's frames (`lwio_client::proto`), without a
//! socket.
//!
//! Input: a byte stream as a client would write it to `lwiod.sock`, fed to the streaming
//! frame decoder; every body it yields is decoded as a client frame (what the daemon does)
//! and as a server frame (what the client library does), and a completion's output as an
//! admin status (what `lwio admin status` does). Interim frames (version 3's `Pending`)
//! are server frames like any other; the seed corpus has one before its completion.
//!
//! Checked: no panic; a frame that decodes encodes back to the same body (so nothing the
//! decoder accepts is lost or invented); a refused length prefix stops the stream, as the
//! daemon closes the connection.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use lwio_client::proto::{AdminStatus, ClientFrame, FrameDecoder, ServerFrame};

fuzz_target!(|data: &[u8]| {
    let mut decoder = FrameDecoder::new();
    decoder.extend(data);
    while let Ok(Some(body)) = decoder.next_body() {
        if let Ok(frame) = ClientFrame::decode(&body) {
            let mut again = BytesMut::new();
            frame.encode(&mut again);
            assert_eq!(&again[4..], &body[..]);
        }
        if let Ok(frame) = ServerFrame::decode(&body) {
            let mut again = BytesMut::new();
            frame.encode(&mut again);
            if !matches!(frame, ServerFrame::Error { .. }) {
                assert_eq!(&again[4..], &body[..]);
            }
            if let ServerFrame::Completion(c) = &frame
                && let Ok(status) = AdminStatus::decode(&c.output)
            {
                assert_eq!(status.encode(), c.output);
            }
        }
    }
});
