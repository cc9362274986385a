//! Live share management: srvsvc's [`ShareAdmin`] over the server's live share table, and
//! the state directory's shares file.
//!
//! NetrShareAdd (levels 2, 502), NetrShareSetInfo (levels 1, 2, 502, 1004, 1005, 1006,
//! 1501) and NetrShareDel come here for administrators, after srvsvc's own checks (see
//! `lwio_rpc::interfaces::srvsvc::admin`). One lock makes each change atomic.
//!
//! - Add mounts PVFS on the path under a device name of its own (`+NAME.N`), attaches the
//!   share-permission filter ([`LiveShareAcl`]), checks that the caller can list the
//!   directory through it (ERROR_ACCESS_DENIED otherwise; NERR_UnknownDevDir when the
//!   path is no directory), writes the shares file when the share is sticky (not
//!   STYPE_TEMPORARY), and only then serves it.
//! - SetInfo replaces the share for later tree connects (comment, connection limit,
//!   SHI1005 flags, share permissions); the new descriptor also governs every later
//!   create on the share's device, since [`LiveShareAcl`] reads it at each create. Trees
//!   already connected keep what they were granted. The flags are stored and reported;
//!   of them SHI1005_FLAGS_ENCRYPT_DATA makes the share require SMB 3.x encryption from
//!   the next tree connect on (kept in the shares file as `encrypt_data`), and
//!   SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM turns access-based enumeration on or off
//!   for the next tree connect (kept as `access_based_enumeration`).
//! - Delete takes the share out of the table, disconnects its trees and closes their
//!   opens (later requests on them: STATUS_NETWORK_NAME_DELETED), and erases its record.
//!   The I/O manager has no unmount yet, so the device stays mounted, unreachable, until
//!   the server stops (its name is never reused). IPC$ is refused with
//!   ERROR_ACCESS_DENIED (Windows deletes it only by NetrShareDelStart/Commit,
//!   MS-SRVS 3.1.4.14, which lwio does not serve).
//!
//! The shares file is `STATE_DIR/shares.toml`, separate from lwiod's configuration file,
//! with the `[[share]]` schema of the configuration (`name`, `path`, `comment`,
//! `security` as SDDL, `read_only`); lwiod serves its shares at start, after the
//! configured ones. Without a state directory, added shares last until the server stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lwio_core::access::FILE_GENERIC_MAPPING;
use lwio_core::filter::ShareAclFilter;
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, Dispatched, Driver, IoManager, Irp,
    IrpRequest, NtStatus, SecurityDescriptor,
};
use lwio_pvfs::PvfsConfig;
use lwio_rpc::interfaces::srvsvc::{
    NERR_DUPLICATE_SHARE, NERR_UNKNOWN_DEV_DIR, ShareAdmin, ShareRecord, ShareUpdate,
};
use lwio_rpc::interfaces::win32::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, ERROR_SUCCESS, NERR_NET_NAME_NOT_FOUND,
};
use lwio_srv::{ServerStatus, Share};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::config::ShareConfig;

/// ERROR_NOT_ENOUGH_MEMORY: what an add answers when the shares file cannot be written.
const ERROR_NOT_ENOUGH_MEMORY: u32 = 8;

/// The share permissions of a device, changeable while it serves.
pub type LiveAcl = Arc<RwLock<Option<SecurityDescriptor>>>;

/// The share-permission filter of lwiod's shares: [`ShareAclFilter`]'s check against a
/// descriptor that NetrShareSetInfo may replace (none: every create passes).
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveShareAcl;

impl Driver for LiveShareAcl {
    type Device = LiveAcl;
    type File = ();

    fn name(&self) -> &str {
        "share-acl"
    }

    fn dispatch(&self, acl: &LiveAcl, irp: Irp<'_, Self>) -> Dispatched {
        let IrpRequest::Create(create) = irp.request() else {
            return irp.pass_down();
        };
        let allowed = match &*acl.read() {
            Some(sd) => ShareAclFilter::maximal_access(sd, &create.token),
            None => return irp.pass_down(),
        };
        let asked = create
            .desired_access
            .map_generic(&FILE_GENERIC_MAPPING)
            .without(AccessMask::MAXIMUM_ALLOWED)
            .without(AccessMask::ACCESS_SYSTEM_SECURITY);
        if allowed.is_empty() || !allowed.contains(asked) {
            return irp.complete(NtStatus::ACCESS_DENIED);
        }
        irp.limit_granted_access(allowed);
        irp.pass_down()
    }
}

/// The shares file of a state directory (or none).
#[derive(Debug, Clone)]
pub struct SharesFile {
    path: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileShares {
    #[serde(default)]
    share: Vec<ShareConfig>,
}

impl SharesFile {
    /// The shares file of `state_dir` (`None`: nothing is kept).
    pub fn new(state_dir: Option<&Path>) -> SharesFile {
        SharesFile {
            path: state_dir.map(|d| d.join("shares.toml")),
        }
    }

