//! The local account database (the SAM) of an lwio server, and the MS-SAMR server that
//! manages it remotely on `\pipe\samr`.
//!
//! # The SAM
//!
//! A Windows machine that is not a domain controller keeps its accounts in two domains:
//! the *account domain*, named after the machine, with a SID `S-1-5-21-a-b-c` generated
//! once when the SAM is made, holding users, global groups (on a standalone server just
//! "None", RID 513) and local groups (aliases); and the *Builtin* domain `S-1-5-32`,
//! holding the well-known aliases (Administrators 544, Users 545, Guests 546, ...).
//! Users get RIDs from 1000; Administrator (500) and Guest (501) exist from the start,
//! both disabled until an administrator enables them.
//!
//! [`Sam`] holds those rules over a [`SamStore`] (persistence only; [`SqliteStore`] is
//! the embedded default, one 0600 file per machine, every change one transaction). A
//! user keeps only its NT hash (never a plaintext, no LM hash), its account control bits,
//! password times, bad-password count and lockout time, and a Unix uid from the domain's
//! range; every group keeps a gid. [`UnixMirror`] optionally reflects them into the
//! system's passwd and group files.
//!
//! `Sam` is an [`AccountSource`](lwio_auth::accounts::AccountSource): session setup and
//! RPC binds verify NTLM against its hashes, and a verified logon gets the restrictions
//! Windows checks (disabled, locked out, expired, password to change, password expired)
//! and this access token:
//!
//! - user `S-1-5-21-<domain>-<rid>`, owner of what it creates;
//! - groups: the primary group (513, None), every account group it is in, Everyone,
//!   Authenticated Users, NETWORK, every alias of either domain it (or one of those groups)
//!   is a member of, and its Unix SIDs `S-1-22-1-<uid>` and `S-1-22-2-<gid>`;
//! - privileges from the account rights of those SIDs (Administrators hold SeBackup,
//!   SeRestore, SeTakeOwnership, SeSecurity, SeChangeNotify and SeManageVolume);
//! - the primary group 513 and the account's Unix identity.
//!
//! # The LSA
//!
//! [`lsa::LsaInterface`] is the Local Security Authority over the same `Sam`: name and SID
//! translation (MS-LSAT) from [`Sam::lookup_name`]/[`Sam::lookup_rid`] and the well-known
//! principals, policy information, and account objects and rights (MS-LSAD) kept by
//! [`Sam::rights`] / [`Sam::add_rights`] / [`Sam::remove_rights`], so a privilege granted
//! over LSA is in the next logon's token, and [`Sam::check_network_logon`] enforces the
//! network logon rights.
//!
//! # SAMR
//!
//! [`rpc::SamrInterface`] serves MS-SAMR over lwio-rpc. [`serve`] puts SAMR, the LSA and
//! dssetup on an NPFS device's `\pipe\samr` and `\pipe\lsarpc` in one line, as one RPC
//! server (Windows' lsass answers every one of its interfaces on each of its pipes).

#![forbid(unsafe_code)]

pub mod crypto;
pub mod lsa;
pub mod model;
pub mod policy;
mod rights;
pub mod rpc;
mod sam;
mod serve;
pub mod store;
pub mod unix;

pub use lsa::LsaInterface;
pub use model::{Acb, Domain, DomainKind, Group, GroupKind, SidType, User};
pub use rpc::SamrInterface;
pub use sam::{BUILTIN_NAME, NewPassword, Resolved, SAM_FILE, Sam, check_account_name};
pub use serve::serve;
pub use store::{SamStore, SqliteStore, StoreError};
pub use unix::{MirrorRoot, UnixMirror};
