//! The SMB2 connection engine itself, without a socket: a server with a PVFS share runs
//! in-process, each input is one connection over an in-memory pipe that the harness
//! first takes through NEGOTIATE, an NTLM logon (lwio-auth's initiator) and a tree
//! connect (signing is not required, so the fuzzer's frames are taken unsigned), then
//! feeds the engine a sequence of steps decoded from the input: frames of requests with
//! chosen commands, message ids, credit charges and requests, sessions, trees and file ids
//! from earlier responses, compounds and related chains, CANCELs, further logons (some
//! left half done) and raw frames.
//!
//! Checked on every input (`lwio_srv::testing::script`): no panic; every frame the server
//! sends is well formed and answers a request sent; the client never holds more credits
//! than the server's maximum; every request is answered unless the connection closes.
//! After the connection is dropped, the server must hold nothing of it: no connection,
//! session, open, pending request or IRP, logon table entry, buffered byte or task.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lwio_smb2::Dialect;
use lwio_srv::testing::script::{COMMANDS, NAMES, Request, Step};
use lwio_srv::testing::{Harness, open_to_everyone, small_config};

struct World {
    rt: tokio::runtime::Runtime,
    harness: Harness,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        // One share per fuzzing process; those of processes gone are removed.
        let tmp = std::env::temp_dir();
        for e in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("lwio-fuzz-engine-")
                && !std::path::Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = tmp.join(format!("lwio-fuzz-engine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("dir")).expect("share directory");
        std::fs::write(dir.join("a.txt"), vec![b'a'; 70_000]).expect("a file");
        open_to_everyone(&dir).expect("share open to the account");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let harness = Harness::new(small_config(&dir)).expect("server");
        World { rt, harness }
    })
}

/// Mostly `usual`, now and then anything.
fn mostly<T>(
    u: &mut Unstructured<'_>,
    usual: T,
    any: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<T> {
    if u.ratio(1, 8)? { any(u) } else { Ok(usual) }
}

fn request(u: &mut Unstructured<'_>) -> Result<Request> {
    let command = u.choose_index(COMMANDS.len())? as u8;
    let data_len = u.int_in_range(0..=600usize)?;
    Ok(Request {
        command,
        related: u.arbitrary()?,
        charge: mostly(u, None, |u| Ok(Some(u.int_in_range(0..=8)?)))?,
        credits: mostly(u, 32, |u| u.arbitrary())?,
        session: mostly(u, 0, |u| u.arbitrary())?,
        tree: mostly(u, 0, |u| u.arbitrary())?,
        file: mostly(u, 0, |u| u.arbitrary())?,
        mid: if u.ratio(1, 32)? {
            u.int_in_range(1..=3)?
        } else {
            0
        },
        unsigned: false,
        length: u.int_in_range(0..=140_000)?,
        offset: u.int_in_range(0..=200_000)?,
        flags: u.arbitrary()?,
        class: u.arbitrary()?,
        name: u.choose_index(NAMES.len())? as u8,
        data: u.bytes(data_len.min(u.len()))?.to_vec(),
    })
}

fn steps(u: &mut Unstructured<'_>) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    while !u.is_empty() && steps.len() < 32 {
        let step = match u.int_in_range(0..=15u8)? {
            0 => Step::Cancel {
                nth: u.arbitrary()?,
                by_message_id: u.arbitrary()?,
            },
            1 => Step::Logon {
                legs: u.int_in_range(0..=2)?,
                bad: u.arbitrary()?,
            },
            2 => {
                let len = u.int_in_range(0..=300usize)?;
                Step::Raw(u.bytes(len.min(u.len()))?.to_vec())
            }
            _ => {
                let n = u.int_in_range(1..=4)?;
                let mut reqs = Vec::with_capacity(n);
                for _ in 0..n {
                    reqs.push(request(u)?);
                }
                Step::Frame(reqs)
            }
        };
        steps.push(step);
    }
    Ok(steps)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let dialect = match u.int_in_range(0..=2u8).unwrap_or(0) {
        0 => Dialect::SMB_3_0_2,
        1 => Dialect::SMB_2_1,
        _ => Dialect::SMB_2_0_2,
    };
    let steps = steps(&mut u).unwrap_or_default();
    let w = world();
    w.rt.block_on(async {
        if let Err(leak) = w.harness.settle(Duration::from_secs(5)).await {
            panic!("before the connection: {leak}");
        }
        let (mut run, task) = w.harness.session(dialect).await.expect("logon");
        if let Err(v) = run.run(&steps).await {
            panic!("{v}");
        }
        drop(run);
        task.await.expect("no panic").expect("admitted");
        if let Err(leak) = w.harness.settle(Duration::from_secs(5)).await {
            panic!("{leak}");
        }
    });
});
