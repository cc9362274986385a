//! SPNEGO DER vectors (from a Windows capture) and round trips.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::hex;

use lwio_auth::ntlm::{ChallengeMessage, NegotiateMessage};
use lwio_auth::spnego::*;

/// A client's first SESSION_SETUP security buffer: NegTokenInit offering NTLMSSP with
/// the NEGOTIATE as mechToken. Checked by hand: 60 48 [APPLICATION 0], 06 06 SPNEGO OID,
/// a0 3e [0], 30 3c SEQUENCE, a0 0e [0] 30 0c 06 0a NTLMSSP OID, a2 2a [2] 04 28 token.
const INIT: &str = "604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A\
    04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000000F";

#[test]
fn decode_and_reencode_init() {
    let b = hex(INIT);
    let GssToken::Init(t) = GssToken::decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!(t.mech_types, vec![Oid::ntlmssp()]);
    assert_eq!(t.mech_types[0].to_string(), "1.3.6.1.4.1.311.2.2.10");
    let tok = t.mech_token.as_deref().unwrap();
    NegotiateMessage::decode(tok).unwrap();
    assert_eq!(t.encode(), b);
}

#[test]
fn decode_and_reencode_resp() {
    let b = hex(
        "A181B03081ADA0030A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000\
         000C000C003800000015828AE20D1D8BA31179D008000000000000000050005000440000000A009227\
         0000000F53005500540033003100310002000C0053005500540033003100310001000C005300550054\
         0033003100310004000C0053005500540033003100310003000C005300550054003300310031000700\
         0800A1A1F5ADCBAED00100000000",
    );
    let tok = GssToken::decode(&b).unwrap();
    let GssToken::Resp(r) = &tok else { panic!() };
    assert_eq!(r.neg_state, Some(NegState::ACCEPT_INCOMPLETE));
    assert_eq!(r.supported_mech, Some(Oid::ntlmssp()));
    ChallengeMessage::decode(tok.mech_token().unwrap()).unwrap();
    assert_eq!(tok.encode(), b);

    let fin = hex("A11B3019A0030A0100A3120410010000003B453CDC3524164200000000");
    let GssToken::Resp(r) = GssToken::decode(&fin).unwrap() else {
        panic!()
    };
    assert_eq!(r.neg_state, Some(NegState::ACCEPT_COMPLETED));
    assert_eq!(r.mech_list_mic.as_ref().map(Vec::len), Some(16));
    assert_eq!(r.encode(), fin);
}

#[test]
fn negotiate_response_init2_with_hints() {
    let b = server_negotiate_token();
    let GssToken::Init(t) = GssToken::decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!(t.mech_types, vec![Oid::ntlmssp()]);
    assert_eq!(
        t.neg_hints.unwrap().hint_name.as_deref(),
        Some(NEG_HINT_NAME.as_bytes())
    );
    // The Windows NEGOTIATE response (NegTokenInit2 with NEGOEX and NTLMSSP) decodes too.
    let prefix = hex("A01A3018060A2B06010401823702021E060A2B06010401823702020A");
    let mut seq = prefix.clone();
    seq.extend_from_slice(&hex("A3 2A 30 28 A0 26 1B 24"));
    seq.extend_from_slice(NEG_HINT_NAME.as_bytes());
    let mut tok = vec![
        0x60, 0x54, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x4a, 0x30, 0x48,
    ];
    tok.extend_from_slice(&seq);
    let GssToken::Init(t) = GssToken::decode(&tok).unwrap() else {
        panic!()
    };
    assert_eq!(t.mech_types.len(), 2);
    assert_eq!(t.mech_types[0].to_string(), "1.3.6.1.4.1.311.2.2.30");
    assert_eq!(t.encode(), tok);
}

#[test]
fn long_lengths_round_trip() {
    let t = NegTokenResp {
        neg_state: Some(NegState::REQUEST_MIC),
        supported_mech: Some(Oid::ntlmssp()),
        response_token: Some(vec![0xab; 70_000]),
        mech_list_mic: Some(vec![1; 16]),
    };
    let b = t.encode();
    assert_eq!(GssToken::decode(&b).unwrap(), GssToken::Resp(t));
}

#[test]
fn raw_ntlmssp_accepted() {
    let neg =
        hex("4E544C4D5353500001000000978208E200000000000000000000000000000000060380250000000F");
    let tok = GssToken::decode(&neg).unwrap();
    assert_eq!(tok.mech_token(), Some(&neg[..]));
}

#[test]
fn hostile_inputs_refused() {
    // Length beyond the buffer, indefinite length, five-byte length, trailing bytes,
    // wrong mechanism, out-of-order fields.
    for bad in [
        "A1 05 30 03",
        "A1 80 30 00 00 00",
        "A1 85 00 00 00 00 01 00",
        "A1 02 30 00 00",
        "60 08 06 06 2A 86 48 86 F7 12",
        "A1 0A 30 08 A2 02 04 00 A0 02 0A 00",
        "A1 07 30 05 A0 03 0A 01",
        "",
    ] {
        assert!(GssToken::decode(&hex(bad)).is_err(), "{bad}");
    }
}