    /// The shares kept; none when there is no file.
    pub fn load(&self) -> Result<Vec<ShareConfig>, Error> {
        let Some(path) = &self.path else {
            return Ok(Vec::new());
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::Shares(format!("{}: {e}", path.display()))),
        };
        let file: FileShares =
            toml::from_str(&text).map_err(|e| Error::Shares(format!("{}: {e}", path.display())))?;
        Ok(file.share)
    }

    /// Writes `shares` (through a temporary file, renamed over the old one).
    fn store(&self, shares: &[ShareConfig]) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = FileShares {
            share: shares.to_vec(),
        };
        let text = toml::to_string(&file).map_err(std::io::Error::other)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("toml.new");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

/// What lwiod keeps of each share it serves.
struct Entry {
    /// The record as configured or added (its SDDL).
    config: ShareConfig,
    /// Whether it is in the shares file.
    sticky: bool,
    /// The share permissions its device's filter reads.
    acl: LiveAcl,
}

/// srvsvc's [`ShareAdmin`] over a running server's share table.
pub struct LiveShares {
    io: IoManager,
    status: ServerStatus,
    pvfs: PvfsConfig,
    file: SharesFile,
    /// Every disk share lwiod serves, by lower-case name; the lock of every change.
    entries: Mutex<Vec<Entry>>,
    next_device: AtomicU64,
}

impl std::fmt::Debug for LiveShares {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveShares")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl LiveShares {
    /// Share management over `status`, mounting new shares on `io` with `pvfs`, keeping
    /// sticky ones in `file`.
    pub fn new(
        io: IoManager,
        status: ServerStatus,
        pvfs: PvfsConfig,
        file: SharesFile,
    ) -> LiveShares {
        LiveShares {
            io,
            status,
            pvfs,
            file,
            entries: Mutex::new(Vec::new()),
            next_device: AtomicU64::new(1),
        }
    }

    /// Mounts `config` (PVFS, read-only filter, [`LiveShareAcl`]) on the device `device`
    /// and returns the share the server table takes; `sticky` says whether it is kept in
    /// the shares file.
    pub fn mount(&self, device: &str, config: &ShareConfig, sticky: bool) -> Result<Share, Error> {
        let mount_error = |status| Error::Mount {
            share: config.name.clone(),
            status,
        };
        let sd: Option<SecurityDescriptor> = match &config.security {
            Some(sddl) => Some(
                sddl.parse()
                    .map_err(|_| mount_error(NtStatus::INVALID_SECURITY_DESCR))?,
            ),
            None => None,
        };
        lwio_pvfs::mount(&self.io, device, &config.path, self.pvfs.clone()).map_err(mount_error)?;
        if config.read_only {
            self.io
                .attach_filter(device, Arc::new(lwio_core::filter::ReadOnlyFilter), ())
                .map_err(mount_error)?;
        }
        let acl: LiveAcl = Arc::new(RwLock::new(sd.clone()));
        self.io
            .attach_filter(device, Arc::new(LiveShareAcl), Arc::clone(&acl))
            .map_err(mount_error)?;
        let mut share = Share::disk(&config.name, device)
            .with_path(config.path.display().to_string())
            .with_comment(config.comment.clone());
        if let Some(sd) = sd {
            share = share.with_security(sd);
        }
        if config.encrypt_data {
            share = share.with_encrypt_data();
        }
        if config.access_based_enumeration {
            share = share.with_access_based_enumeration();
        }
        self.entries.lock().push(Entry {
            config: config.clone(),
            sticky,
            acl,
        });
        Ok(share)
    }

    /// Mounts a share the configuration names (at a reload) on a fresh device and serves
    /// it; not kept in the shares file.
    pub fn add_configured(&self, config: &ShareConfig) -> Result<(), Error> {
        let device = self.fresh_device(&config.name);
        let share = self.mount(&device, config, false)?;
        self.status
            .add_share(share)
            .map(|_| ())
            .map_err(|status| Error::Mount {
                share: config.name.clone(),
                status,
            })
    }

    /// A device name no share has had: `+NAME.N`.
    fn fresh_device(&self, name: &str) -> String {
        let n = self.next_device.fetch_add(1, Ordering::Relaxed);
        format!("+{name}.{n}")
    }

    fn sticky_configs(entries: &[Entry]) -> Vec<ShareConfig> {
        entries
            .iter()
            .filter(|e| e.sticky)
            .map(|e| e.config.clone())
            .collect()
    }

    fn position(entries: &[Entry], name: &str) -> Option<usize> {
        entries
            .iter()
            .position(|e| e.config.name.eq_ignore_ascii_case(name))
    }

