#![allow(clippy::unwrap_used)]
//! Access-based enumeration through the engine: the share flag in TREE_CONNECT's answer
//! (MS-SMB2 2.2.10), set on a share added at run time as srvsvc would, and only there.
//! The filtering itself is tested in `files.rs` (two callers, one directory).

use lwio_smb2::{Command, Dialect, ShareFlags, TreeConnectRequest, TreeConnectResponse};
use lwio_srv::Share;
use lwio_srv::testing::client::{Msg, RawClient, body};
use lwio_srv::testing::{Harness, USER, small_config};
use tokio::io::DuplexStream;

/// The share flags a TREE_CONNECT to `share` answers with.
async fn share_flags(c: &mut RawClient<DuplexStream>, share: &str) -> ShareFlags {
    let path = format!("\\\\server\\{share}");
    let m = c
        .call_ok(Msg::new(
            Command::TREE_CONNECT,
            body(|o| {
                TreeConnectRequest {
                    path,
                    ..Default::default()
                }
                .encode(o)
            }),
        ))
        .await
        .unwrap();
    TreeConnectResponse::decode(&m).unwrap().share_flags
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_connect_announces_access_based_enumeration_on_such_shares_only() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let hide = Share::disk("hide", "share").with_access_based_enumeration();
    h.server().status().add_share(hide).unwrap();
    let (mut c, _task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    c.logon(USER.0, USER.1).await.unwrap();
    let plain = share_flags(&mut c, "share").await;
    assert!(!plain.contains(ShareFlags::ACCESS_BASED_DIRECTORY_ENUM));
    let abe = share_flags(&mut c, "hide").await;
    assert!(
        abe.contains(ShareFlags::ACCESS_BASED_DIRECTORY_ENUM),
        "{abe:?}"
    );
}
