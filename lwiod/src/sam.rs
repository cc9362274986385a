//! lwiod's SAM: opened from the state directory, seeded with the configured users, and
//! given the Unix mirror when asked for.

use std::path::Path;

use lwio_samr::model::{Acb, DomainKind, GroupKind, rid};
use lwio_samr::policy::PasswordSource;
use lwio_samr::{MirrorRoot, NewPassword, Sam, UnixMirror};

use crate::Error;
use crate::config::{Config, UnixMirrorConfig};

/// Opens the SAM in `dir` for machine `machine` and creates the configured users that
/// do not exist yet (enabled, their password never expiring; administrators in
/// Builtin\Administrators). Existing accounts are left as they are.
pub(crate) fn open(dir: &Path, machine: &str, config: &Config) -> Result<Sam, Error> {
    let err = |what: &str, e: &dyn std::fmt::Display| Error::Sam(format!("{what}: {e}"));
    let mut sam = Sam::open_dir(dir, machine).map_err(|e| err(&dir.display().to_string(), &e))?;
    if let Some(m) = &config.unix_mirror {
        sam = sam.with_mirror(UnixMirror::new(match m {
            UnixMirrorConfig::System => MirrorRoot::System,
            UnixMirrorConfig::Root(p) => MirrorRoot::Root(p.clone()),
            UnixMirrorConfig::Prefix(p) => MirrorRoot::Prefix(p.clone()),
        }));
    }
    for u in &config.users {
        if sam.user_by_name(&u.name).is_ok() {
            continue;
        }
        let status = |e: lwio_core::NtStatus| err(&format!("seeding user {}", u.name), &e);
        let mut user = sam.create_user(&u.name, Acb::NORMAL).map_err(status)?;
        sam.set_password(
            user.rid,
            &NewPassword::plain(&u.password),
            PasswordSource::Reset,
            false,
        )
        .map_err(status)?;
        user = sam.user(user.rid).map_err(status)?;
        user.acb = (user.acb & !Acb::DISABLED.0) | Acb::PWNOEXP.0;
        sam.update_user(&user).map_err(status)?;
        let sid = sam
            .domain()
            .map_err(status)?
            .sid
            .with_rid(user.rid)
            .map_err(|e| err("user SID", &e))?;
        if u.admin {
            let alias = rid::ADMINISTRATORS;
            sam.group(DomainKind::Builtin, GroupKind::Alias, alias)
                .and_then(|_| sam.add_alias_member(DomainKind::Builtin, alias, &sid))
                .map_err(status)?;
        }
    }
    Ok(sam)
}
