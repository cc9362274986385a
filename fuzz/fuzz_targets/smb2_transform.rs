//! The SMB3 transform layer (MS-SMB2 2.2.41, 3.3.5.2.1.1): what the server does with a
//! frame that arrives under a TRANSFORM_HEADER.
//!
//! - Raw bytes: the two TRANSFORM_HEADER codecs (lwio-smb2's and lwio-auth's) agree on
//!   what decodes and re-encode it to the bytes received; the server's session opens
//!   the frame without a panic, and what it opens is SMB2 of its own session.
//! - Structured: a client encrypts a request (one SMB2 message, a compound chain, a
//!   nested transform or any bytes, naming its session or another) under a cipher and
//!   dialect, as a real client with the session's key would, and the frame may then be
//!   changed (size, flags, reserved, session, a flipped bit, cut or lengthened). A frame
//!   changed in any byte never opens; the honest one opens to exactly the plaintext when
//!   the plaintext is SMB2 messages of the session, and is refused otherwise. The server
//!   encrypts a response that the client's key opens to the same bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lwio_auth::smb2sign::{KeyDerivation, derive_smb3_keys};
use lwio_auth::smb3crypt::{self, Cipher, TRANSFORM_HEADER_LEN};
use lwio_smb2::frame::{MessageKind, classify};
use lwio_smb2::{Command, Compound, Dialect, Header, HeaderFlags};
use lwio_srv::testing::seal::SessionCrypt;

const SESSION: u64 = 0x1122_3344_5566_7788;
const SESSION_KEY: [u8; 16] = [0x5a; 16];
const PREAUTH: [u8; 64] = [0xa5; 64];

const SUITES: [(Dialect, Cipher); 6] = [
    (Dialect::SMB_3_0, Cipher::Aes128Ccm),
    (Dialect::SMB_3_0_2, Cipher::Aes128Ccm),
    (Dialect::SMB_3_1_1, Cipher::Aes128Ccm),
    (Dialect::SMB_3_1_1, Cipher::Aes128Gcm),
    (Dialect::SMB_3_1_1, Cipher::Aes256Ccm),
    (Dialect::SMB_3_1_1, Cipher::Aes256Gcm),
];

/// A suite's server session and the client's two keys (to server, to client).
struct Suite {
    cipher: Cipher,
    server: SessionCrypt,
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

fn suites() -> &'static [Suite] {
    static S: OnceLock<Vec<Suite>> = OnceLock::new();
    S.get_or_init(|| {
        SUITES
            .iter()
            .map(|&(dialect, cipher)| {
                let how = if dialect == Dialect::SMB_3_1_1 {
                    KeyDerivation::Smb311 {
                        preauth_hash: PREAUTH,
                    }
                } else {
                    KeyDerivation::Smb30
                };
                let keys = derive_smb3_keys(&SESSION_KEY, how, cipher);
                Suite {
                    cipher,
                    server: SessionCrypt::new(dialect, cipher, &SESSION_KEY, PREAUTH, SESSION)
                        .expect("random source"),
                    to_server: keys.client_to_server,
                    to_client: keys.server_to_client,
                }
            })
            .collect()
    })
}

/// The two header codecs agree; the server opens nothing a client did not seal.
fn raw(data: &[u8]) {
    let a = lwio_smb2::TransformHeader::decode(data);
    let b = smb3crypt::TransformHeader::decode(data);
    assert_eq!(a.is_ok(), b.is_ok(), "the transform header codecs disagree");
    if let (Ok(a), Ok(b)) = (a, b) {
        assert_eq!(b.encode()[..], data[..TRANSFORM_HEADER_LEN]);
        let mut again = a.to_bytes();
        again[40..42].copy_from_slice(&data[40..42]); // Reserved, not kept by lwio-smb2
        assert_eq!(again[..], data[..TRANSFORM_HEADER_LEN]);
        assert_eq!(
            (
                a.signature,
                a.nonce,
                a.original_message_size,
                a.flags.0,
                a.session_id
            ),
            (
                b.signature,
                b.nonce,
                b.original_message_size,
                b.flags,
                b.session_id
            )
        );
        let split = lwio_smb2::TransformHeader::split(data);
        let body = data.len() - TRANSFORM_HEADER_LEN;
        assert_eq!(
            split.is_ok(),
            body > 0 && body == a.original_message_size as usize
        );
    }
    for s in suites() {
        let mut frame = data.to_vec();
        if s.server.open(&mut frame).is_ok() {
            assert!(of_session(&frame), "opened to something not of the session");
        }
    }
}

