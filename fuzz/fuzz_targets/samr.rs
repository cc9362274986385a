//! Feeds arbitrary bytes to every SAMR decoder: the information unions and structures
//! clients send (round-tripped: what decodes re-encodes to the same value), the password
//! buffers, and whole request stubs of every opnum through the SAMR server over an
//! in-memory SAM, as an administrator with a session key, so the hand-written request
//! readers and everything behind them run on hostile input.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use lwio_core::AccessToken;
use lwio_core::security::well_known;
use lwio_rpc::ndr::{self, ConfVarArray, Ndr, RpcUnicodeString};
use lwio_rpc::server::{CallContext, HandleTable, Interface};
use lwio_samr::rpc::types::{AliasInfo, DomainInfo, EncPasswordAes, GroupInfo, PsidArray};
use lwio_samr::rpc::user_types::UserInfo;
use lwio_samr::{Sam, SamrInterface, crypto};

fn ndr_round_trip<T: Ndr + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = ndr::from_bytes::<T>(data) {
        let bytes = ndr::to_bytes(&v);
        let again = ndr::from_bytes::<T>(&bytes).expect("re-encoded SAMR value decodes");
        assert_eq!(v, again);
    }
}

fn server() -> &'static SamrInterface {
    static S: OnceLock<SamrInterface> = OnceLock::new();
    S.get_or_init(|| SamrInterface::new(Sam::in_memory("FUZZ").expect("in-memory SAM")))
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 10 {
        0 => ndr_round_trip::<DomainInfo>(rest),
        1 => ndr_round_trip::<UserInfo>(rest),
        2 => ndr_round_trip::<GroupInfo>(rest),
        3 => ndr_round_trip::<AliasInfo>(rest),
        4 => ndr_round_trip::<PsidArray>(rest),
        5 => ndr_round_trip::<ConfVarArray<RpcUnicodeString>>(rest),
        6 => ndr_round_trip::<EncPasswordAes>(rest),
        7 => {
            if let Ok(buf) = <&[u8; crypto::USER_PASSWORD_NEW_LEN]>::try_from(rest) {
                let _ = crypto::decrypt_user_password_new(buf, &[1; 16]);
            }
            if let Some(buf) = rest.get(..516).and_then(|b| <&[u8; 516]>::try_from(b).ok()) {
                let _ = crypto::decrypt_user_password(buf, &[1; 16]);
            }
        }
        _ => {
            // A request stub for opnum rest[0], in one association group's handle table
            // (a connect first, so later stubs may name a live handle by chance).
            let Some((&op, stub)) = rest.split_first() else {
                return;
            };
            let token = AccessToken::new(well_known::LOCAL_SYSTEM)
                .with_groups([well_known::BUILTIN_ADMINISTRATORS]);
            let ctx = CallContext {
                token: Arc::new(token),
                session_key: vec![7; 16],
                handles: Arc::new(HandleTable::new()),
                assoc_group_id: 1,
                byte_order: ndr::ByteOrder::LittleEndian,
                trailing_padding: 0,
            };
            let _ = server().call(u16::from(op % 80), stub, &ctx);
        }
    }
});
