#![allow(clippy::unwrap_used)]
//! The acceptor against the initiator, in memory: every framing, the mechListMIC rules,
//! and what the account store is asked.

use std::sync::Mutex;

use lwio_auth::acceptor::{Acceptor, AcceptorPolicy, FailureKind, Framing, LogonKind, Step};
use lwio_auth::accounts::AccountSource;
use lwio_auth::initiator::{Initiator, MicMode};
use lwio_auth::ntlm::{NtHash, NtlmCredentials, ServerNames, nt_hash};
use lwio_auth::spnego::{self, OID_KRB5, Oid};
use lwio_core::security::Sid;
use lwio_core::{AccessToken, NtStatus};

/// One account, `alice:secret`, which can be disabled; records what it is asked.
#[derive(Default)]
struct Store {
    disabled: bool,
    failures: Mutex<Vec<String>>,
    logons: Mutex<Vec<String>>,
}

impl AccountSource for Store {
    fn nt_hash(&self, user: &str, _domain: &str) -> Option<NtHash> {
        user.eq_ignore_ascii_case("alice")
            .then(|| nt_hash("secret"))
    }

    fn logon(&self, user: &str, _domain: &str) -> Result<AccessToken, NtStatus> {
        if self.disabled {
            return Err(NtStatus::ACCOUNT_DISABLED);
        }
        self.logons.lock().unwrap().push(user.to_owned());
        Ok(AccessToken::new(Sid::new(5, &[21, 1, 2, 3, 1000]).unwrap()))
    }

    fn logon_failed(&self, user: &str, _domain: &str) -> NtStatus {
        let mut f = self.failures.lock().unwrap();
        f.push(user.to_owned());
        if f.len() >= 3 {
            NtStatus::ACCOUNT_LOCKED_OUT
        } else {
            NtStatus::LOGON_FAILURE
        }
    }

    fn guest_token(&self) -> Option<AccessToken> {
        Some(AccessToken::new(Sid::new(5, &[21, 1, 2, 3, 501]).unwrap()))
    }
}

fn creds(user: &str, password: &str) -> NtlmCredentials {
    NtlmCredentials {
        user: user.into(),
        domain: "WORKGROUP".into(),
        workstation: "WS".into(),
        nt_hash: nt_hash(password),
    }
}

fn acceptor(framing: Framing, policy: AcceptorPolicy) -> Acceptor {
    let names = ServerNames {
        nb_computer: "SRV".into(),
        nb_domain: "WORKGROUP".into(),
        ..ServerNames::default()
    };
    Acceptor::new(names, framing, policy)
}

/// Runs a whole exchange; returns the acceptor's last step and the initiator.
fn run(mut client: Initiator, mut server: Acceptor, store: &Store) -> (Step, Initiator) {
    let mut token = client.first();
    for _ in 0..4 {
        match server.step(&token, store) {
            Step::Continue(reply) => token = client.step(&reply, 0).unwrap(),
            last => {
                assert!(server.is_finished());
                return (last, client);
            }
        }
    }
    panic!("the exchange does not end");
}

