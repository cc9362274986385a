//! The opt-in mirror of SAM accounts into the system's own account files: a user or group
//! created, renamed, changed or deleted in the SAM is created, renamed or deleted with the
//! system's tools (`useradd`, `usermod`, `userdel`, `groupadd`, `groupmod`, `groupdel`), so `getent passwd NAME` and `id NAME` show what was made over SAMR.
//!
//! A Unix group that already exists under a SAM group's name with another gid (a system
//! group such as `staff` or `sudo`) is never used: SAM members are not put into it, so
//! SAMR cannot grant Linux privileges by naming a group after one.
//!
//! Unix names are the SAM names in lower case (Windows names are case-insensitive; the
//! shadow tools accept only lower case by default). Builtin aliases are not mirrored.
//! Accounts get the SAM's uid, the gid of their primary group, no home directory and
//! `/usr/sbin/nologin` as their shell: they exist to own files, not to log on to a shell.
//!
//! `--root DIR` (the tools' `-R`, a chroot) or `--prefix DIR` (`-P`, only the files under
//! DIR/etc) lets tests work on a throwaway passwd/group pair. A tool that fails is logged
//! and does not undo the SAM change: the SAM is the source of truth.

use std::path::PathBuf;
use std::process::Command;

use crate::model::{DomainKind, Group, User};
use crate::sam::Sam;

/// Where the mirror writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorRoot {
    /// The running system's own files.
    System,
    /// A chroot directory (`-R DIR`).
    Root(PathBuf),
    /// A prefix holding `etc/passwd`, `etc/group`, ... (`-P DIR`).
    Prefix(PathBuf),
}

/// Mirrors SAM changes into passwd/group with the shadow tools.
#[derive(Debug, Clone)]
pub struct UnixMirror {
    root: MirrorRoot,
}

/// The Unix name of a SAM name.
pub fn unix_name(name: &str) -> String {
    name.to_lowercase().replace(' ', "_")
}

impl UnixMirror {
    /// A mirror writing to `root`.
    pub fn new(root: MirrorRoot) -> UnixMirror {
        UnixMirror { root }
    }

    fn run(&self, tool: &str, args: &[&str]) -> bool {
        let mut cmd = Command::new(tool);
        match &self.root {
            MirrorRoot::System => {}
            MirrorRoot::Root(d) => {
                cmd.arg("-R").arg(d);
            }
            MirrorRoot::Prefix(d) => {
                cmd.arg("-P").arg(d);
            }
        }
        cmd.args(args);
        match cmd.output() {
            Ok(o) if o.status.success() => true,
            Ok(o) => {
                tracing::warn!(
                    tool,
                    ?args,
                    stderr = %String::from_utf8_lossy(&o.stderr).trim(),
                    "unix mirror: tool failed"
                );
                false
            }
            Err(e) => {
                tracing::warn!(tool, error = %e, "unix mirror: tool did not run");
                false
            }
        }
    }

    /// The group file the tools write.
    fn group_file(&self) -> PathBuf {
        match &self.root {
            MirrorRoot::System => PathBuf::from("/etc/group"),
            MirrorRoot::Root(d) | MirrorRoot::Prefix(d) => d.join("etc/group"),
        }
    }

    /// The gid of Unix group `name`, if it exists.
    fn unix_gid(&self, name: &str) -> Option<u32> {
        let text = std::fs::read_to_string(self.group_file()).ok()?;
        text.lines().find_map(|l| {
            let mut f = l.split(':');
            (f.next()? == name).then(|| f.nth(1)?.parse().ok())?
        })
    }

    /// Makes the Unix group of `g`; true when a group of that name has the SAM's gid.
    /// A system group that happens to share the name (`staff`, `sudo`) is never taken
    /// over: SAM members are not put into it.
    fn ensure_group(&self, g: &Group) -> bool {
        let name = unix_name(&g.name);
        if self.unix_gid(&name).is_none() {
            self.run("groupadd", &["-g", &g.gid.to_string(), &name]);
        }
        match self.unix_gid(&name) {
            Some(gid) if gid == g.gid => true,
            other => {
                tracing::warn!(group = %name, unix_gid = ?other, sam_gid = g.gid,
                    "unix mirror: a Unix group of that name is not the SAM's; left alone");
                false
            }
        }
    }

    /// A user was created.
    pub fn user_added(&self, sam: &Sam, u: &User) {
        let gid = match sam.group(
            DomainKind::Account,
            crate::model::GroupKind::Group,
            u.primary_group,
        ) {
            Ok(g) if self.ensure_group(&g) => g.gid,
            Ok(_) => u.uid,
            Err(_) => u.uid,
        };
        let (uid, gid) = (u.uid.to_string(), gid.to_string());
        let name = unix_name(&u.name);
        self.run(
            "useradd",
            &[
                "-M",
                "-N",
                "-u",
                &uid,
                "-g",
                &gid,
                "-s",
                "/usr/sbin/nologin",
                "-c",
                &u.full_name,
                &name,
            ],
        );
    }

    /// A user's record changed (rename, full name).
    pub fn user_changed(&self, _sam: &Sam, old: &User, new: &User) {
        let (o, n) = (unix_name(&old.name), unix_name(&new.name));
        if o != n {
            self.run("usermod", &["-l", &n, &o]);
        }
        if old.full_name != new.full_name {
            self.run("usermod", &["-c", &new.full_name, &n]);
        }
    }

    /// A user was deleted.
    pub fn user_deleted(&self, u: &User) {
        self.run("userdel", &[&unix_name(&u.name)]);
    }

    /// A group or alias of the account domain was created.
    pub fn group_added(&self, g: &Group) {
        if g.domain == DomainKind::Account {
            self.ensure_group(g);
        }
    }

    /// A group was renamed.
    pub fn group_changed(&self, old: &Group, new: &Group) {
        let (o, n) = (unix_name(&old.name), unix_name(&new.name));
        if new.domain == DomainKind::Account && o != n && self.unix_gid(&o) == Some(new.gid) {
            self.run("groupmod", &["-n", &n, &o]);
        }
    }

    /// A group was deleted.
    pub fn group_deleted(&self, g: &Group) {
        let name = unix_name(&g.name);
        if g.domain == DomainKind::Account && self.unix_gid(&name) == Some(g.gid) {
            self.run("groupdel", &[&name]);
        }
    }

    /// `user` joined or left group `g`.
    pub fn membership(&self, g: &Group, user: &str, add: bool) {
        if g.domain != DomainKind::Account || !self.ensure_group(g) {
            return;
        }
        let flag = if add { "-a" } else { "-r" };
        self.run(
            "usermod",
            &[flag, "-G", &unix_name(&g.name), &unix_name(user)],
        );
    }
}
