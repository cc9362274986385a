#![allow(clippy::unwrap_used)]
//! The redirector against a scripted fake server (a loopback listener in the test) that
//! answers with malformed or lying responses: every lie drops the connection and fails the
//! open with an error status (STATUS_CONNECTION_DISCONNECTED, or the logon's and
//! negotiate's own refusals); never a panic, never a hang.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use lwio::core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
use lwio::rdr::{Credentials, RdrConfig};
use lwio_smb2::header::HeaderFlags;
use lwio_smb2::{Capabilities, Command, Dialect, Header, NegotiateResponse, SecurityMode};
use lwio_types::NtStatus;

/// Reads one request frame; returns its message (header first).
fn read_request(s: &mut TcpStream) -> Vec<u8> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).unwrap();
    let len = u32::from_be_bytes(head) as usize & 0x00FF_FFFF;
    let mut msg = vec![0u8; len];
    s.read_exact(&mut msg).unwrap();
    msg
}

fn message_id(request: &[u8]) -> u64 {
    u64::from_le_bytes(request[24..32].try_into().unwrap())
}

fn send_frame(s: &mut TcpStream, msg: &[u8]) {
    let mut f = (msg.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(msg);
    let _ = s.write_all(&f);
}

/// A response header to `request`.
fn header(request: &[u8], command: Command, status: NtStatus, credits: u16) -> Vec<u8> {
    let mut m = Vec::new();
    Header {
        command,
        status,
        credits,
        flags: HeaderFlags::SERVER_TO_REDIR,
        message_id: message_id(request),
        session_id: 0x1234,
        ..Header::default()
    }
    .encode(&mut m);
    m
}

/// A well-formed NEGOTIATE response choosing 2.1.
fn negotiate_ok(request: &[u8], credits: u16) -> Vec<u8> {
    let mut m = header(request, Command::NEGOTIATE, NtStatus::SUCCESS, credits);
    NegotiateResponse {
        security_mode: SecurityMode::SIGNING_ENABLED,
        dialect: Dialect::SMB_2_1,
        server_guid: [7; 16],
        capabilities: Capabilities::LARGE_MTU,
        max_transact_size: 1 << 20,
        max_read_size: 1 << 20,
        max_write_size: 1 << 20,
        system_time: 0,
        server_start_time: 0,
        security_buffer: Vec::new(),
        contexts: Vec::new(),
    }
    .encode(&mut m);
    m
}

/// Runs `script` as the server of one connection; opens a file through a redirector
/// pinned to 2.0.2 and 2.1 and returns the open's status (a hang fails the test).
fn open_against(script: impl FnOnce(&mut TcpStream) + Send + 'static) -> NtStatus {
    let listener = common::low_port_listener();
    listener.set_nonblocking(false).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        script(&mut s);
        // Keep the socket open until the client gives up on its own.
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let io = IoManager::new();
        let config = RdrConfig {
            dialects: vec![Dialect::SMB_2_0_2, Dialect::SMB_2_1],
            connect_timeout: Duration::from_secs(30),
            ..RdrConfig::default()
        };
        let creds = Credentials::new("user", "pass", "");
        let _rdr = lwio::rdr::mount(&io, "rdr", config, creds).unwrap();
        let req = CreateRequest::new(
            Arc::new(AccessToken::system()),
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN,
        );
        let r = block_on(io.create_file(&format!("/rdr/127.0.0.1:{port}/share/f"), req));
        let _ = tx.send(r.err());
        block_on(io.shutdown());
    });
    let status = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the open neither completed nor failed")
        .expect("an open against a lying server succeeded");
    server.join().unwrap();
    status
}

