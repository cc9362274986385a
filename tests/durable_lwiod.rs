#![allow(clippy::unwrap_used)]
//! Durable handles on lwiod, proven with the redirector (a third-party-independent client
//! of this workspace, which asks for DHnQ with its batch oplocks and sends DHnC when it
//! reconnects): when the network cuts the connection, the next request reclaims the handle
//! on a new connection, so a byte-range lock taken before is still held (another open's
//! lock on the range is refused) and what was written before and after is there. The same
//! scenario runs against smbd in `rdr_smbd.rs`.

mod common;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/rdr.rs"]
mod rdr;

use lwio::rdr::Credentials;
use lwio_smb2::Dialect;
use proxy::Proxy;
use rdr::Target;

#[test]
fn the_redirector_reclaims_its_durable_handle_after_a_cut() {
    let server = common::start(&[]);
    let proxy = Proxy::start(server.port);
    let t = Target {
        host: "127.0.0.1".into(),
        port: proxy.port,
        share: "share".into(),
        creds: Credentials::new("user", "pass", ""),
    };
    for dialect in [Dialect::SMB_2_1, Dialect::SMB_3_1_1] {
        let name = format!("durable-{:x}.bin", dialect.0);
        rdr::reclaim_after_a_cut(&t, dialect, &name, || proxy.cut());
        assert_eq!(
            std::fs::read(server.dir.path().join(&name)).unwrap(),
            b"before after"
        );
    }
}
