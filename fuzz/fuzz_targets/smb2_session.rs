//! Feeds arbitrary bytes through the SMB2 framing and session codecs: Direct TCP framing,
//! protocol classification, the SMB1 negotiate, header decode, compound split, and every
//! decoder of the negotiate, session, tree, create, close, flush, echo and cancel messages
//! (whatever decodes must re-encode and decode to the same value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_smb2::create_context::{RequestContext, ResponseContext};
use lwio_smb2::frame::{FrameSplitter, Smb1Negotiate};
use lwio_smb2::*;

fn decoders(msg: &[u8]) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {$(
            if let Ok(v) = <$t>::decode(msg) {
                let mut out = msg.get(..HEADER_LEN).map(<[u8]>::to_vec).unwrap_or_default();
                out.resize(HEADER_LEN, 0);
                v.encode(&mut out);
                let again = <$t>::decode(&out).expect("re-encoded value decodes");
                assert_eq!(again, v);
            }
        )*};
    }
    each!(
        ErrorResponse,
        NegotiateRequest,
        NegotiateResponse,
        SessionSetupRequest,
        SessionSetupResponse,
        LogoffRequest,
        LogoffResponse,
        TreeConnectRequest,
        TreeConnectResponse,
        TreeDisconnectRequest,
        TreeDisconnectResponse,
        EchoRequest,
        EchoResponse,
        CancelRequest,
        FlushRequest,
        FlushResponse,
        CreateRequest,
        CreateResponse,
        CloseRequest,
        CloseResponse,
    );
    if let Ok(r) = CreateRequest::decode(msg) {
        for c in &r.contexts {
            if let Ok(t) = RequestContext::from_raw(c) {
                assert_eq!(&t.to_raw(), c);
            }
        }
    }
    if let Ok(r) = CreateResponse::decode(msg) {
        for c in &r.contexts {
            let _ = ResponseContext::from_raw(c);
        }
    }
    let _ = SymlinkError::decode(msg);
    let _ = CreateContext::decode_chain(msg);
}

fuzz_target!(|data: &[u8]| {
    let mut splitter = FrameSplitter::new(1 << 16);
    splitter.push(data);
    while let Ok(Some(frame)) = splitter.next_frame() {
        let _ = frame::classify(&frame);
        let _ = Smb1Negotiate::decode(&frame);
        for msg in Compound::new(&frame).flatten() {
            if let Ok(h) = Header::decode(msg) {
                let mut out = Vec::new();
                h.encode(&mut out);
                assert_eq!(Header::decode(&out).expect("header re-decodes"), h);
            }
            decoders(msg);
        }
    }
    decoders(data);
});