#[test]
fn garbage_instead_of_a_response() {
    let s = open_against(|s| {
        let _ = read_request(s);
        send_frame(
            s,
            b"this is not SMB2 at all, but long enough to be a header..........",
        );
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn a_frame_longer_than_anything_asked_for() {
    let s = open_against(|s| {
        let _ = read_request(s);
        let _ = s.write_all(&[0, 0xFF, 0xFF, 0xFF]);
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn a_response_to_a_message_never_sent() {
    let s = open_against(|s| {
        let mut req = read_request(s);
        req[24] = 9;
        send_frame(s, &negotiate_ok(&req, 10));
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn a_response_with_another_command() {
    let s = open_against(|s| {
        let req = read_request(s);
        let mut m = header(&req, Command::READ, NtStatus::SUCCESS, 10);
        m.extend_from_slice(&[0; 16]);
        send_frame(s, &m);
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn a_truncated_negotiate_response() {
    let s = open_against(|s| {
        let req = read_request(s);
        let mut m = negotiate_ok(&req, 10);
        m.truncate(80);
        send_frame(s, &m);
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn no_credits_granted() {
    let s = open_against(|s| {
        let req = read_request(s);
        send_frame(s, &negotiate_ok(&req, 0));
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn a_session_setup_buffer_outside_the_message() {
    let s = open_against(|s| {
        let req = read_request(s);
        send_frame(s, &negotiate_ok(&req, 10));
        let req = read_request(s);
        let mut m = header(
            &req,
            Command::SESSION_SETUP,
            NtStatus::MORE_PROCESSING_REQUIRED,
            10,
        );
        // StructureSize 9, flags, SecurityBufferOffset 72, SecurityBufferLength 60000.
        m.extend_from_slice(&9u16.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&72u16.to_le_bytes());
        m.extend_from_slice(&60000u16.to_le_bytes());
        m.push(0);
        send_frame(s, &m);
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

#[test]
fn a_challenge_that_is_not_ntlm() {
    let s = open_against(|s| {
        let req = read_request(s);
        send_frame(s, &negotiate_ok(&req, 10));
        let req = read_request(s);
        let mut m = header(
            &req,
            Command::SESSION_SETUP,
            NtStatus::MORE_PROCESSING_REQUIRED,
            10,
        );
        m.extend_from_slice(&9u16.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&72u16.to_le_bytes());
        m.extend_from_slice(&8u16.to_le_bytes());
        m.extend_from_slice(b"\xa1\x06junk!!");
        send_frame(s, &m);
    });
    assert_eq!(s, NtStatus::LOGON_FAILURE);
}

#[test]
fn the_server_hangs_up() {
    let s = open_against(|s| {
        let _ = read_request(s);
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    assert_eq!(s, NtStatus::CONNECTION_DISCONNECTED);
}

/// Forwards one connection between the redirector and lwiod, flipping the last byte of
/// every server message `tamper` picks; returns the port to connect to.
fn tampering_proxy(server_port: u16, tamper: fn(&[u8]) -> bool) -> u16 {
    let listener = common::low_port_listener();
    listener.set_nonblocking(false).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
        let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_in, &mut s_out);
        });
        let (mut s_in, mut c_out) = (server, client);
        loop {
            let mut head = [0u8; 4];
            if s_in.read_exact(&mut head).is_err() {
                return;
            }
            let mut msg = vec![0u8; u32::from_be_bytes(head) as usize];
            if s_in.read_exact(&mut msg).is_err() {
                return;
            }
            if tamper(&msg) {
                let last = msg.len() - 1;
                msg[last] ^= 0x01;
            }
            if c_out.write_all(&head).is_err() || c_out.write_all(&msg).is_err() {
                return;
            }
        }
    });
    port
}

#[test]
fn a_tampered_signed_response_drops_the_connection() {
    let server = common::start(&[]);
    // The data of every successful READ response.
    let port = tampering_proxy(server.port, |msg| {
        msg.len() > 80
            && Header::decode(msg)
                .is_ok_and(|h| h.command == Command::READ && h.status == NtStatus::SUCCESS)
    });
    let io = IoManager::new();
    let config = RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        ..RdrConfig::default()
    };
    let _rdr = lwio::rdr::mount(&io, "rdr", config, Credentials::new("user", "pass", "")).unwrap();
    let req = CreateRequest::new(
        Arc::new(AccessToken::system()),
        AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
        CreateDisposition::OVERWRITE_IF,
    );
    let f = block_on(io.create_file(&format!("/rdr/127.0.0.1:{port}/share/t.txt"), req)).unwrap();
    assert_eq!(block_on(f.write(0, b"hello, world".to_vec())).unwrap(), 12);
    assert_eq!(
        block_on(f.read(0, 12)),
        Err(NtStatus::CONNECTION_DISCONNECTED),
        "a READ response whose data changed on the way fails its signature"
    );
    assert_eq!(
        block_on(f.read(0, 12)),
        Err(NtStatus::CONNECTION_DISCONNECTED),
        "and the connection stays dropped"
    );
    block_on(io.shutdown());
}

/// An encrypted session (lwiod `--encrypt-data`) whose large responses (a READ's, under
/// its transform) are altered on the way: the transform does not open, the connection is
/// dropped (STATUS_CONNECTION_DISCONNECTED), and it stays dropped: a server that sent
/// bytes that do not authenticate is not reconnected to.
#[test]
fn a_tampered_encrypted_response_drops_the_connection() {
    let server = common::start(&["--encrypt-data"]);
    let port = tampering_proxy(server.port, |msg| msg.len() > 1000 && msg[0] == 0xFD);
    let io = IoManager::new();
    let config = RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        ..RdrConfig::default()
    };
    let _rdr = lwio::rdr::mount(&io, "rdr", config, Credentials::new("user", "pass", "")).unwrap();
    let req = CreateRequest::new(
        Arc::new(AccessToken::system()),
        AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
        CreateDisposition::OVERWRITE_IF,
    );
    let f = block_on(io.create_file(&format!("/rdr/127.0.0.1:{port}/share/t.bin"), req)).unwrap();
    assert_eq!(block_on(f.write(0, vec![7u8; 4096])).unwrap(), 4096);
    assert_eq!(
        block_on(f.read(0, 4096)),
        Err(NtStatus::CONNECTION_DISCONNECTED),
        "a READ response altered under its transform does not decrypt"
    );
    assert_eq!(
        block_on(f.read(0, 16)),
        Err(NtStatus::CONNECTION_DISCONNECTED),
        "and the connection stays dropped"
    );
    block_on(io.shutdown());
}
