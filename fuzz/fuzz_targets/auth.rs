//! Feeds arbitrary bytes to the NTLMSSP message decoders, the SPNEGO reader and the SMB3
//! transform header: whatever decodes must re-encode and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_auth::ntlm::{AuthenticateMessage, AvPairs, ChallengeMessage, NegotiateMessage};
use lwio_auth::smb3crypt::TransformHeader;
use lwio_auth::spnego::GssToken;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = NegotiateMessage::decode(data) {
        assert_eq!(
            NegotiateMessage::decode(&m.encode()).expect("re-encoded"),
            m
        );
    }
    if let Ok(m) = ChallengeMessage::decode(data) {
        assert_eq!(
            ChallengeMessage::decode(&m.encode()).expect("re-encoded"),
            m
        );
    }
    if let Ok(m) = AuthenticateMessage::decode(data) {
        assert_eq!(
            AuthenticateMessage::decode(&m.encode()).expect("re-encoded"),
            m
        );
    }
    if let Ok(p) = AvPairs::decode(data) {
        assert_eq!(AvPairs::decode(&p.encode()).expect("re-encoded"), p);
    }
    if let Ok(t) = GssToken::decode(data) {
        assert_eq!(GssToken::decode(&t.encode()).expect("re-encoded"), t);
    }
    if let Ok(h) = TransformHeader::decode(data) {
        assert_eq!(TransformHeader::decode(&h.encode()).expect("re-encoded"), h);
    }
});
