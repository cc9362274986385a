//! The command line: global options ([`Cli`]) and the commands ([`Command`]), shared by the
//! binary's arguments and the lines of a script.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lwio_core::{
    AccessMask, CreateDisposition, CreateOptions, FileAttributes, FileInfoClass,
    SecurityInformation, ShareAccess,
};

use super::names::{
    parse_access, parse_attributes, parse_options, parse_security_info, parse_share, parse_u32,
    parse_u64,
};

/// `lwio`: run commands against an lwio I/O manager with a file system mounted at `/share`.
#[derive(Debug, Clone, Parser)]
#[command(name = "lwio", version, about, long_about = None)]
pub struct Cli {
    /// Serve /share from this directory through the PVFS driver (NTFS semantics).
    #[arg(long, value_name = "DIR", conflicts_with = "memfs", global = true)]
    pub root: Option<PathBuf>,
    /// Serve /share from an empty in-memory volume (memfs); the default without --root.
    #[arg(long, global = true)]
    pub memfs: bool,
    /// Run as this user: `system` (default), `anonymous`, or a SID (`S-1-5-21-1-2-3-1000`),
    /// which gets a token with the Everyone and Authenticated Users groups.
    #[arg(
        long,
        value_name = "SID_OR_NAME",
        default_value = "system",
        global = true
    )]
    pub user: String,
    /// Log on to SMB servers (remote paths, `//server[:port]/share/path`) with the
    /// credentials in this file, smbclient's format (`username = `, `password = `,
    /// `domain = `), which only its owner may read; without it, `LWIO_USER`,
    /// `LWIO_PASSWORD` and `LWIO_DOMAIN`.
    #[cfg(feature = "rdr")]
    #[arg(long, value_name = "FILE", global = true)]
    pub credentials: Option<PathBuf>,
    /// Encrypt every SMB request (SMB 3.x), even where the server does not require it; a
    /// server that cannot encrypt is refused (STATUS_ACCESS_DENIED).
    #[cfg(feature = "rdr")]
    #[arg(long, global = true)]
    pub encrypt: bool,
    /// Run against a running lwiod through its local socket: paths are in the daemon's
    /// namespace (`data/a.txt` is share data's `a.txt`), and the daemon decides who you are
    /// (from your uid; `--user` is not sent).
    #[cfg(feature = "daemon")]
    #[arg(long, value_name = "SOCKET", global = true, conflicts_with_all = ["root", "memfs"])]
    pub daemon: Option<PathBuf>,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// One script line: a command without the global options.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "script line",
    no_binary_name = true,
    disable_version_flag = true
)]
pub(crate) struct ScriptLine {
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// A command. `TARGET` is a path on the device (`dir/a.txt`) or, in a script, the name of a
/// handle opened with `open`; a name that is an open handle wins over a path.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Manage the users of the local account database (the SAM lwiod --state-dir uses).
    #[cfg(feature = "samr")]
    User(super::accounts::UserArgs),
    /// Manage the local groups of the account database.
    #[cfg(feature = "samr")]
    Group(super::accounts::GroupArgs),
    /// Administer a running lwiod (sessions, open files, shares, reload, log level)
    /// through its local socket (`--daemon SOCKET`, else the system daemon's).
    #[cfg(feature = "daemon")]
    Admin(super::admin::AdminArgs),
    /// Open or create a file, print the create action and the granted access, and close it.
    Create {
        /// The path on the device.
        path: String,
        /// How to open it (default disposition: open-if).
        #[command(flatten)]
        open: OpenArgs,
    },
    /// Open a file and keep it as the named handle (scripts).
    Open {
        /// The handle's name, used by later lines.
        handle: String,
        /// The path on the device.
        path: String,
        /// How to open it (default disposition: open).
        #[command(flatten)]
        open: OpenArgs,
    },
    /// Close a handle opened with `open` (scripts).
    Close {
        /// The handle's name.
        handle: String,
    },
    /// Read bytes to standard output, raw. Without --length, reads to the end of the file.
    Read {
        /// A path or a handle.
        target: String,
        /// Byte offset.
        #[arg(long, default_value = "0", value_parser = parse_u64)]
        offset: u64,
        /// Issue one read of this many bytes (its status is the command's).
        #[arg(long, value_parser = parse_u32)]
        length: Option<u32>,
    },
    /// Write bytes; a path is opened with open-if.
    Write {
        /// A path or a handle.
        target: String,
        /// The bytes to write, as text.
        #[arg(long, conflicts_with = "from", required_unless_present = "from")]
        data: Option<String>,
        /// Write the contents of this local file.
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// Byte offset (default 0).
        #[arg(long, value_parser = parse_u64, conflicts_with = "append")]
        offset: Option<u64>,
        /// Write at the end of the file.
        #[arg(long)]
        append: bool,
    },
    /// Print a file to standard output (as `read` without --length).
    Cat {
        /// A path or a handle.
        target: String,
    },
    /// Copy a file, or a tree with -r, keeping its times. Each side is a remote path
    /// (`//server[:port]/share/path`) or a local file-system path (not one on the device).
    Cp {
        /// What to copy.
        src: String,
        /// Where to: a new name, or an existing directory to copy into.
        dst: String,
        /// Copy a directory and everything in it.
        #[arg(short, long)]
        recursive: bool,
        /// Resume an interrupted copy: skip files the destination has whole, append the
        /// rest of those it has the beginning of.
        #[arg(long = "continue")]
        resume: bool,
    },
    /// Move or rename a file or a tree: a rename on the server when both sides are on one
    /// share, else a copy (times kept) and a delete. Each side is a remote path or a local
    /// file-system path.
    #[cfg(feature = "rdr")]
    Mv {
        /// What to move.
        src: String,
        /// Where to: a new name, or an existing directory to move into.
        dst: String,
    },
    /// Mount a share (`//server[:port]/share`) on a local directory with FUSE and serve
    /// it in the foreground until `fusermount -u DIR` (or `umount DIR`).
    #[cfg(feature = "fuse")]
    Mount {
        /// The share, `//server[:port]/share`.
        share: String,
        /// The directory to mount it on.
        dir: PathBuf,
    },
    /// List a server's shares (`//server[:port]`) over its srvsvc pipe: name, type, remark.
    #[cfg(all(feature = "rdr", feature = "rpc"))]
    Shares {
        /// The server, `//server[:port]`.
        server: String,
    },
    /// Delete a file or an empty directory (with -r, a tree).
    Rm {
        /// A path.
        target: String,
        /// Delete a directory and everything in it.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Make a directory.
    Mkdir {
        /// A path.
        path: String,
    },
    /// Print every file information class the driver answers, decoded.
    Stat {
        /// A path or a handle.
        target: String,
        /// Also print the volume information classes.
        #[arg(long)]
        volume: bool,
    },
    /// List a directory: attributes, size, last write time and name per entry.
    Ls {
        /// A directory path or a handle.
        target: String,
        /// A name pattern with Windows wildcards (`*`, `?`, `<`, `>`, `"`).
        pattern: Option<String>,
        /// The directory information class to ask for.
        #[arg(long, value_enum, default_value_t = DirClass::IdBoth)]
        class: DirClass,
    },
    /// Print the security descriptor as SDDL.
    Getsd {
        /// A path or a handle.
        target: String,
        /// Which parts: owner, group, dacl, sacl, label (default owner,group,dacl).
        #[arg(long, value_parser = parse_security_info)]
        info: Option<SecurityInformation>,
    },
    /// Replace (parts of) the security descriptor from SDDL.
    Setsd {
        /// A path or a handle.
        target: String,
        /// The descriptor, in SDDL (`O:BAG:BAD:(A;;FA;;;WD)`).
        sddl: String,
        /// Which parts to set (default: those the SDDL has).
        #[arg(long, value_parser = parse_security_info)]
        info: Option<SecurityInformation>,
    },
    /// Take a byte-range lock (exclusive unless --shared).
    Lock {
        /// A path or a handle.
        target: String,
        /// First byte.
        #[arg(value_parser = parse_u64)]
        offset: u64,
        /// Number of bytes.
        #[arg(value_parser = parse_u64)]
        length: u64,
        /// A shared (read) lock.
        #[arg(long)]
        shared: bool,
        /// Wait for a conflicting lock to go; on a handle the lock stays pending and the
        /// script goes on (see `wait`).
        #[arg(long)]
        wait: bool,
        /// The lock key.
        #[arg(long, default_value = "0", value_parser = parse_u32)]
        key: u32,
    },
    /// Release a byte-range lock.
    Unlock {
        /// A path or a handle.
        target: String,
        /// First byte.
        #[arg(value_parser = parse_u64)]
        offset: u64,
        /// Number of bytes.
        #[arg(value_parser = parse_u64)]
        length: u64,
        /// The lock key.
        #[arg(long, default_value = "0", value_parser = parse_u32)]
        key: u32,
    },
    /// Print extended attributes (EAs), `NAME = "value"` a line: all of them, those named,
    /// or (with --index, --single, --next) a step of the handle's enumeration.
    Getea {
        /// A path or a handle.
        target: String,
        /// Only these EAs (names match without case); a missing one prints `(none)`.
        names: Vec<String>,
        /// Start at this 1-based EA index.
        #[arg(long, value_parser = parse_u32, conflicts_with = "names")]
        index: Option<u32>,
        /// Return one EA only.
        #[arg(long)]
        single: bool,
        /// Go on from where the handle's enumeration stands instead of restarting it.
        #[arg(long, conflicts_with_all = ["names", "index"])]
        next: bool,
    },
    /// Set extended attributes: `NAME=VALUE` sets (the value as text), `NAME=` deletes.
    Setea {
        /// A path or a handle.
        target: String,
        /// The EAs, `NAME=VALUE`.
        #[arg(required = true, value_name = "NAME=VALUE")]
        eas: Vec<String>,
        /// Flag them FILE_NEED_EA (opens with FILE_NO_EA_KNOWLEDGE are then refused).
        #[arg(long)]
        need: bool,
    },
    /// Flush a file's buffers.
    Flush {
        /// A path or a handle.
        target: String,
    },
    /// Wait for the oldest pending request (a `lock --wait`) of a handle (scripts).
    Wait {
        /// The handle's name.
        handle: String,
        /// Give up after this long with STATUS_IO_TIMEOUT; the request stays pending.
        #[arg(long, default_value = "5000", value_parser = parse_u64)]
        timeout_ms: u64,
    },
    /// Run a script: one command a line, `open NAME PATH` for handles, `#` comments, and
    /// `!` before a command that must fail (optionally followed by the status it must fail
    /// with, as the line's last word).
    Script {
        /// The script file, or `-` for standard input.
        file: String,
    },
}

/// How to open a file: the arguments of a create.
#[derive(Debug, Clone, Default, Args)]
pub struct OpenArgs {
    /// Desired access: names (read, write, append, execute, delete, read-attributes,
    /// write-attributes, read-ea, write-ea, read-control, write-dac, write-owner,
    /// synchronize, generic-read/write/execute/all, maximum-allowed) or hex, comma-separated
    /// [default: generic-read,generic-write].
    #[arg(long, value_parser = parse_access)]
    pub access: Option<AccessMask>,
    /// Share mode: `none` or r,w,d [default: r,w].
    #[arg(long, value_parser = parse_share)]
    pub share: Option<ShareAccess>,
    /// What to do when the file exists or not.
    #[arg(long, value_enum)]
    pub disposition: Option<Disposition>,
    /// Create options: directory, non-directory, delete-on-close, write-through, sequential,
    /// random, backup-intent, ... or hex.
    #[arg(long, value_parser = parse_options)]
    pub options: Option<CreateOptions>,
    /// Attributes of a new file: readonly, hidden, system, archive, normal, temporary, ...
    #[arg(long, value_parser = parse_attributes)]
    pub attributes: Option<FileAttributes>,
    /// A security descriptor for a new file, in SDDL.
    #[arg(long, value_name = "SDDL")]
    pub sd: Option<String>,
    /// An extended attribute for a new (or overwritten) file, `NAME=VALUE`; repeatable.
    #[arg(long = "ea", value_name = "NAME=VALUE")]
    pub eas: Vec<String>,
}

/// A create disposition, by its command-line name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Disposition {
    /// Open; fail if the file does not exist.
    Open,
    /// Create; fail if the file exists.
    Create,
    /// Open, or create if it does not exist.
    OpenIf,
    /// Open and truncate; fail if it does not exist.
    Overwrite,
    /// Open and truncate, or create if it does not exist.
    OverwriteIf,
    /// Replace the file, or create it.
    Supersede,
}

