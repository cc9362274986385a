//! `lwio user ...` and `lwio group ...`: the local account database (the SAM of
//! `lwio-samr` in a state directory, the one lwiod `--state-dir` serves) managed from
//! the machine itself, as Windows' `net user` / `net localgroup` do.
//!
//! Passwords are never taken from the command line: `--password-stdin` reads one line
//! from standard input, otherwise the tool prompts on the terminal with echo off.
//! "Groups" are the local groups (aliases) of Windows: those of the account domain, and
//! the Builtin ones (`Administrators`, `Users`, ...) by name.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use lwio_core::{NtStatus, Sid};
use lwio_samr::model::{Acb, DomainKind, GroupKind};
use lwio_samr::policy::PasswordSource;
use lwio_samr::{MirrorRoot, NewPassword, Sam, UnixMirror};

use super::ToolError;

/// The default state directory (lwiod's `--state-dir` convention).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/lwio";

/// Where the SAM lives and whether the Unix mirror runs.
#[derive(Debug, Clone, Args)]
pub struct SamArgs {
    /// The state directory holding sam.db.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// The machine (account domain) name for a SAM created now (default: the host name).
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// Mirror the change into the system's passwd/group files (useradd, groupadd, ...).
    #[arg(long)]
    pub unix_mirror: bool,
    /// With --unix-mirror: the account files of this chroot (the tools' -R).
    #[arg(short = 'R', long, value_name = "DIR")]
    pub unix_root: Option<PathBuf>,
    /// With --unix-mirror: DIR/etc/passwd and DIR/etc/group (the tools' -P).
    #[arg(long, value_name = "DIR")]
    pub unix_prefix: Option<PathBuf>,
}

/// How a new password is given.
#[derive(Debug, Clone, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `lwio user ...`.
#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    /// The SAM.
    #[command(flatten)]
    pub sam: SamArgs,
    /// What to do.
    #[command(subcommand)]
    pub action: UserAction,
}

/// The user actions.
#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create an enabled user with a password.
    Add {
        /// The account name.
        name: String,
        /// Its full name.
        #[arg(long, default_value = "")]
        full_name: String,
        /// Its description.
        #[arg(long, default_value = "")]
        description: String,
        /// Also put it in Builtin\Administrators.
        #[arg(long)]
        admin: bool,
        /// The password source.
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Delete a user.
    Del {
        /// The account name.
        name: String,
    },
    /// Set a user's password (an administrator's reset: the policy's length, complexity
    /// and history apply).
    Passwd {
        /// The account name.
        name: String,
        /// The password source.
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Enable a user (and unlock it).
    Enable {
        /// The account name.
        name: String,
    },
    /// Disable a user.
    Disable {
        /// The account name.
        name: String,
    },
    /// List the users: RID, name, state.
    List,
    /// Show one user.
    Show {
        /// The account name.
        name: String,
    },
}

/// `lwio group ...`.
#[derive(Debug, Clone, Args)]
pub struct GroupArgs {
    /// The SAM.
    #[command(flatten)]
    pub sam: SamArgs,
    /// What to do.
    #[command(subcommand)]
    pub action: GroupAction,
}

/// The group actions.
#[derive(Debug, Clone, Subcommand)]
pub enum GroupAction {
    /// Create a local group.
    Add {
        /// The group name.
        name: String,
        /// Its description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Delete a local group (not a Builtin one).
    Del {
        /// The group name.
        name: String,
    },
    /// Put a user in a group.
    Addmem {
        /// The group (local, or Builtin such as Administrators).
        group: String,
        /// The user.
        #[arg(value_name = "USER")]
        member: String,
    },
    /// Take a user out of a group.
    Delmem {
        /// The group.
        group: String,
        /// The user.
        #[arg(value_name = "USER")]
        member: String,
    },
    /// List the groups of both domains with their members.
    List,
}

fn status(what: &str, s: NtStatus) -> ToolError {
    ToolError::Status {
        context: what.to_owned(),
        status: s,
    }
}

fn host_machine_name() -> String {
    let h = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let name: String = h
        .trim()
        .split('.')
        .next()
        .unwrap_or("")
        .to_uppercase()
        .chars()
        .take(15)
        .collect();
    if name.is_empty() { "LWIO".into() } else { name }
}

fn open(args: &SamArgs) -> Result<Sam, ToolError> {
    let machine = args.machine.clone().unwrap_or_else(host_machine_name);
    let sam = Sam::open_dir(&args.state_dir, &machine).map_err(|e| ToolError::Io {
        context: format!("open the SAM in {}", args.state_dir.display()),
        source: std::io::Error::other(e.to_string()),
    })?;
    if !args.unix_mirror {
        return Ok(sam);
    }
    let root = match (&args.unix_root, &args.unix_prefix) {
        (Some(r), _) => MirrorRoot::Root(r.clone()),
        (None, Some(p)) => MirrorRoot::Prefix(p.clone()),
        (None, None) => MirrorRoot::System,
    };
    Ok(sam.with_mirror(UnixMirror::new(root)))
}

/// Reads a password: one line of stdin, or a prompt on the terminal without echo.
fn read_password(args: &PasswordArgs) -> Result<String, ToolError> {
    let io_err = |context: &str, source| ToolError::Io {
        context: context.to_owned(),
        source,
    };
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| io_err("read the password from stdin", e))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| ToolError::Usage("no terminal to prompt on: use --password-stdin".into()))?;
    let prompt = |tty: &std::fs::File, text: &str| -> Result<String, ToolError> {
        let mut w = tty;
        w.write_all(text.as_bytes())
            .map_err(|e| io_err("prompt", e))?;
        let old = rustix::termios::tcgetattr(tty).ok();
        if let Some(mut t) = old.clone() {
            t.local_modes -= rustix::termios::LocalModes::ECHO;
            let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, &t);
        }
        let mut line = String::new();
        let read = std::io::BufReader::new(tty).read_line(&mut line);
        if let Some(t) = old {
            let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, &t);
        }
        let _ = w.write_all(b"\n");
        read.map_err(|e| io_err("read the password", e))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let first = prompt(&tty, "New password: ")?;
    let again = prompt(&tty, "Retype new password: ")?;
    if first != again {
        return Err(ToolError::Usage("the passwords differ".into()));
    }
    Ok(first)
}

