//! The redirector's reading of a server's responses (`lwio-rdr`'s engine and the
//! `lwio-smb2` response decoders it uses), without a socket.
//!
//! Input: one byte of settings (bit 0: LARGE_MTU credit charges, bit 1: a session signing
//! key, so every response must be signed; bit 2: an encrypted session, AES-128-GCM under
//! fixed keys, so every response must come in a transform that opens), one byte for how many requests are in flight
//! (1 to 16), one byte per request choosing its command, then frames, each a 2-byte
//! little-endian length and that many bytes, handed to the engine as the Direct TCP
//! payloads the server sent. Every reply the engine matches is decoded with the response
//! decoder of its command, as the driver does.
//!
//! Checked: no panic; a refused frame ends the connection (the harness stops, as the
//! driver drops it); the engine never holds more credits than its cap (a server's grants
//! beyond what was asked are kept, as the server counts them, up to `CREDIT_CAP`); every reply
//! answers a request that was in flight, once.
#![no_main]

use std::collections::{HashMap, HashSet};

use libfuzzer_sys::fuzz_target;
use lwio_auth::smb2sign::SigningAlgorithm;
use lwio_auth::smb3crypt::Cipher;
use lwio_rdr::engine::credits::CREDIT_CAP;
use lwio_rdr::engine::{Engine, Incoming, Outgoing, Sealer};
use lwio_smb2::{
    ChangeNotifyResponse, CloseResponse, Command, CreateResponse, ErrorResponse, IoctlResponse,
    NegotiateResponse, QueryDirectoryResponse, QueryInfoResponse, ReadResponse,
    SessionSetupResponse, TreeConnectResponse, WriteResponse,
};

const MAX_CREDITS: u16 = 64;

const COMMANDS: [Command; 13] = [
    Command::NEGOTIATE,
    Command::SESSION_SETUP,
    Command::TREE_CONNECT,
    Command::CREATE,
    Command::CLOSE,
    Command::READ,
    Command::WRITE,
    Command::QUERY_INFO,
    Command::QUERY_DIRECTORY,
    Command::IOCTL,
    Command::CHANGE_NOTIFY,
    Command::LOCK,
    Command::FLUSH,
];

fn decode(command: Command, message: &[u8]) {
    let _ = ErrorResponse::decode(message);
    match command {
        Command::NEGOTIATE => drop(NegotiateResponse::decode(message)),
        Command::SESSION_SETUP => drop(SessionSetupResponse::decode(message)),
        Command::TREE_CONNECT => drop(TreeConnectResponse::decode(message)),
        Command::CREATE => drop(CreateResponse::decode(message)),
        Command::CLOSE => drop(CloseResponse::decode(message)),
        Command::READ => {
            // As the driver does: the data's range, sliced out of the message (a range
            // outside it would panic here).
            if let Ok(at) = ReadResponse::locate(message) {
                let data = &message[at.data];
                assert_eq!(
                    Ok(data),
                    ReadResponse::decode(message).map(|r| r.data).as_deref()
                );
            }
        }
        Command::WRITE => drop(WriteResponse::decode(message)),
        Command::QUERY_INFO => drop(QueryInfoResponse::decode(message)),
        Command::QUERY_DIRECTORY => drop(QueryDirectoryResponse::decode(message)),
        Command::IOCTL => drop(IoctlResponse::decode(message)),
        Command::CHANGE_NOTIFY => drop(ChangeNotifyResponse::decode(message)),
        _ => {}
    }
}

/// The requests sent: every message id once, and the command of those in flight.
#[derive(Default)]
struct Sent {
    ids: HashSet<u64>,
    commands: HashMap<u64, Command>,
}

impl Sent {
    /// Sends what the credits allow, in order.
    fn send(&mut self, e: &mut Engine, queued: &mut Vec<Command>) {
        while let Some(c) = queued.first().copied() {
            let out = Outgoing::new(c, 1, |o| o.extend_from_slice(&[0; 8])).expecting(100_000);
            match e.prepare(out) {
                Ok(p) => {
                    assert!(self.ids.insert(p.message_id), "a message id used twice");
                    self.commands.insert(p.message_id, c);
                    queued.remove(0);
                }
                Err(_) => break,
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [settings, count, rest @ ..] = data else {
        return;
    };
    let count = usize::from(count % 16) + 1;
    let Some((choices, mut frames)) = rest.split_at_checked(count) else {
        return;
    };
    let mut e = Engine::new(MAX_CREDITS);
    e.set_multi_credit(settings & 1 != 0);
    if settings & 2 != 0 {
        e.set_session_id(0x1234);
        e.set_signing(SigningAlgorithm::AesCmac, vec![0x5a; 16]);
    }
    if settings & 4 != 0 {
        e.set_session_id(0x1234);
        let sealer = Sealer::new(Cipher::Aes128Gcm, 0x1234, vec![1; 16], vec![2; 16], [3; 4]);
        e.set_encryption(sealer, true);
    }
    // The first request spends the connection's one credit; a reply granting more lets
    // the others go out as the frames arrive.
    let mut queued: Vec<Command> = choices
        .iter()
        .map(|c| COMMANDS[usize::from(*c) % COMMANDS.len()])
        .collect();
    let mut sent = Sent::default();
    sent.send(&mut e, &mut queued);
    while let [a, b, tail @ ..] = frames {
        let len = usize::from(u16::from_le_bytes([*a, *b]));
        let Some((frame, tail)) = tail.split_at_checked(len) else {
            return;
        };
        frames = tail;
        let Ok(incoming) = e.receive(frame.to_vec()) else {
            return;
        };
        assert!(e.credits() <= CREDIT_CAP, "credits beyond the cap");
        for i in incoming {
            if let Incoming::Reply(r) = i {
                let command = sent
                    .commands
                    .remove(&r.message_id)
                    .expect("a reply to a request not in flight");
                assert_eq!(r.header.command, command);
                decode(command, &r.message);
            }
        }
        sent.send(&mut e, &mut queued);
    }
});
