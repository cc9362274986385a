//! Feeds arbitrary bytes to the DCE/RPC input paths added for authentication and
//! big-endian clients: the big-endian rewrite of a fragment, the big-endian NDR reader,
//! and the integrity/privacy check of a protected fragment (NTLMSSP session security).
//! None may panic; a rewritten fragment that decodes must be the same PDU as the
//! decoder's own big-endian path gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_auth::ntlm::{NegotiateFlags, NtlmSession, Role};
use lwio_rpc::ndr::{ByteOrder, NdrReader, RpcUnicodeString, WStrPtr};
use lwio_rpc::pdu::{self, AuthLevel};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            let mut frag = rest.to_vec();
            if pdu::to_little_endian(&mut frag).is_ok() {
                let direct = pdu::decode(rest);
                let rewritten = pdu::decode(&frag);
                if let (Ok(a), Ok(b)) = (direct, rewritten) {
                    assert_eq!(a, b);
                }
            }
        }
        1 => {
            let mut r = NdrReader::new(rest).with_byte_order(ByteOrder::BigEndian);
            let _ = r.read::<RpcUnicodeString>();
            let _ = r.read::<WStrPtr>();
            let _ = r.read::<Option<lwio_core::Sid>>();
        }
        level => {
            let flags = NegotiateFlags::EXTENDED_SESSIONSECURITY
                | NegotiateFlags::KEY_EXCH
                | NegotiateFlags::NEG_128;
            let Ok(mut s) = NtlmSession::new(&[0x55; 16], flags, Role::Server) else {
                return;
            };
            let level = if level == 2 {
                AuthLevel::PKT_INTEGRITY
            } else {
                AuthLevel::PKT_PRIVACY
            };
            let mut frag = rest.to_vec();
            let _ = pdu::unprotect_fragment(&mut frag, level, &mut s);
        }
    }
});
