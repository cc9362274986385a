//! An appliance: a directory served over SMB2/3 by a binary that links only PVFS and the
//! SMB server (no named pipes, no RPC: build it with `--no-default-features --features
//! srv,pvfs`), with its own account store.
//!
//! `cargo run --example appliance -- DIR ADDR NAME:PASSWORD...` serves DIR as
//! `//ADDR/data` to the accounts given. [`ApplianceAccounts`] is the store: the
//! [`AccountSource`] trait is all the server asks of one (the NT hash NTLMv2 needs, then
//! the access token of the logon). An appliance would read its accounts from its own
//! configuration database; here they come from the command line.

use std::collections::HashMap;
use std::sync::Arc;

use lwio::core::security::{Privilege, Privileges, Sid, UnixIdentity, well_known};
use lwio::srv::accounts::AccountSource;
use lwio::{AccessToken, NtStatus};
use lwio_auth::ntlm::{NtHash, nt_hash};

/// The appliance's accounts: name (lower case) to NT hash and relative id.
struct ApplianceAccounts {
    domain: Sid,
    users: HashMap<String, (NtHash, u32)>,
}

impl ApplianceAccounts {
    /// `NAME:PASSWORD` pairs, given rids (and Unix ids) from 1000.
    fn parse(pairs: &[String]) -> Result<ApplianceAccounts, String> {
        let mut users = HashMap::new();
        for (rid, pair) in (1000..).zip(pairs) {
            let (name, password) = pair
                .split_once(':')
                .ok_or_else(|| format!("{pair}: not NAME:PASSWORD"))?;
            users.insert(name.to_lowercase(), (nt_hash(password), rid));
        }
        let domain = "S-1-5-21-1111-2222-3333"
            .parse()
            .map_err(|_| "domain SID")?;
        Ok(ApplianceAccounts { domain, users })
    }
}

impl AccountSource for ApplianceAccounts {
    fn nt_hash(&self, user: &str, _domain: &str) -> Option<NtHash> {
        self.users
            .get(&user.to_lowercase())
            .map(|(h, _)| NtHash(h.0))
    }

    fn logon(&self, user: &str, _domain: &str) -> Result<AccessToken, NtStatus> {
        let &(_, rid) = self
            .users
            .get(&user.to_lowercase())
            .ok_or(NtStatus::LOGON_FAILURE)?;
        let sid = self
            .domain
            .with_rid(rid)
            .map_err(|_| NtStatus::LOGON_FAILURE)?;
        // Each account its own Unix identity (70000 + rid): PVFS gives it what it makes.
        let id = 70_000 + rid;
        Ok(AccessToken::new(sid)
            .with_groups([well_known::WORLD, well_known::AUTHENTICATED_USERS])
            .with_owner(sid)
            .with_privileges(Privileges::NONE.with(Privilege::ChangeNotify))
            .with_unix(UnixIdentity {
                uid: id,
                gid: id,
                groups: vec![id],
            }))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, addr, users @ ..] = args.as_slice() else {
        return Err("usage: appliance DIR ADDR NAME:PASSWORD...".into());
    };
    let io = lwio::IoManager::new();
    lwio::pvfs::mount(&io, "data", dir.as_ref(), Default::default())?;
    let server = lwio::srv::Server::builder(io)
        .disk_share("data", "data")
        .accounts(Arc::new(ApplianceAccounts::parse(users)?))
        .bind(addr.parse()?)
        .build()?;
    println!("serving {dir} as //{addr}/data");
    server
        .serve(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    Ok(())
}