fn failure(step: Step) -> (FailureKind, NtStatus) {
    match step {
        Step::Failed(f) => (f.kind, f.status),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn spnego_logon_with_both_mechlistmics() {
    let store = Store::default();
    let (step, mut client) = run(
        Initiator::spnego(creds("alice", "secret")),
        acceptor(Framing::Either, AcceptorPolicy::default()),
        &store,
    );
    let Step::Done { logon, reply } = step else {
        panic!("{step:?}")
    };
    assert_eq!(logon.kind, LogonKind::User);
    assert_eq!(Some(logon.session_key), client.session_key());
    assert!(logon.security.is_some());
    // Our mechListMIC verifies with the client's key.
    assert!(client.finish(&reply.unwrap()).unwrap());
    assert_eq!(*store.logons.lock().unwrap(), ["alice"]);
}

#[test]
fn ntlm_offered_behind_kerberos_takes_one_more_leg_and_needs_the_mic() {
    let mechs = vec![Oid(OID_KRB5.to_vec()), Oid::ntlmssp()];
    let store = Store::default();
    let (step, mut client) = run(
        Initiator::spnego(creds("alice", "secret")).with_mech_types(mechs.clone()),
        acceptor(Framing::Spnego, AcceptorPolicy::default()),
        &store,
    );
    let Step::Done { reply, .. } = step else {
        panic!("{step:?}")
    };
    assert!(client.finish(&reply.unwrap()).unwrap());
    for mic in [MicMode::Omit, MicMode::Corrupt] {
        let (step, _) = run(
            Initiator::spnego(creds("alice", "secret"))
                .with_mech_types(mechs.clone())
                .with_mic(mic),
            acceptor(Framing::Spnego, AcceptorPolicy::default()),
            &store,
        );
        assert_eq!(
            failure(step),
            (FailureKind::Integrity, NtStatus::LOGON_FAILURE),
            "{mic:?}"
        );
    }
    // The MIC failures never reached the store's logon.
    assert_eq!(store.logons.lock().unwrap().len(), 1);
}

#[test]
fn a_missing_or_wrong_mechlistmic_fails_when_the_ntlm_mic_was_sent() {
    for mic in [MicMode::Omit, MicMode::Corrupt] {
        let store = Store::default();
        let (step, _) = run(
            Initiator::spnego(creds("alice", "secret")).with_mic(mic),
            acceptor(Framing::Either, AcceptorPolicy::default()),
            &store,
        );
        assert_eq!(
            failure(step),
            (FailureKind::Integrity, NtStatus::LOGON_FAILURE)
        );
        assert!(store.logons.lock().unwrap().is_empty());
        assert!(store.failures.lock().unwrap().is_empty());
    }
}

#[test]
fn raw_ntlmssp_has_no_spnego_answer() {
    let store = Store::default();
    let (step, _) = run(
        Initiator::raw(creds("ALICE", "secret")),
        acceptor(Framing::Ntlm, AcceptorPolicy::default()),
        &store,
    );
    let Step::Done { logon, reply } = step else {
        panic!("{step:?}")
    };
    assert!(reply.is_none());
    assert_eq!(logon.user, "ALICE");
    // A raw-only acceptor refuses SPNEGO, an SPNEGO-only one raw NTLMSSP.
    let (step, _) = run(
        Initiator::spnego(creds("alice", "secret")),
        acceptor(Framing::Ntlm, AcceptorPolicy::default()),
        &store,
    );
    assert_eq!(failure(step).0, FailureKind::Unsupported);
    let (step, _) = run(
        Initiator::raw(creds("alice", "secret")),
        acceptor(Framing::Spnego, AcceptorPolicy::default()),
        &store,
    );
    assert_eq!(failure(step).0, FailureKind::Unsupported);
}

#[test]
fn wrong_passwords_go_to_the_store_which_answers_the_status() {
    let store = Store::default();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (step, _) = run(
            Initiator::spnego(creds("alice", "wrong")),
            acceptor(Framing::Either, AcceptorPolicy::default()),
            &store,
        );
        let Step::Failed(f) = step else { panic!() };
        assert_eq!(f.kind, FailureKind::BadCredentials);
        assert!(f.is_logon_attempt());
        assert_eq!(f.account, Some(("alice".into(), "WORKGROUP".into())));
        statuses.push(f.status);
    }
    assert_eq!(
        statuses,
        [
            NtStatus::LOGON_FAILURE,
            NtStatus::LOGON_FAILURE,
            NtStatus::ACCOUNT_LOCKED_OUT
        ]
    );
    let disabled = Store {
        disabled: true,
        ..Store::default()
    };
    let (step, _) = run(
        Initiator::spnego(creds("alice", "secret")),
        acceptor(Framing::Either, AcceptorPolicy::default()),
        &disabled,
    );
    assert_eq!(
        failure(step),
        (FailureKind::Refused, NtStatus::ACCOUNT_DISABLED)
    );
}

#[test]
fn unknown_users_are_guest_only_with_map_to_guest() {
    let store = Store::default();
    for policy in [
        AcceptorPolicy::default(),
        AcceptorPolicy {
            allow_guest: true,
            map_to_guest: false,
        },
    ] {
        let (step, _) = run(
            Initiator::spnego(creds("mallory", "x")),
            acceptor(Framing::Either, policy),
            &store,
        );
        assert_eq!(
            failure(step),
            (FailureKind::BadCredentials, NtStatus::LOGON_FAILURE)
        );
    }
    let (step, _) = run(
        Initiator::spnego(creds("mallory", "x")),
        acceptor(
            Framing::Either,
            AcceptorPolicy {
                allow_guest: false,
                map_to_guest: true,
            },
        ),
        &store,
    );
    let Step::Done { logon, .. } = step else {
        panic!("{step:?}")
    };
    assert_eq!(logon.kind, LogonKind::Guest);
    assert_eq!(logon.session_key, [0; 16]);
    assert!(logon.token.user.to_string().ends_with("-501"));
    // The Guest account by name needs allow_guest.
    let guest = |allow_guest| {
        run(
            Initiator::spnego(creds("Guest", "")),
            acceptor(
                Framing::Either,
                AcceptorPolicy {
                    allow_guest,
                    map_to_guest: false,
                },
            ),
            &store,
        )
        .0
    };
    assert!(matches!(guest(true), Step::Done { .. }));
    assert_eq!(failure(guest(false)).1, NtStatus::LOGON_FAILURE);
}

#[test]
fn an_empty_first_token_gets_our_offer_and_garbage_is_malformed() {
    let store = Store::default();
    let mut a = acceptor(Framing::Either, AcceptorPolicy::default());
    match a.step(&[], &store) {
        Step::Continue(t) => assert_eq!(t, spnego::server_negotiate_token()),
        other => panic!("{other:?}"),
    }
    assert!(!a.is_finished());
    let (kind, status) = failure(a.step(&[0x60, 0x03, 1, 2, 3], &store));
    assert_eq!(kind, FailureKind::Malformed);
    assert_eq!(status, NtStatus::INVALID_PARAMETER);
    assert!(a.is_finished());
    // Once over, every token is out of turn.
    assert_eq!(failure(a.step(&[], &store)).0, FailureKind::Malformed);
}