impl Disposition {
    /// The wire value.
    pub fn to_disposition(self) -> CreateDisposition {
        match self {
            Disposition::Open => CreateDisposition::OPEN,
            Disposition::Create => CreateDisposition::CREATE,
            Disposition::OpenIf => CreateDisposition::OPEN_IF,
            Disposition::Overwrite => CreateDisposition::OVERWRITE,
            Disposition::OverwriteIf => CreateDisposition::OVERWRITE_IF,
            Disposition::Supersede => CreateDisposition::SUPERSEDE,
        }
    }
}

/// A directory information class, by its command-line name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirClass {
    /// FileBothDirectoryInformation.
    Both,
    /// FileIdBothDirectoryInformation.
    IdBoth,
    /// FileFullDirectoryInformation.
    Full,
    /// FileNamesInformation.
    Names,
    /// FileDirectoryInformation.
    Directory,
}

impl DirClass {
    /// The information class.
    pub fn to_class(self) -> FileInfoClass {
        match self {
            DirClass::Both => FileInfoClass::BOTH_DIRECTORY,
            DirClass::IdBoth => FileInfoClass::ID_BOTH_DIRECTORY,
            DirClass::Full => FileInfoClass::FULL_DIRECTORY,
            DirClass::Names => FileInfoClass::NAMES,
            DirClass::Directory => FileInfoClass::DIRECTORY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
        ScriptLine::command().debug_assert();
    }

    #[test]
    fn create_parses_every_option() {
        let cli = Cli::try_parse_from([
            "lwio",
            "--memfs",
            "create",
            "a.txt",
            "--access",
            "read,write-dac",
            "--share",
            "none",
            "--disposition",
            "overwrite-if",
            "--options",
            "non-directory,write-through",
            "--attributes",
            "hidden",
        ])
        .unwrap();
        let Command::Create { path, open } = cli.command else {
            panic!("not a create: {:?}", cli.command);
        };
        assert_eq!(path, "a.txt");
        assert_eq!(
            open.access,
            Some(AccessMask::FILE_READ_DATA | AccessMask::WRITE_DAC)
        );
        assert_eq!(open.share, Some(ShareAccess::empty()));
        assert_eq!(open.disposition, Some(Disposition::OverwriteIf));
        assert_eq!(
            open.options,
            Some(CreateOptions::NON_DIRECTORY_FILE | CreateOptions::WRITE_THROUGH)
        );
        assert_eq!(open.attributes, Some(FileAttributes::HIDDEN));
        assert!(cli.memfs);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(Cli::try_parse_from(["lwio", "create", "a", "--access", "bogus"]).is_err());
        assert!(Cli::try_parse_from(["lwio", "write", "a"]).is_err());
        assert!(Cli::try_parse_from(["lwio", "write", "a", "--data", "x", "--from", "f"]).is_err());
        assert!(Cli::try_parse_from(["lwio", "--root", "/x", "--memfs", "stat", "a"]).is_err());
        assert!(Cli::try_parse_from(["lwio", "lock", "a", "zero", "1"]).is_err());
    }
}