fn user_sid(sam: &Sam, rid: u32) -> Result<Sid, ToolError> {
    sam.domain()
        .map_err(|s| status("read the domain", s))?
        .sid
        .with_rid(rid)
        .map_err(|_| status("make the user's SID", NtStatus::INVALID_SID))
}

/// The alias named `name`: the account domain's first, then Builtin's.
fn find_group(sam: &Sam, name: &str) -> Result<lwio_samr::Group, ToolError> {
    for kind in [DomainKind::Account, DomainKind::Builtin] {
        if let Some(g) = sam
            .groups(kind, GroupKind::Alias)
            .map_err(|s| status("list groups", s))?
            .into_iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
        {
            return Ok(g);
        }
    }
    Err(status(
        &format!("find group {name}"),
        NtStatus::NO_SUCH_ALIAS,
    ))
}

fn set_enabled(sam: &Sam, name: &str, on: bool) -> Result<(), ToolError> {
    let what = format!("{} {name}", if on { "enable" } else { "disable" });
    let mut u = sam.user_by_name(name).map_err(|s| status(&what, s))?;
    u.acb = Acb(u.acb).with(Acb::DISABLED, !on).0;
    if on {
        u.lockout_time = 0;
        u.bad_password_count = 0;
    }
    sam.update_user(&u).map_err(|s| status(&what, s))
}

/// Runs `lwio user ...`.
pub fn run_user(args: &UserArgs, out: &mut dyn Write) -> Result<(), ToolError> {
    let sam = open(&args.sam)?;
    let w = |out: &mut dyn Write, text: String| {
        writeln!(out, "{text}").map_err(|e| ToolError::Io {
            context: "write output".into(),
            source: e,
        })
    };
    match &args.action {
        UserAction::Add {
            name,
            full_name,
            description,
            admin,
            password,
        } => {
            let pw = read_password(password)?;
            let what = format!("add user {name}");
            let mut u = sam
                .create_user(name, Acb::NORMAL)
                .map_err(|s| status(&what, s))?;
            if let Err(s) = sam.set_password(
                u.rid,
                &NewPassword::plain(&pw),
                PasswordSource::Reset,
                false,
            ) {
                // The account must not linger without the password asked for.
                let _ = sam.delete_user(u.rid);
                return Err(status(&format!("set the password of {name}"), s));
            }
            u = sam.user(u.rid).map_err(|s| status(&what, s))?;
            u.full_name.clone_from(full_name);
            u.description.clone_from(description);
            u.acb &= !(Acb::DISABLED.0 | Acb::PWNOTREQ.0);
            sam.update_user(&u).map_err(|s| status(&what, s))?;
            if *admin {
                let sid = user_sid(&sam, u.rid)?;
                sam.add_alias_member(DomainKind::Builtin, 544, &sid)
                    .map_err(|s| status("add to Administrators", s))?;
            }
            w(
                out,
                format!("added {} (rid {}, uid {})", u.name, u.rid, u.uid),
            )
        }
        UserAction::Del { name } => {
            let what = format!("delete user {name}");
            let u = sam.user_by_name(name).map_err(|s| status(&what, s))?;
            if u.rid < 1000 {
                return Err(status(&what, NtStatus::SPECIAL_ACCOUNT));
            }
            sam.delete_user(u.rid).map_err(|s| status(&what, s))?;
            w(out, format!("deleted {}", u.name))
        }
        UserAction::Passwd { name, password } => {
            let what = format!("set the password of {name}");
            let u = sam.user_by_name(name).map_err(|s| status(&what, s))?;
            let pw = read_password(password)?;
            sam.set_password(
                u.rid,
                &NewPassword::plain(&pw),
                PasswordSource::Reset,
                false,
            )
            .map_err(|s| status(&what, s))?;
            w(out, format!("password of {} set", u.name))
        }
        UserAction::Enable { name } => {
            set_enabled(&sam, name, true)?;
            w(out, format!("enabled {name}"))
        }
        UserAction::Disable { name } => {
            set_enabled(&sam, name, false)?;
            w(out, format!("disabled {name}"))
        }
        UserAction::List => {
            for u in sam.users().map_err(|s| status("list users", s))? {
                let state = if u.acb & Acb::DISABLED.0 != 0 {
                    "disabled"
                } else {
                    "enabled"
                };
                w(
                    out,
                    format!("{:>6}  {:<20} {:<8} uid {}", u.rid, u.name, state, u.uid),
                )?;
            }
            Ok(())
        }
        UserAction::Show { name } => {
            let what = format!("show user {name}");
            let u = sam.user_by_name(name).map_err(|s| status(&what, s))?;
            let sid = user_sid(&sam, u.rid)?;
            w(out, format!("name:        {}", u.name))?;
            w(out, format!("sid:         {sid}"))?;
            w(out, format!("full name:   {}", u.full_name))?;
            w(out, format!("description: {}", u.description))?;
            w(out, format!("flags:       {:#010x}", u.acb))?;
            w(
                out,
                format!("enabled:     {}", u.acb & Acb::DISABLED.0 == 0),
            )?;
            w(
                out,
                format!(
                    "password:    {}",
                    if u.nt_hash.is_some() { "set" } else { "none" }
                ),
            )?;
            w(out, format!("uid:         {}", u.uid))?;
            w(out, format!("bad logons:  {}", u.bad_password_count))?;
            let token = sam.token_for(&u).map_err(|s| status(&what, s))?;
            for g in &token.groups {
                w(out, format!("member of:   {g}"))?;
            }
            Ok(())
        }
    }
}

