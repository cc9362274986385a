#![allow(clippy::unwrap_used)]
//! NetrFileClose and NetrSessionDel (MS-SRVS 3.1.4.4, 3.1.4.6) against lwiod, with
//! impacket's srvsvc client (`tests/srvsvc_close.py`): an administrator closes a file
//! another connection holds (its next read gets STATUS_FILE_CLOSED) and ends an ordinary
//! user's session (its connection drops); the ordinary user is refused both with
//! ERROR_ACCESS_DENIED; an unknown file id is NERR_FileIdNotFound, a client name without
//! `\\` ERROR_INVALID_PARAMETER, an unknown user NERR_UserNotFound.

mod common;

#[test]
fn an_administrator_closes_a_file_and_ends_a_session_over_srvsvc() {
    let srv = common::start(&["--admin", "boss:B0ss!pw"]);
    std::fs::write(srv.dir.path().join("held.txt"), b"held").unwrap();
    let script = format!("{}/tests/srvsvc_close.py", env!("CARGO_MANIFEST_DIR"));
    let python = common::python();
    let port = srv.port.to_string();
    let (ok, text) = common::run(
        python.to_str().unwrap(),
        &[&script, &port, "boss", "B0ss!pw", "user", "pass"],
    );
    assert!(ok, "{text}");
    for line in [
        "user FileClose: 5",
        "user SessionDel: 5",
        "bogus FileClose: 2314",
        "FileClose: 0",
        "read after close: STATUS_FILE_CLOSED",
        "SessionDel bad name: 87",
        "SessionDel nobody: 2221",
        "SessionDel: 0",
        "user after SessionDel: dropped",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}: {text}");
    }
}
