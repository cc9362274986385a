//! The POSIX layer: a jailed, case-insensitive view of the share root.
//!
//! The driver above works in Windows terms (case-insensitive names, DOS attributes, security
//! descriptors, NTSTATUS). This module turns that into Linux system calls, all made through
//! [`rustix`] on file descriptors, and keeps what POSIX lacks in extended attributes.
//!
//! # The jail
//!
//! A [`Root`] holds an `O_PATH | O_DIRECTORY` descriptor of the share root. Nothing is ever
//! opened by an absolute path afterwards: every open goes through [`Root::open_file`],
//! [`Root::open_path`] or [`Root::open_exact`], which resolve a *relative* path beneath that
//! descriptor.
//!
//! * Names and relative paths are checked before any system call: empty names, `.`, `..`, and
//!   names holding `/` or NUL are refused with `STATUS_OBJECT_NAME_INVALID`; an absolute path
//!   or one with a `..` component is refused the same way.
//! * With `openat2(2)` (Linux 5.6+, probed once in [`Root::open`]) the kernel resolves with
//!   `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, plus `RESOLVE_NO_SYMLINKS` unless
//!   [`SysConfig::follow_symlinks_inside`] is set. With it set, a symlink whose target stays
//!   beneath the root is followed; one that leaves (absolute, or `..` above the root) fails.
//! * Without `openat2` (or with [`SysConfig::force_component_walk`]) the path is walked one
//!   component at a time with `openat(.., O_NOFOLLOW)` and every symlink is refused, even one
//!   that stays inside: this mode is stricter than the `openat2` one.
//! * An escape attempt (`EXDEV` from `openat2`, `ELOOP` on a refused symlink) becomes
//!   `STATUS_ACCESS_DENIED`, as Samba answers with `wide links = no`. The answer is the same
//!   whether the outside target exists or not, so its existence does not leak.
//! * [`Root::open_exact`], the fast path of an open, is the same jailed open of the path as
//!   spelled, for reading, followed by an `fstat` of the descriptor: the type, identity and
//!   times every later decision uses are those of the object opened, not of a name looked
//!   up before. It adds `O_NONBLOCK`, so a FIFO (or anything swapped in for the name) cannot
//!   make it wait (cleared again on a regular file unless the share's file system is a
//!   local one known to ignore it); the driver then refuses whatever is neither a regular
//!   file nor a directory. Unlike a `statx` first, this does open such a file for a moment: an
//!   unprivileged user can only make FIFOs and sockets (which fail to open), while device
//!   nodes need `CAP_MKNOD`, so a device in a share is the administrator's own doing; mount
//!   shares `nodev` to rule even that out.
//! * Races: the kernel checks each step of the walk on the object it actually reached, and the
//!   fallback walk holds a descriptor for each directory and checks the type of what it opened
//!   (`fstat` on the new descriptor, not a second lookup), so swapping a directory for a
//!   symlink mid-walk cannot lead outside.
//! * Hard links cannot be told apart from the original name. A hard link to an outside file
//!   made beforehand by a local user with write access to the share is outside the threat
//!   model (that user can already write the share). Links made through [`link_at`] join two
//!   directories reached through the root with single validated names, so they stay inside.
//!
//! # Case-insensitive names
//!
//! An open first tries the path exactly as spelled ([`Root::open_exact`]): when every
//! component exists with that spelling, that is the file, as the lookup below would answer
//! (an exact match is preferred even when another case variant exists, as Samba does; NTFS
//! cannot hold both). Only when that open fails does the driver call [`Root::resolve`],
//! which walks the components with [`Root::lookup`] and reports the precise status.
//!
//! [`Root::lookup`] tries the exact spelling first (one `statx`), then a per-directory index of
//! case-folded names (simple one-to-one Unicode upper-casing, like NTFS's `$UpCase`; no
//! normalisation). The index is cached per directory, keyed by (device, inode) and dropped when
//! the directory's mtime or ctime moves away from the pair it recorded, or when the driver
//! calls [`Root::invalidate`]. The cache is bounded in directories and in names (LRU).
//!
//! The driver's own creates, deletes, renames and links update the index in place instead of
//! dropping it ([`Root::change_names`], or [`Root::begin_change`] and [`Root::end_change`]):
//! the directory is `fstat`ed before and after the system call, and the index is updated and
//! records the after-stat only if it recorded the before-stat; otherwise it is dropped. Such
//! changes in one directory are serialised with each other and with index lookups, so
//! concurrent creates keep every name and the index. Without this a bulk copy of N files into
//! one directory would rescan it at every create (O(N²) entries read).
//!
//! Time stamps come from a coarse clock, so an external change in the same tick as the
//! recorded stamp (or between PVFS's before-stat and its own system call) does not move them.
//! An index scanned within a short window after the directory's last change ("racy", as in
//! git's index), or updated in place, is therefore *suspect*: it is served, but rescanned by
//! the first lookup once the window (50 ms, or sixteen scan durations for a large directory)
//! has passed since its last scan. So an other-case name made by a local process in the same
//! clock tick as a PVFS change may be missed for that long. Every other external change that
//! moves the stamps is seen by the next lookup (a PVFS change after it finds a before-stat
//! that is not the recorded one and drops the index). The details are in the `index`
//! module.
//!
//! # Short names
//!
//! A component of the 8.3 hash form's shape (`PPHHHH~N.EXT`) that matches no long name,
//! exactly or case-insensitively, is looked up among the directory's 8.3 short names,
//! which are computed from its names and never stored (the [`short`] module says how and
//! why): one scan of the directory per such miss, `statx` only for the members of the
//! group asked for. The name found is a long name of the directory, so what follows (the
//! jailed open, the checks on the object opened) is as for any lookup.
//!
//! # Extended attributes
//!
//! * DOS attributes and the creation time live in `user.lwio.dos` ([`DosInfo`], layout in
//!   [`xattr`] docs). DOS attributes are not a security boundary, and the file's
//!   owner may change the file anyway, so the `user.` namespace is fine (Samba does the same
//!   with `user.DOSATTRIB`).
//! * The security descriptor lives in `<ns>.lwio.sd` where `<ns>` is
//!   [`SysConfig::sd_namespace`]. It *is* a security boundary: a file's local owner may
//!   rewrite its `user.*` attributes, and with them a Windows ACL that is meant to restrict
//!   that very user. `trusted.*` attributes need `CAP_SYS_ADMIN` to read or write, so the
//!   default ([`XattrNamespace::detect`]) is `trusted` when the process has `CAP_SYS_ADMIN`
//!   and `user` otherwise, with a loud warning.
//! * Decoded descriptors are shared through a small cache ([`Root::descriptor`]) keyed by the
//!   exact bytes read from the file (or, for derived ones, by owner, group, mode and type):
//!   the attribute is still read on every open, so a descriptor changed behind PVFS's back
//!   is seen at once; only the decoding is saved.
//! * On a file system without extended attributes, DOS information is derived from the stat
//!   data and writes report `persisted: false`; security descriptors cannot be stored and
//!   writing one fails with `STATUS_NOT_SUPPORTED` (failing open would be a security bug).

