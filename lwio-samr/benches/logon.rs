//! What an NTLMv2 logon costs against the SAM, beside the same logon against accounts held
//! in a hash map: the whole SPNEGO exchange of a session setup (NEGOTIATE, CHALLENGE,
//! AUTHENTICATE with both mechListMICs) run in memory between `lwio-auth`'s initiator and
//! acceptor, so the only difference between the cases is the account store.
//!
//! - `memory`: a map from name to NT hash and a token built on the spot (what lwiod's
//!   command-line accounts do);
//! - `sam`: the SQLite SAM in a file (the one lwiod keeps in its state directory): the
//!   hash looked up, the restrictions checked, the token built from the memberships, and
//!   the logon recorded (last logon, logon count, bad-password count reset).
//!
//! Run: `cargo bench -p lwio-samr --bench logon`. After criterion's figures the bench
//! prints each case's median time per logon and their ratio (sam / memory).
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use lwio_auth::acceptor::{Acceptor, AcceptorPolicy, Framing, Step};
use lwio_auth::accounts::AccountSource;
use lwio_auth::initiator::Initiator;
use lwio_auth::ntlm::{NtHash, NtlmCredentials, ServerNames, nt_hash};
use lwio_core::security::{Sid, well_known};
use lwio_core::{AccessToken, NtStatus};
use lwio_samr::policy::PasswordSource;
use lwio_samr::{Acb, NewPassword, Sam};

const MACHINE: &str = "BENCH";
const USERS: usize = 200;

/// Accounts in a map, as a configuration's command-line users are.
struct MapAccounts {
    machine: Sid,
    users: HashMap<String, (NtHash, u32)>,
}

impl AccountSource for MapAccounts {
    fn nt_hash(&self, user: &str, _domain: &str) -> Option<NtHash> {
        self.users.get(&user.to_lowercase()).map(|(h, _)| *h)
    }

    fn logon(&self, user: &str, _domain: &str) -> Result<AccessToken, NtStatus> {
        let (_, rid) = self
            .users
            .get(&user.to_lowercase())
            .ok_or(NtStatus::LOGON_FAILURE)?;
        let sid = self
            .machine
            .with_rid(*rid)
            .map_err(|_| NtStatus::LOGON_FAILURE)?;
        Ok(AccessToken::new(sid).with_groups(vec![
            well_known::WORLD,
            well_known::NETWORK,
            well_known::BUILTIN
                .with_rid(545)
                .map_err(|_| NtStatus::LOGON_FAILURE)?,
        ]))
    }
}

fn name(i: usize) -> String {
    format!("user{i:04}")
}

fn password(i: usize) -> String {
    format!("Pw-{i}-secret")
}

fn map_accounts() -> MapAccounts {
    let machine = Sid::new(5, &[21, 1, 2, 3]).unwrap();
    let users = (0..USERS)
        .map(|i| (name(i), (nt_hash(&password(i)), 1000 + i as u32)))
        .collect();
    MapAccounts { machine, users }
}

fn sam_accounts(dir: &std::path::Path) -> Sam {
    let sam = Sam::open_dir(dir, MACHINE).unwrap();
    for i in 0..USERS {
        let u = sam.create_user(&name(i), Acb::NORMAL).unwrap();
        sam.set_password(
            u.rid,
            &NewPassword::plain(&password(i)),
            PasswordSource::Reset,
            false,
        )
        .unwrap();
        let mut u = sam.user(u.rid).unwrap();
        u.acb &= !(Acb::DISABLED.0 | Acb::PWNOTREQ.0);
        sam.update_user(&u).unwrap();
    }
    sam
}

/// One whole logon of user `i`; panics unless it succeeds.
fn logon(store: &dyn AccountSource, i: usize) {
    let creds = NtlmCredentials {
        user: name(i),
        domain: MACHINE.into(),
        workstation: "WS".into(),
        nt_hash: nt_hash(&password(i)),
    };
    let names = ServerNames {
        nb_computer: MACHINE.into(),
        nb_domain: MACHINE.into(),
        ..ServerNames::default()
    };
    let mut client = Initiator::spnego(creds);
    let mut server = Acceptor::new(names, Framing::Spnego, AcceptorPolicy::default());
    let mut token = client.first();
    loop {
        match server.step(&token, store) {
            Step::Continue(reply) => token = client.step(&reply, 0).unwrap(),
            Step::Done { logon, .. } => {
                black_box(logon);
                return;
            }
            other => panic!("logon failed: {other:?}"),
        }
    }
}

fn median_per_call(store: &dyn AccountSource, rounds: usize, calls: usize) -> Vec<f64> {
    (0..rounds)
        .map(|r| {
            let start = Instant::now();
            for c in 0..calls {
                logon(store, (r * calls + c) % USERS);
            }
            start.elapsed().as_secs_f64() * 1e6 / calls as f64
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let map = map_accounts();
    let sam = sam_accounts(dir.path());

    let mut g = c.benchmark_group("ntlmv2_logon");
    g.measurement_time(Duration::from_secs(5));
    let mut i = 0;
    g.bench_function("memory", |b| {
        b.iter(|| {
            i = (i + 1) % USERS;
            logon(&map, i)
        })
    });
    g.bench_function("sam", |b| {
        b.iter(|| {
            i = (i + 1) % USERS;
            logon(&sam, i)
        })
    });
    g.finish();

    // Interleaved rounds: the two stores see the same machine in each round.
    let (mut m, mut s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let a = median_per_call(&map, 1, 50)[0];
        let b = median_per_call(&sam, 1, 50)[0];
        m.push(a);
        s.push(b);
        ratios.push(b / a);
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "ntlmv2 logon, median of 15 interleaved rounds: memory {:.1} µs, sam {:.1} µs, sam/memory {:.2}",
        med(m),
        med(s),
        med(ratios)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
