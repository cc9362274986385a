#![allow(clippy::unwrap_used)]
//! Connection-engine behaviour over a real loopback socket, without an SMB client.

use lwio_smb2::frame::{Smb1Negotiate, encode_frame};
use lwio_smb2::{Command, Dialect, Header, NegotiateRequest, NegotiateResponse};
use lwio_srv::{Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start() -> (u16, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().unwrap().keep();
    let share = format!("s={}", dir.display());
    let cfg = ServerConfig::from_cli(["lwiod", "--share", &share, "--user", "u:p"]).unwrap();
    let server = Server::new(cfg).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_on(listener, async {
        let _ = rx.await;
    }));
    (port, tx)
}

async fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).await.ok()?;
    let len = u32::from_be_bytes(head) as usize;
    let mut msg = vec![0; len];
    s.read_exact(&mut msg).await.ok()?;
    Some(msg)
}

fn negotiate(message_id: u64) -> Vec<u8> {
    let mut msg = Vec::new();
    Header {
        command: Command::NEGOTIATE,
        message_id,
        credits: 10,
        ..Header::default()
    }
    .encode(&mut msg);
    NegotiateRequest {
        dialects: vec![Dialect::SMB_2_1, Dialect::SMB_3_0],
        ..NegotiateRequest::default()
    }
    .encode(&mut msg);
    let mut wire = Vec::new();
    encode_frame(&msg, &mut wire);
    wire
}

#[tokio::test]
async fn negotiates_the_best_common_dialect() {
    let (port, _stop) = start().await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&negotiate(0)).await.unwrap();
    let msg = read_frame(&mut s).await.unwrap();
    let h = Header::decode(&msg).unwrap();
    assert!(h.is_response() && h.credits >= 1);
    assert_eq!(
        NegotiateResponse::decode(&msg).unwrap().dialect,
        Dialect::SMB_3_0
    );
    // A second NEGOTIATE on the connection closes it.
    s.write_all(&negotiate(1)).await.unwrap();
    assert!(read_frame(&mut s).await.is_none());
}

#[tokio::test]
async fn out_of_window_message_id_closes() {
    let (port, _stop) = start().await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&negotiate(5)).await.unwrap();
    assert!(read_frame(&mut s).await.is_none());
}

#[tokio::test]
async fn smb1_negotiate() {
    let (port, _stop) = start().await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut msg = Vec::new();
    Smb1Negotiate {
        dialects: vec!["NT LM 0.12".into(), "SMB 2.002".into(), "SMB 2.???".into()],
    }
    .encode(&mut msg);
    let mut wire = Vec::new();
    encode_frame(&msg, &mut wire);
    s.write_all(&wire).await.unwrap();
    let resp = read_frame(&mut s).await.unwrap();
    assert_eq!(
        NegotiateResponse::decode(&resp).unwrap().dialect,
        Dialect::SMB_2_WILDCARD
    );
    // SMB1 without an SMB2 dialect is refused by closing.
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut msg = Vec::new();
    Smb1Negotiate {
        dialects: vec!["NT LM 0.12".into()],
    }
    .encode(&mut msg);
    let mut wire = Vec::new();
    encode_frame(&msg, &mut wire);
    s.write_all(&wire).await.unwrap();
    assert!(read_frame(&mut s).await.is_none());
}
