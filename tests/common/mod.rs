//! A lwio-srv server on a free loopback port for interop tests, stopped on drop.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::sync::mpsc;

use lwio_srv::{Server, ServerConfig};

pub struct Running {
    pub port: u16,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a server with share `share` on a temp directory and user `user:pass`, plus the
/// given extra `lwiod` arguments.
pub fn start(extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let share = format!("share={}", dir.path().display());
    let mut args = vec![
        "lwiod",
        "--listen",
        "127.0.0.1:0",
        "--share",
        &share,
        "--user",
        "user:pass",
    ];
    args.extend_from_slice(extra);
    let server = Server::new(ServerConfig::from_cli(args).unwrap()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (port_tx, port_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            port_tx.send(listener.local_addr().unwrap().port()).unwrap();
            server
                .serve_on(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    Running {
        port: port_rx.recv().unwrap(),
        dir,
        stop: Some(stop),
        thread: Some(thread),
    }
}
