//! Every IRP is traced: a span with its type, file and path, and a completion event with
//! status and latency, on both the synchronous and the pending path.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Gate, open, rw};
use lwio_core::{IoManager, block_on};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn irps_emit_a_span_and_a_completion_event() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let io = IoManager::new();
        let gate = Gate::new(true);
        io.add_device("gate", Arc::clone(&gate), ()).unwrap();
        let file = block_on(io.create_file("/gate/traced.txt", open(rw()))).unwrap();
        block_on(file.write(0, &b"abc"[..])).unwrap();
        let pending = file.read(0, 3);
        let t = std::thread::spawn(move || {
            while gate.held_count() == 0 {
                std::thread::yield_now();
            }
            gate.release_all(b"xyz");
        });
        assert_eq!(block_on(pending).unwrap(), b"xyz");
        t.join().unwrap();
    });
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("irp complete"))
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    for (line, kind) in lines
        .iter()
        .zip(["Create", "Write", "Read", "Cleanup", "Close"])
    {
        assert!(line.contains(&format!("kind={kind}")), "{line}");
        assert!(line.contains("path=traced.txt"), "{line}");
        assert!(line.contains("device=gate"), "{line}");
        assert!(line.contains("status=STATUS_SUCCESS"), "{line}");
        assert!(line.contains("latency_us="), "{line}");
    }
}