/// Runs `lwio group ...`.
pub fn run_group(args: &GroupArgs, out: &mut dyn Write) -> Result<(), ToolError> {
    let sam = open(&args.sam)?;
    let w = |out: &mut dyn Write, text: String| {
        writeln!(out, "{text}").map_err(|e| ToolError::Io {
            context: "write output".into(),
            source: e,
        })
    };
    match &args.action {
        GroupAction::Add { name, description } => {
            let what = format!("add group {name}");
            let mut g = sam
                .create_group(DomainKind::Account, GroupKind::Alias, name)
                .map_err(|s| status(&what, s))?;
            if !description.is_empty() {
                g.description.clone_from(description);
                sam.update_group(&g).map_err(|s| status(&what, s))?;
            }
            w(
                out,
                format!("added {} (rid {}, gid {})", g.name, g.rid, g.gid),
            )
        }
        GroupAction::Del { name } => {
            let what = format!("delete group {name}");
            let g = find_group(&sam, name)?;
            if g.domain == DomainKind::Builtin {
                return Err(status(&what, NtStatus::SPECIAL_ACCOUNT));
            }
            sam.delete_group(&g).map_err(|s| status(&what, s))?;
            w(out, format!("deleted {}", g.name))
        }
        GroupAction::Addmem {
            group,
            member: user,
        }
        | GroupAction::Delmem {
            group,
            member: user,
        } => {
            let add = matches!(args.action, GroupAction::Addmem { .. });
            let what = format!(
                "{} {user} {} {group}",
                if add { "add" } else { "remove" },
                if add { "to" } else { "from" }
            );
            let g = find_group(&sam, group)?;
            let u = sam.user_by_name(user).map_err(|s| status(&what, s))?;
            let sid = user_sid(&sam, u.rid)?;
            let r = if add {
                sam.add_alias_member(g.domain, g.rid, &sid)
            } else {
                sam.remove_alias_member(g.domain, g.rid, &sid)
            };
            r.map_err(|s| status(&what, s))?;
            w(
                out,
                format!(
                    "{} {} {}",
                    if add { "added" } else { "removed" },
                    u.name,
                    g.name
                ),
            )
        }
        GroupAction::List => {
            for kind in [DomainKind::Account, DomainKind::Builtin] {
                let domain = match kind {
                    DomainKind::Account => sam.domain().map_err(|s| status("domain", s))?.name,
                    DomainKind::Builtin => "BUILTIN".to_owned(),
                };
                for g in sam
                    .groups(kind, GroupKind::Alias)
                    .map_err(|s| status("list groups", s))?
                {
                    let members = sam
                        .store()
                        .alias_members(kind, g.rid)
                        .map_err(|e| ToolError::BadData(format!("list members: {e}")))?;
                    let names: Vec<String> = members
                        .iter()
                        .map(|m| match sam.lookup_sid(m) {
                            Ok(Some(r)) => format!("{}\\{}", r.domain_name, r.name),
                            _ => m.to_string(),
                        })
                        .collect();
                    w(out, format!("{domain}\\{}: {}", g.name, names.join(", ")))?;
                }
            }
            Ok(())
        }
    }
}