mod descriptors;
mod errno;
mod index;
mod names;
mod ops;
mod root;
pub mod short;
pub mod xattr;

#[cfg(test)]
mod tests;

pub use errno::map_errno;
pub use index::NameEdit;
pub use names::{fold_name, validate_name};
pub use ops::{
    DirEntryInfo, EntryType, Stat, Timestamp, create_file_at, datasync, fallocate, fill_holes,
    fstat, fsync, link_at, link_fd, mkdir_at, next_data, pread_full, pread_vec, punch_hole,
    pwrite_all, read_dir, rename_at, reopen, same_object, set_mode, set_owner, set_size, set_times,
    stat_at, unlink_at,
};
pub use root::{DirChange, Found, Resolved, Root, short_rank};
pub use xattr::{DosInfo, DosRead, DosSource, DosWrite};

/// The extended-attribute namespace that holds security descriptors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XattrNamespace {
    /// `user.*`: readable and writable by the file's owner. Not safe for ACLs on shares where
    /// local users own files.
    User,
    /// `trusted.*`: only processes with `CAP_SYS_ADMIN` can see or change it.
    Trusted,
    /// `security.*`: changes need `CAP_SYS_ADMIN`; Linux security modules may interfere.
    Security,
}

impl XattrNamespace {
    /// The attribute name prefix, with its dot (`"trusted."`).
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::User => "user.",
            Self::Trusted => "trusted.",
            Self::Security => "security.",
        }
    }

    /// The default: [`Trusted`](Self::Trusted) when this process has `CAP_SYS_ADMIN` in its
    /// effective set, else [`User`](Self::User) with a warning that local owners can rewrite
    /// the stored ACLs.
    pub fn detect() -> Self {
        let admin = rustix::thread::capabilities(None)
            .map(|c| {
                c.effective
                    .contains(rustix::thread::CapabilitySet::SYS_ADMIN)
            })
            .unwrap_or(false);
        if admin {
            Self::Trusted
        } else {
            tracing::warn!(
                "PVFS: no CAP_SYS_ADMIN, so security descriptors are kept in user.* extended \
                 attributes, which each file's local owner can rewrite; run as root or set \
                 SysConfig::sd_namespace if local users own files in the share"
            );
            Self::User
        }
    }
}

/// How a [`Root`] behaves. Build it with [`SysConfig::default`] and change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SysConfig {
    /// Where security descriptors are kept (default: [`XattrNamespace::detect`]).
    pub sd_namespace: XattrNamespace,
    /// Follow symlinks whose target stays beneath the root (default `false`: every symlink is
    /// refused with `STATUS_ACCESS_DENIED`). Only honoured with `openat2`; the fallback walk
    /// refuses every symlink.
    pub follow_symlinks_inside: bool,
    /// Never use `openat2`, walk components instead (for tests and diagnostics).
    pub force_component_walk: bool,
    /// Act as if the file system had no extended attributes (for tests and diagnostics).
    pub force_no_xattrs: bool,
    /// At most this many directories in the case-folded name cache (default 256).
    pub index_max_dirs: usize,
    /// At most this many names in the case-folded name cache, all directories together
    /// (default 500,000). A larger directory is scanned on each case-insensitive miss.
    pub index_max_names: usize,
}

impl Default for SysConfig {
    fn default() -> Self {
        Self {
            sd_namespace: XattrNamespace::detect(),
            follow_symlinks_inside: false,
            force_component_walk: false,
            force_no_xattrs: false,
            index_max_dirs: 256,
            index_max_names: 500_000,
        }
    }
}
