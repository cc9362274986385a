//! Feeds arbitrary bytes to the DCE/RPC PDU decoder, the request reassembler and the NDR
//! decoders of the common types. Whatever decodes must re-encode and decode to the same
//! value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_core::Sid;
use lwio_rpc::ndr::{self, AString, ConfVarArray, Ndr, PolicyHandle, RpcUnicodeString, WStrPtr};
use lwio_rpc::pdu::{self, Reassembler};

fn ndr_round_trip<T: Ndr + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = ndr::from_bytes::<T>(data) {
        let bytes = ndr::to_bytes(&v);
        let again = ndr::from_bytes::<T>(&bytes).expect("re-encoded NDR value decodes");
        assert_eq!(v, again);
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks a target; the rest is its input.
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 8 {
        0 => {
            let Ok(p) = pdu::decode(rest) else {
                return;
            };
            if let Ok(bytes) = pdu::try_encode(&p) {
                let again = pdu::decode(&bytes).expect("re-encoded PDU decodes");
                assert_eq!(again.body, p.body);
                assert_eq!(again.auth, p.auth);
            }
        }
        1 => {
            // A stream of fragments, each prefixed by its 16-byte header's frag_length.
            let mut re = Reassembler::new(64 * 1024);
            let mut input = rest;
            while let Ok(h) = pdu::PduHeader::decode(input) {
                let len = usize::from(h.frag_length).min(input.len());
                if let Ok(p) = pdu::decode(&input[..len]) {
                    let _ = re.push(p);
                }
                input = &input[len..];
            }
        }
        2 => ndr_round_trip::<RpcUnicodeString>(rest),
        3 => ndr_round_trip::<Option<Sid>>(rest),
        4 => ndr_round_trip::<WStrPtr>(rest),
        5 => ndr_round_trip::<Option<Vec<RpcUnicodeString>>>(rest),
        6 => ndr_round_trip::<(PolicyHandle, AString)>(rest),
        _ => ndr_round_trip::<ConfVarArray<u16>>(rest),
    }
});