/// True when `plain` is SMB2 messages whose unrelated ones name [`SESSION`], or a
/// compressed message.
fn of_session(plain: &[u8]) -> bool {
    // A compressed message opens as it is: its session is checked once it is decompressed
    // (a sender compresses, then encrypts).
    if classify(plain) == MessageKind::Compressed {
        return true;
    }
    if classify(plain) != MessageKind::Smb2 {
        return false;
    }
    for (i, part) in Compound::new(plain).enumerate() {
        let Ok(part) = part else { return false };
        let Ok(h) = Header::decode(part) else {
            return false;
        };
        let related = i > 0 && h.flags.contains(HeaderFlags::RELATED_OPERATIONS);
        if !related && h.session_id != SESSION {
            return false;
        }
    }
    true
}

/// A compound chain of 1 to 4 requests, most naming the session.
fn chain(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let n = u.int_in_range(1..=4usize)?;
    let mut out = Vec::new();
    for i in 0..n {
        let start = out.len();
        let mut flags = HeaderFlags::empty();
        if i > 0 && u.arbitrary()? {
            flags |= HeaderFlags::RELATED_OPERATIONS;
        }
        let session_id = if u.ratio(1, 6)? {
            u.arbitrary()?
        } else {
            SESSION
        };
        Header {
            command: Command(u.int_in_range(0..=0x12)?),
            message_id: u.arbitrary()?,
            session_id,
            flags,
            ..Header::default()
        }
        .encode(&mut out);
        let body = u.int_in_range(0..=80usize)?;
        out.extend(u.bytes(body)?);
        if i + 1 < n {
            let pad = (8 - out.len() % 8) % 8;
            out.extend(std::iter::repeat_n(0, pad));
            let next = if u.ratio(1, 8)? {
                u.arbitrary()?
            } else {
                (out.len() - start) as u32
            };
            out[start + 20..start + 24].copy_from_slice(&next.to_le_bytes());
        }
    }
    Ok(out)
}

fn sealed(u: &mut Unstructured<'_>) -> Result<()> {
    let s = &suites()[u.choose_index(SUITES.len())?];
    let mut plain = match u.int_in_range(0..=5u8)? {
        0 => {
            let len = u.int_in_range(0..=300usize)?;
            u.bytes(len)?.to_vec()
        }
        1 => {
            // A transform inside a transform.
            let inner = chain(u)?;
            smb3crypt::encrypt_message(s.cipher, &s.to_server, [1; 16], SESSION, &inner)
                .expect("encrypts")
        }
        _ => chain(u)?,
    };
    if plain.is_empty() {
        plain.push(0xfe);
    }
    let mut nonce = [0u8; 16];
    u.fill_buffer(&mut nonce[..s.cipher.nonce_len()])?;
    let header_session = if u.ratio(1, 8)? {
        u.arbitrary()?
    } else {
        SESSION
    };
    let honest = smb3crypt::encrypt_message(s.cipher, &s.to_server, nonce, header_session, &plain)
        .expect("encrypts");
    let mut frame = honest.clone();
    match u.int_in_range(0..=9u8)? {
        0 => frame[36..40].copy_from_slice(&u.arbitrary::<u32>()?.to_le_bytes()),
        1 => frame[40..42].copy_from_slice(&u.arbitrary::<u16>()?.to_le_bytes()),
        2 => frame[42..44].copy_from_slice(&u.arbitrary::<u16>()?.to_le_bytes()),
        3 => frame[44..52].copy_from_slice(&u.arbitrary::<u64>()?.to_le_bytes()),
        4 => {
            let at = u.choose_index(frame.len())?;
            frame[at] ^= 1 << u.int_in_range(0..=7)?;
        }
        5 => frame.truncate(u.choose_index(frame.len())?),
        6 => {
            let len = u.int_in_range(1..=64usize)?;
            frame.extend(u.bytes(len)?);
        }
        _ => {}
    }
    let changed = frame != honest;
    let opened = s.server.open(&mut frame);
    if changed {
        assert!(opened.is_err(), "a changed transform opened");
    } else if header_session == SESSION && of_session(&plain) {
        assert_eq!(opened, Ok(()), "an honest transform was refused");
        assert_eq!(frame, plain);
    } else {
        assert!(opened.is_err(), "a transform of another session opened");
    }

    // The server's response opens with the client's key to the same bytes.
    let mut resp = plain.clone();
    let head = s.server.seal(&mut resp).expect("seals");
    let mut wire = head.to_vec();
    wire.extend_from_slice(&resp);
    let (h, back) = smb3crypt::decrypt_message(s.cipher, &s.to_client, &wire).expect("opens");
    assert_eq!((h.session_id, h.flags, back), (SESSION, 1, plain));
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    raw(data);
    let _ = sealed(&mut Unstructured::new(data));
});