    /// Whether `caller` may list the root of `device`.
    fn can_list(&self, device: &str, caller: &AccessToken) -> Result<(), NtStatus> {
        let request = CreateRequest::new(
            Arc::new(caller.clone()),
            AccessMask::FILE_LIST_DIRECTORY,
            CreateDisposition::OPEN,
        );
        let handle = lwio_core::block_on(self.io.create_file(&format!("/{device}"), request))?;
        drop(handle);
        Ok(())
    }
}

fn descriptor_sddl(bytes: &[u8]) -> Option<String> {
    SecurityDescriptor::decode(bytes).ok()?.to_sddl().ok()
}

impl ShareAdmin for LiveShares {
    fn add(&self, share: ShareRecord, caller: &AccessToken) -> u32 {
        let mut entries = self.entries.lock();
        if self.status.share(&share.name).is_some() {
            return NERR_DUPLICATE_SHARE;
        }
        let path = PathBuf::from(&share.path);
        if !path.is_dir() {
            return NERR_UNKNOWN_DEV_DIR;
        }
        let security = match &share.security_descriptor {
            Some(bytes) => match descriptor_sddl(bytes) {
                Some(sddl) => Some(sddl),
                None => return ERROR_INVALID_PARAMETER,
            },
            None => None,
        };
        let config = ShareConfig {
            name: share.name.clone(),
            path,
            read_only: false,
            security,
            comment: share.comment.clone(),
            encrypt_data: share.flags & lwio_srv::state::SHI1005_FLAGS_ENCRYPT_DATA != 0,
            access_based_enumeration: share.flags
                & lwio_srv::state::SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM
                != 0,
        };
        let sticky = share.share_type.is_sticky();
        let device = self.fresh_device(&share.name);
        drop(entries);
        let mounted = match self.mount(&device, &config, sticky) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(share = %share.name, error = %e, "NetrShareAdd: mount failed");
                return NERR_UNKNOWN_DEV_DIR;
            }
        };
        entries = self.entries.lock();
        let forget = |entries: &mut Vec<Entry>| {
            if let Some(at) = entries.iter().rposition(|e| e.config.name == share.name) {
                entries.remove(at);
            }
        };
        if self.can_list(&device, caller).is_err() {
            forget(&mut entries);
            return ERROR_ACCESS_DENIED;
        }
        if sticky && let Err(e) = self.file.store(&Self::sticky_configs(&entries)) {
            tracing::warn!(share = %share.name, error = %e, "NetrShareAdd: shares file");
            forget(&mut entries);
            return ERROR_NOT_ENOUGH_MEMORY;
        }
        let mut mounted = mounted;
        mounted.max_uses = share.max_uses;
        mounted.flags = share.flags;
        if self.status.add_share(mounted).is_err() {
            forget(&mut entries);
            let _ = self.file.store(&Self::sticky_configs(&entries));
            return NERR_DUPLICATE_SHARE;
        }
        tracing::info!(share = %share.name, path = %share.path, "share added");
        ERROR_SUCCESS
    }

    fn set_info(&self, name: &str, update: &ShareUpdate, _caller: &AccessToken) -> u32 {
        let mut entries = self.entries.lock();
        let Some(current) = self.status.share(name) else {
            return NERR_NET_NAME_NOT_FOUND;
        };
        let mut share = (*current).clone();
        if let Some(remark) = &update.remark {
            share.comment = remark.clone();
        }
        if let Some(max) = update.max_uses {
            share.max_uses = max;
        }
        if let Some(flags) = update.flags {
            share.flags = flags;
        }
        let entry = Self::position(&entries, name);
        if let Some(sd) = &update.security_descriptor {
            let parsed = match sd {
                Some(bytes) => match SecurityDescriptor::decode(bytes) {
                    Ok(sd) => Some(sd),
                    Err(_) => return ERROR_INVALID_PARAMETER,
                },
                None => None,
            };
            // Shares lwiod did not mount (IPC$) carry no filter: srvsvc refuses a
            // descriptor for them before it comes here.
            if let Some(at) = entry {
                *entries[at].acl.write() = parsed.clone();
                entries[at].config.security = parsed.as_ref().and_then(|sd| sd.to_sddl().ok());
            }
            share.security = parsed.map(Arc::new);
        }
        if let Some(at) = entry {
            entries[at].config.comment = share.comment.clone();
            entries[at].config.encrypt_data = share.encrypts_data();
            entries[at].config.access_based_enumeration = share.enumerates_by_access();
            if entries[at].sticky
                && let Err(e) = self.file.store(&Self::sticky_configs(&entries))
            {
                tracing::warn!(share = name, error = %e, "NetrShareSetInfo: shares file");
            }
        }
        match self.status.replace_share(share) {
            Ok(_) => ERROR_SUCCESS,
            Err(_) => NERR_NET_NAME_NOT_FOUND,
        }
    }

    fn delete(&self, name: &str, _caller: &AccessToken) -> u32 {
        if name.eq_ignore_ascii_case("IPC$") {
            return ERROR_ACCESS_DENIED;
        }
        let mut entries = self.entries.lock();
        if self.status.remove_share(name).is_err() {
            return NERR_NET_NAME_NOT_FOUND;
        }
        if let Some(at) = Self::position(&entries, name) {
            let entry = entries.remove(at);
            if entry.sticky
                && let Err(e) = self.file.store(&Self::sticky_configs(&entries))
            {
                tracing::warn!(share = name, error = %e, "NetrShareDel: shares file");
            }
        }
        tracing::info!(share = name, "share deleted");
        ERROR_SUCCESS
    }
}
