//! [`SqliteStore`]: the SAM in one SQLite file (WAL journal, `synchronous=FULL`, so a
//! committed change survives a crash of the process or the machine; only the logon
//! statistics of [`SamStore::record_logon`] are left for the next sync).
//!
//! The schema is versioned with SQLite's `user_version`: [`MIGRATIONS`] holds one script
//! per version, applied in order inside one transaction each when an older file is
//! opened. A new file is created mode 0600 (its `-wal` and `-shm` companions take the
//! same mode from it), and the first migration's transaction also writes the domain
//! record with its freshly generated SID and the default objects (Administrator, Guest,
//! the None group, the Builtin aliases), so a SAM is never seen half made.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use lwio_core::Sid;
use parking_lot::ReentrantMutex;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::{SamStore, StoreError, StoreResult};
use crate::model::{
    self, Acb, BUILTIN_ALIASES, Domain, DomainKind, Group, GroupKind, LockoutPolicy,
    PasswordPolicy, User, rid,
};

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = 2;

/// One script per schema version; script `i` moves version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE domain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL, sid TEXT NOT NULL,
    min_length INTEGER NOT NULL, history_length INTEGER NOT NULL,
    properties INTEGER NOT NULL, max_age INTEGER NOT NULL, min_age INTEGER NOT NULL,
    lockout_duration INTEGER NOT NULL, lockout_window INTEGER NOT NULL,
    lockout_threshold INTEGER NOT NULL,
    oem_information TEXT NOT NULL, force_logoff INTEGER NOT NULL,
    modified_count INTEGER NOT NULL, creation_time INTEGER NOT NULL,
    unix_low INTEGER NOT NULL, unix_high INTEGER NOT NULL,
    next_rid INTEGER NOT NULL, next_unix INTEGER NOT NULL,
    server_sd BLOB, domain_sd BLOB, builtin_sd BLOB
);
CREATE TABLE users (
    rid INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL, description TEXT NOT NULL, comment TEXT NOT NULL,
    home_directory TEXT NOT NULL, home_drive TEXT NOT NULL, script_path TEXT NOT NULL,
    profile_path TEXT NOT NULL, workstations TEXT NOT NULL, parameters TEXT NOT NULL,
    nt_hash BLOB, history BLOB NOT NULL, acb INTEGER NOT NULL,
    password_last_set INTEGER NOT NULL, account_expires INTEGER NOT NULL,
    last_logon INTEGER NOT NULL, last_logoff INTEGER NOT NULL,
    bad_password_count INTEGER NOT NULL, bad_password_time INTEGER NOT NULL,
    lockout_time INTEGER NOT NULL, logon_count INTEGER NOT NULL,
    primary_group INTEGER NOT NULL, country_code INTEGER NOT NULL, code_page INTEGER NOT NULL,
    logon_hours_units INTEGER NOT NULL, logon_hours BLOB NOT NULL,
    uid INTEGER NOT NULL, sd BLOB
);
CREATE TABLE groups (
    domain INTEGER NOT NULL, rid INTEGER NOT NULL, kind INTEGER NOT NULL,
    name TEXT NOT NULL, name_key TEXT NOT NULL, description TEXT NOT NULL,
    attributes INTEGER NOT NULL, gid INTEGER NOT NULL, sd BLOB,
    PRIMARY KEY (domain, rid), UNIQUE (domain, name_key)
);
CREATE TABLE group_members (
    grp INTEGER NOT NULL, user INTEGER NOT NULL, attributes INTEGER NOT NULL,
    PRIMARY KEY (grp, user)
);
CREATE INDEX group_members_user ON group_members (user);
CREATE TABLE alias_members (
    domain INTEGER NOT NULL, alias INTEGER NOT NULL, member TEXT NOT NULL,
    PRIMARY KEY (domain, alias, member)
);
CREATE INDEX alias_members_member ON alias_members (member);
CREATE TABLE rights (sid TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (sid, name));
",
    super::lsa_tables::MIGRATION,
];

/// The default range of Unix ids for SAM accounts and groups.
pub const DEFAULT_UNIX_RANGE: (u32, u32) = (200_000, 299_999);

/// SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED.
const GROUP_ATTRIBUTES: u32 = 7;

/// The SAM in an SQLite database.
pub struct SqliteStore {
    /// Reentrant so that the calls [`SamStore::read_snapshot`] makes on its thread run
    /// inside its transaction; every statement goes through `&Connection`.
    conn: ReentrantMutex<Connection>,
    /// A file (synced: `synchronous=FULL`) rather than memory.
    file: bool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

pub(super) fn db(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::NameInUse(String::new())
        }
        other => StoreError::Database(other.to_string()),
    }
}

fn key(name: &str) -> String {
    name.to_lowercase()
}

fn random_domain_sid() -> Sid {
    let mut b = [0u8; 12];
    let _ = getrandom::fill(&mut b);
    let sub = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    Sid::new(5, &[21, sub(0), sub(4), sub(8)]).unwrap_or(lwio_core::security::well_known::NULL)
}

impl SqliteStore {
    /// Opens the SAM at `path`, creating it (mode 0600) for a machine named
    /// `domain_name` when the file does not exist, and upgrading an older schema.
    pub fn open(path: &Path, domain_name: &str) -> StoreResult<SqliteStore> {
        if !path.exists() {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
        }
        let conn = Connection::open(path).map_err(db)?;
        SqliteStore::setup(conn, domain_name, true)
    }

    /// A SAM held in memory (tests, and servers run without a state directory).
    pub fn in_memory(domain_name: &str) -> StoreResult<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(db)?;
        SqliteStore::setup(conn, domain_name, false)
    }

    fn setup(mut conn: Connection, domain_name: &str, file: bool) -> StoreResult<SqliteStore> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        if file {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(db)?;
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(db)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Database(format!(
                "schema version {version} is newer than this program's {SCHEMA_VERSION}"
            )));
        }
        for v in version..SCHEMA_VERSION {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(MIGRATIONS[v as usize]).map_err(db)?;
            if v == 0 {
                seed(&tx, domain_name)?;
            }
            tx.pragma_update(None, "user_version", v + 1).map_err(db)?;
            tx.commit().map_err(db)?;
        }
        Ok(SqliteStore {
            conn: ReentrantMutex::new(conn),
            file,
        })
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.conn.lock();
        let tx = conn.unchecked_transaction().map_err(db)?;
        let v = f(&tx)?;
        tx.commit().map_err(db)?;
        Ok(v)
    }
}

/// The new domain and its default objects, inside the creating transaction.
fn seed(tx: &Transaction<'_>, domain_name: &str) -> StoreResult<()> {
    let domain = Domain {
        name: domain_name.to_uppercase(),
        sid: random_domain_sid(),
        password: PasswordPolicy::default(),
        lockout: LockoutPolicy::default(),
        oem_information: String::new(),
        force_logoff: model::NEVER,
        modified_count: 1,
        creation_time: model::now(),
        unix_id_low: DEFAULT_UNIX_RANGE.0,
        unix_id_high: DEFAULT_UNIX_RANGE.1,
        server_sd: None,
        domain_sd: None,
        builtin_sd: None,
    };
    tx.execute(
        "INSERT INTO domain VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
         ?14, ?15, ?16, ?17, ?18, NULL, NULL, NULL)",
        params![
            domain.name,
            domain.sid.to_string(),
            domain.password.min_length,
            domain.password.history_length,
            domain.password.properties,
            domain.password.max_age,
            domain.password.min_age,
            domain.lockout.duration,
            domain.lockout.window,
            domain.lockout.threshold,
            domain.oem_information,
            domain.force_logoff,
            domain.modified_count as i64,
            domain.creation_time,
            domain.unix_id_low,
            domain.unix_id_high,
            rid::FIRST_NEW,
            domain.unix_id_low,
        ],
    )
    .map_err(db)?;
    let none = Group {
        domain: DomainKind::Account,
        kind: GroupKind::Group,
        rid: rid::NONE_GROUP,
        name: "None".into(),
        description: "Ordinary users".into(),
        attributes: GROUP_ATTRIBUTES,
        gid: 0,
        sd: None,
    };
    insert_group(tx, none)?;
    for (rid, name, description) in BUILTIN_ALIASES {
        insert_group(
            tx,
            Group {
                domain: DomainKind::Builtin,
                kind: GroupKind::Alias,
                rid: *rid,
                name: (*name).into(),
                description: (*description).into(),
                attributes: 0,
                gid: 0,
                sd: None,
            },
        )?;
    }
    let base = User {
        acb: (Acb::NORMAL.0 | Acb::DISABLED.0 | Acb::PWNOEXP.0),
        account_expires: model::NEVER,
        primary_group: rid::NONE_GROUP,
        ..User::default()
    };
    let admin = insert_user(
        tx,
        User {
            rid: rid::ADMINISTRATOR,
            name: "Administrator".into(),
            description: "Built-in account for administering the computer/domain".into(),
            ..base.clone()
        },
    )?;
    let guest = insert_user(
        tx,
        User {
            rid: rid::GUEST,
            name: "Guest".into(),
            description: "Built-in account for guest access to the computer/domain".into(),
            acb: base.acb | Acb::PWNOTREQ.0,
            ..base
        },
    )?;
    for user in [admin.rid, guest.rid] {
        tx.execute(
            "INSERT INTO group_members VALUES (?1, ?2, ?3)",
            params![rid::NONE_GROUP, user, GROUP_ATTRIBUTES],
        )
        .map_err(db)?;
    }
    let sid: String = tx
        .query_row("SELECT sid FROM domain", [], |r| r.get(0))
        .map_err(db)?;
    // Windows' defaults: Administrator in Administrators, Guest in Guests, and every
    // authenticated or interactive logon in Users.
    let members = [
        (rid::ADMINISTRATORS, format!("{sid}-{}", admin.rid)),
        (rid::GUESTS, format!("{sid}-{}", guest.rid)),
        (rid::USERS, "S-1-5-11".to_owned()),
        (rid::USERS, "S-1-5-4".to_owned()),
    ];
    for (alias, member) in members {
        tx.execute(
            "INSERT INTO alias_members VALUES (1, ?1, ?2)",
            params![alias, member],
        )
        .map_err(db)?;
    }
    for (sid, rights) in DEFAULT_RIGHTS {
        for right in *rights {
            tx.execute("INSERT INTO rights VALUES (?1, ?2)", params![sid, right])
                .map_err(db)?;
        }
    }
    Ok(())
}

/// The privileges and rights a new SAM grants, as a standalone Windows server's local
/// security policy does (MS-LSAD 3.1.1.2.1 holds the names).
const DEFAULT_RIGHTS: &[(&str, &[&str])] = &[
    (
        "S-1-5-32-544",
        &[
            "SeBackupPrivilege",
            "SeRestorePrivilege",
            "SeTakeOwnershipPrivilege",
            "SeSecurityPrivilege",
            "SeChangeNotifyPrivilege",
            "SeManageVolumePrivilege",
            "SeNetworkLogonRight",
        ],
    ),
    (
        "S-1-5-32-551",
        &[
            "SeBackupPrivilege",
            "SeRestorePrivilege",
            "SeChangeNotifyPrivilege",
            "SeNetworkLogonRight",
        ],
    ),
    (
        "S-1-5-32-545",
        &["SeChangeNotifyPrivilege", "SeNetworkLogonRight"],
    ),
    (
        "S-1-1-0",
        &["SeChangeNotifyPrivilege", "SeNetworkLogonRight"],
    ),
];

/// Takes the next free RID (when `want_rid`) and the next free Unix id (when
/// `want_unix`).
fn allocate(tx: &Transaction<'_>, want_rid: bool, want_unix: bool) -> StoreResult<(u32, u32)> {
    let (mut next_rid, mut next_unix, high): (u32, u32, u32) = tx
        .query_row(
            "SELECT next_rid, next_unix, unix_high FROM domain",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(db)?;
    let rid_used = |rid: u32| -> StoreResult<bool> {
        let n: i64 = tx
            .query_row(
                "SELECT (SELECT count(*) FROM users WHERE rid = ?1) + \
                 (SELECT count(*) FROM groups WHERE domain = 0 AND rid = ?1)",
                [rid],
                |r| r.get(0),
            )
            .map_err(db)?;
        Ok(n > 0)
    };
    let rid = if want_rid {
        while rid_used(next_rid)? {
            next_rid = next_rid.checked_add(1).ok_or(StoreError::Exhausted)?;
        }
        let rid = next_rid;
        next_rid = next_rid.checked_add(1).ok_or(StoreError::Exhausted)?;
        rid
    } else {
        0
    };
    let unix = if want_unix {
        let unix_used = |id: u32| -> StoreResult<bool> {
            let n: i64 = tx
                .query_row(
                    "SELECT (SELECT count(*) FROM users WHERE uid = ?1) + \
                     (SELECT count(*) FROM groups WHERE gid = ?1)",
                    [id],
                    |r| r.get(0),
                )
                .map_err(db)?;
            Ok(n > 0)
        };
        while unix_used(next_unix)? {
            next_unix += 1;
            if next_unix > high {
                return Err(StoreError::Exhausted);
            }
        }
        if next_unix > high {
            return Err(StoreError::Exhausted);
        }
        let id = next_unix;
        next_unix += 1;
        id
    } else {
        0
    };
    tx.execute(
        "UPDATE domain SET next_rid = ?1, next_unix = ?2",
        params![next_rid, next_unix],
    )
    .map_err(db)?;
    Ok((rid, unix))
}

/// Whether `name` is taken in the account domain's single name space (users, groups,
/// aliases), ignoring user `except_user` and group `except_group`.
fn account_name_taken(
    tx: &Transaction<'_>,
    domain: DomainKind,
    name: &str,
    except_user: Option<u32>,
    except_group: Option<u32>,
) -> StoreResult<bool> {
    let k = key(name);
    let groups: i64 = tx
        .query_row(
            "SELECT count(*) FROM groups WHERE domain = ?1 AND name_key = ?2 AND rid != ?3",
            params![domain.code(), k, except_group.map_or(-1, i64::from)],
            |r| r.get(0),
        )
        .map_err(db)?;
    let users: i64 = if domain == DomainKind::Account {
        tx.query_row(
            "SELECT count(*) FROM users WHERE name_key = ?1 AND rid != ?2",
            params![k, except_user.map_or(-1, i64::from)],
            |r| r.get(0),
        )
        .map_err(db)?
    } else {
        0
    };
    Ok(groups + users > 0)
}

fn hashes_to_blob(h: &[[u8; 16]]) -> Vec<u8> {
    h.iter().flatten().copied().collect()
}

fn blob_to_hashes(b: &[u8]) -> Vec<[u8; 16]> {
    b.chunks_exact(16)
        .filter_map(|c| <[u8; 16]>::try_from(c).ok())
        .collect()
}

const USER_COLUMNS: &str = "rid, name, full_name, description, comment, home_directory, \
    home_drive, script_path, profile_path, workstations, parameters, nt_hash, history, acb, \
    password_last_set, account_expires, last_logon, last_logoff, bad_password_count, \
    bad_password_time, lockout_time, logon_count, primary_group, country_code, code_page, \
    logon_hours_units, logon_hours, uid, sd";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let nt: Option<Vec<u8>> = r.get(11)?;
    let history: Vec<u8> = r.get(12)?;
    Ok(User {
        rid: r.get(0)?,
        name: r.get(1)?,
        full_name: r.get(2)?,
        description: r.get(3)?,
        comment: r.get(4)?,
        home_directory: r.get(5)?,
        home_drive: r.get(6)?,
        script_path: r.get(7)?,
        profile_path: r.get(8)?,
        workstations: r.get(9)?,
        parameters: r.get(10)?,
        nt_hash: nt.and_then(|v| <[u8; 16]>::try_from(v.as_slice()).ok()),
        history: blob_to_hashes(&history),
        acb: r.get(13)?,
        password_last_set: r.get(14)?,
        account_expires: r.get(15)?,
        last_logon: r.get(16)?,
        last_logoff: r.get(17)?,
        bad_password_count: r.get(18)?,
        bad_password_time: r.get(19)?,
        lockout_time: r.get(20)?,
        logon_count: r.get(21)?,
        primary_group: r.get(22)?,
        country_code: r.get(23)?,
        code_page: r.get(24)?,
        logon_hours: (r.get(25)?, r.get(26)?),
        uid: r.get(27)?,
        sd: r.get(28)?,
    })
}

fn write_user(tx: &Transaction<'_>, sql: &str, u: &User) -> StoreResult<usize> {
    tx.execute(
        sql,
        params![
            u.rid,
            u.name,
            key(&u.name),
            u.full_name,
            u.description,
            u.comment,
            u.home_directory,
            u.home_drive,
            u.script_path,
            u.profile_path,
            u.workstations,
            u.parameters,
            u.nt_hash.map(|h| h.to_vec()),
            hashes_to_blob(&u.history),
            u.acb,
            u.password_last_set,
            u.account_expires,
            u.last_logon,
            u.last_logoff,
            u.bad_password_count,
            u.bad_password_time,
            u.lockout_time,
            u.logon_count,
            u.primary_group,
            u.country_code,
            u.code_page,
            u.logon_hours.0,
            u.logon_hours.1,
            u.uid,
            u.sd,
        ],
    )
    .map_err(db)
}

const INSERT_USER: &str = "INSERT INTO users (rid, name, name_key, full_name, description, \
    comment, home_directory, home_drive, script_path, profile_path, workstations, parameters, \
    nt_hash, history, acb, password_last_set, account_expires, last_logon, last_logoff, \
    bad_password_count, bad_password_time, lockout_time, logon_count, primary_group, \
    country_code, code_page, logon_hours_units, logon_hours, uid, sd) VALUES (?1, ?2, ?3, ?4, \
    ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, \
    ?24, ?25, ?26, ?27, ?28, ?29, ?30)";

const UPDATE_USER: &str = "UPDATE users SET name = ?2, name_key = ?3, full_name = ?4, \
    description = ?5, comment = ?6, home_directory = ?7, home_drive = ?8, script_path = ?9, \
    profile_path = ?10, workstations = ?11, parameters = ?12, nt_hash = ?13, history = ?14, \
    acb = ?15, password_last_set = ?16, account_expires = ?17, last_logon = ?18, \
    last_logoff = ?19, bad_password_count = ?20, bad_password_time = ?21, lockout_time = ?22, \
    logon_count = ?23, primary_group = ?24, country_code = ?25, code_page = ?26, \
    logon_hours_units = ?27, logon_hours = ?28, uid = ?29, sd = ?30 WHERE rid = ?1";

fn insert_user(tx: &Transaction<'_>, mut u: User) -> StoreResult<User> {
    if account_name_taken(tx, DomainKind::Account, &u.name, None, None)? {
        return Err(StoreError::NameInUse(u.name));
    }
    if u.rid == 0 || u.uid == 0 {
        let (rid, uid) = allocate(tx, u.rid == 0, u.uid == 0)?;
        if u.rid == 0 {
            u.rid = rid;
        }
        if u.uid == 0 {
            u.uid = uid;
        }
    }
    write_user(tx, INSERT_USER, &u)?;
    Ok(u)
}

const GROUP_COLUMNS: &str = "domain, kind, rid, name, description, attributes, gid, sd";

fn group_from_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    let kind: i64 = r.get(1)?;
    Ok(Group {
        domain: DomainKind::from_code(r.get(0)?),
        kind: if kind == 1 {
            GroupKind::Alias
        } else {
            GroupKind::Group
        },
        rid: r.get(2)?,
        name: r.get(3)?,
        description: r.get(4)?,
        attributes: r.get(5)?,
        gid: r.get(6)?,
        sd: r.get(7)?,
    })
}

fn kind_code(k: GroupKind) -> i64 {
    match k {
        GroupKind::Group => 0,
        GroupKind::Alias => 1,
    }
}

fn insert_group(tx: &Transaction<'_>, mut g: Group) -> StoreResult<Group> {
    if account_name_taken(tx, g.domain, &g.name, None, None)? {
        return Err(StoreError::NameInUse(g.name));
    }
    let want_gid = g.gid == 0 && g.domain == DomainKind::Account;
    if g.rid == 0 || want_gid {
        let (rid, gid) = allocate(tx, g.rid == 0, want_gid)?;
        if g.rid == 0 {
            g.rid = rid;
        }
        if g.gid == 0 {
            g.gid = gid;
        }
    }
    tx.execute(
        "INSERT INTO groups (domain, rid, kind, name, name_key, description, attributes, gid, sd) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            g.domain.code(),
            g.rid,
            kind_code(g.kind),
            g.name,
            key(&g.name),
            g.description,
            g.attributes,
            g.gid,
            g.sd
        ],
    )
    .map_err(db)?;
    Ok(g)
}

fn changed(n: usize) -> StoreResult<()> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

impl SamStore for SqliteStore {
    fn domain(&self) -> StoreResult<Domain> {
        let conn = self.conn.lock();
        conn.prepare_cached(
            "SELECT name, sid, min_length, history_length, properties, max_age, min_age, \
             lockout_duration, lockout_window, lockout_threshold, oem_information, \
             force_logoff, modified_count, creation_time, unix_low, unix_high, server_sd, \
             domain_sd, builtin_sd FROM domain",
        )
        .and_then(|mut stmt| {
            stmt.query_row([], |r| {
                let sid: String = r.get(1)?;
                let modified: i64 = r.get(12)?;
                Ok((
                    sid,
                    Domain {
                        name: r.get(0)?,
                        sid: lwio_core::security::well_known::NULL,
                        password: PasswordPolicy {
                            min_length: r.get(2)?,
                            history_length: r.get(3)?,
                            properties: r.get(4)?,
                            max_age: r.get(5)?,
                            min_age: r.get(6)?,
                        },
                        lockout: LockoutPolicy {
                            duration: r.get(7)?,
                            window: r.get(8)?,
                            threshold: r.get(9)?,
                        },
                        oem_information: r.get(10)?,
                        force_logoff: r.get(11)?,
                        modified_count: modified as u64,
                        creation_time: r.get(13)?,
                        unix_id_low: r.get(14)?,
                        unix_id_high: r.get(15)?,
                        server_sd: r.get(16)?,
                        domain_sd: r.get(17)?,
                        builtin_sd: r.get(18)?,
                    },
                ))
            })
        })
        .map_err(db)
        .and_then(|(sid, mut d)| {
            d.sid = sid
                .parse()
                .map_err(|_| StoreError::Database(format!("bad domain SID {sid}")))?;
            Ok(d)
        })
    }

    fn set_domain(&self, d: &Domain) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE domain SET name = ?1, min_length = ?2, history_length = ?3, \
                 properties = ?4, max_age = ?5, min_age = ?6, lockout_duration = ?7, \
                 lockout_window = ?8, lockout_threshold = ?9, oem_information = ?10, \
                 force_logoff = ?11, modified_count = ?12, unix_low = ?13, unix_high = ?14, \
                 server_sd = ?15, domain_sd = ?16, builtin_sd = ?17",
                params![
                    d.name,
                    d.password.min_length,
                    d.password.history_length,
                    d.password.properties,
                    d.password.max_age,
                    d.password.min_age,
                    d.lockout.duration,
                    d.lockout.window,
                    d.lockout.threshold,
                    d.oem_information,
                    d.force_logoff,
                    d.modified_count as i64,
                    d.unix_id_low,
                    d.unix_id_high,
                    d.server_sd,
                    d.domain_sd,
                    d.builtin_sd,
                ],
            )
            .map_err(db)
            .and_then(changed)
        })
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY rid"))
            .map_err(db)?;
        let rows = stmt.query_map([], user_from_row).map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn user(&self, rid: u32) -> StoreResult<Option<User>> {
        let conn = self.conn.lock();
        conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE rid = ?1"))
            .map_err(db)?
            .query_row([rid], user_from_row)
            .optional()
            .map_err(db)
    }

    fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        let conn = self.conn.lock();
        conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE name_key = ?1"
        ))
        .map_err(db)?
        .query_row([key(name)], user_from_row)
        .optional()
        .map_err(db)
    }

    fn create_user(&self, user: User) -> StoreResult<User> {
        self.write(|tx| insert_user(tx, user))
    }

    fn update_user(&self, user: &User) -> StoreResult<()> {
        self.write(|tx| {
            if account_name_taken(tx, DomainKind::Account, &user.name, Some(user.rid), None)? {
                return Err(StoreError::NameInUse(user.name.clone()));
            }
            write_user(tx, UPDATE_USER, user).and_then(changed)
        })
    }

    /// One UPDATE of the logon statistics, committed with `synchronous=NORMAL`: in WAL
    /// mode the commit is in the log at once (a crash of the process loses nothing) but
    /// the log is synced only by the next synced commit or checkpoint, which keeps the
    /// order of changes: an account change committed later is never on disk without it.
    /// Without this a session setup waited for the disk (3 ms here against 23 µs).
    fn record_logon(&self, rid: u32, time: i64, logon_count: u16) -> StoreResult<()> {
        let conn = self.conn.lock();
        let synchronous = |level: &str| -> StoreResult<()> {
            if self.file {
                conn.prepare_cached(&format!("PRAGMA synchronous = {level}"))
                    .and_then(|mut stmt| stmt.execute([]))
                    .map_err(db)?;
            }
            Ok(())
        };
        synchronous("NORMAL")?;
        let n = conn
            .prepare_cached(
                "UPDATE users SET last_logon = ?2, logon_count = ?3, bad_password_count = 0, \
                 lockout_time = 0 WHERE rid = ?1",
            )
            .and_then(|mut stmt| stmt.execute(params![rid, time, logon_count]));
        synchronous("FULL")?;
        changed(n.map_err(db)?)
    }

    /// One read transaction (`BEGIN` ... `COMMIT`, which writes nothing) around `f`: the
    /// store calls `f` makes on this thread see one snapshot and take the database's read
    /// lock once instead of once each, while the connection stays this thread's.
    fn read_snapshot(&self, f: &mut dyn FnMut()) {
        let conn = self.conn.lock();
        let run = |sql: &str| {
            conn.prepare_cached(sql)
                .and_then(|mut stmt| stmt.execute([]))
                .is_ok()
        };
        let began = run("BEGIN");
        f();
        if began && !run("COMMIT") {
            run("ROLLBACK");
        }
    }

    fn delete_user(&self, rid: u32, sid: &Sid) -> StoreResult<()> {
        self.write(|tx| {
            changed(
                tx.execute("DELETE FROM users WHERE rid = ?1", [rid])
                    .map_err(db)?,
            )?;
            tx.execute("DELETE FROM group_members WHERE user = ?1", [rid])
                .map_err(db)?;
            tx.execute(
                "DELETE FROM alias_members WHERE member = ?1",
                [sid.to_string()],
            )
            .map_err(db)?;
            super::lsa_tables::forget(tx, sid)?;
            Ok(())
        })
    }

    fn groups(&self, domain: DomainKind, kind: GroupKind) -> StoreResult<Vec<Group>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups WHERE domain = ?1 AND kind = ?2 ORDER BY rid"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(params![domain.code(), kind_code(kind)], group_from_row)
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn group(&self, domain: DomainKind, rid: u32) -> StoreResult<Option<Group>> {
        let conn = self.conn.lock();
        conn.prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE domain = ?1 AND rid = ?2"
        ))
        .map_err(db)?
        .query_row(params![domain.code(), rid], group_from_row)
        .optional()
        .map_err(db)
    }

    fn group_by_name(&self, domain: DomainKind, name: &str) -> StoreResult<Option<Group>> {
        let conn = self.conn.lock();
        conn.prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE domain = ?1 AND name_key = ?2"
        ))
        .map_err(db)?
        .query_row(params![domain.code(), key(name)], group_from_row)
        .optional()
        .map_err(db)
    }

    fn create_group(&self, group: Group) -> StoreResult<Group> {
        self.write(|tx| insert_group(tx, group))
    }

    fn update_group(&self, g: &Group) -> StoreResult<()> {
        self.write(|tx| {
            if account_name_taken(tx, g.domain, &g.name, None, Some(g.rid))? {
                return Err(StoreError::NameInUse(g.name.clone()));
            }
            tx.execute(
                "UPDATE groups SET name = ?3, name_key = ?4, description = ?5, attributes = ?6, \
                 gid = ?7, sd = ?8 WHERE domain = ?1 AND rid = ?2",
                params![
                    g.domain.code(),
                    g.rid,
                    g.name,
                    key(&g.name),
                    g.description,
                    g.attributes,
                    g.gid,
                    g.sd
                ],
            )
            .map_err(db)
            .and_then(changed)
        })
    }

    fn delete_group(&self, domain: DomainKind, rid: u32, sid: &Sid) -> StoreResult<()> {
        self.write(|tx| {
            changed(
                tx.execute(
                    "DELETE FROM groups WHERE domain = ?1 AND rid = ?2",
                    params![domain.code(), rid],
                )
                .map_err(db)?,
            )?;
            if domain == DomainKind::Account {
                tx.execute("DELETE FROM group_members WHERE grp = ?1", [rid])
                    .map_err(db)?;
            }
            tx.execute(
                "DELETE FROM alias_members WHERE domain = ?1 AND alias = ?2",
                params![domain.code(), rid],
            )
            .map_err(db)?;
            tx.execute(
                "DELETE FROM alias_members WHERE member = ?1",
                [sid.to_string()],
            )
            .map_err(db)?;
            super::lsa_tables::forget(tx, sid)?;
            Ok(())
        })
    }

    fn group_members(&self, group: u32) -> StoreResult<Vec<u32>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached("SELECT user FROM group_members WHERE grp = ?1 ORDER BY user")
            .map_err(db)?;
        let rows = stmt.query_map([group], |r| r.get(0)).map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn groups_of_user(&self, user: u32) -> StoreResult<Vec<u32>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached("SELECT grp FROM group_members WHERE user = ?1 ORDER BY grp")
            .map_err(db)?;
        let rows = stmt.query_map([user], |r| r.get(0)).map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn add_group_member(&self, group: u32, user: u32, attributes: u32) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO group_members VALUES (?1, ?2, ?3)",
                    params![group, user, attributes],
                )
                .map_err(db)?;
            if n == 0 {
                Err(StoreError::AlreadyMember)
            } else {
                Ok(())
            }
        })
    }

    fn remove_group_member(&self, group: u32, user: u32) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "DELETE FROM group_members WHERE grp = ?1 AND user = ?2",
                    params![group, user],
                )
                .map_err(db)?;
            if n == 0 {
                Err(StoreError::NotMember)
            } else {
                Ok(())
            }
        })
    }

    fn alias_members(&self, domain: DomainKind, rid: u32) -> StoreResult<Vec<Sid>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT member FROM alias_members WHERE domain = ?1 AND alias = ?2 ORDER BY rowid",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![domain.code(), rid], |r| r.get::<_, String>(0))
            .map_err(db)?;
        let mut out = Vec::new();
        for s in rows {
            let s = s.map_err(db)?;
            out.push(
                s.parse()
                    .map_err(|_| StoreError::Database(format!("bad member SID {s}")))?,
            );
        }
        Ok(out)
    }

    fn add_alias_member(&self, domain: DomainKind, rid: u32, member: &Sid) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO alias_members VALUES (?1, ?2, ?3)",
                    params![domain.code(), rid, member.to_string()],
                )
                .map_err(db)?;
            if n == 0 {
                Err(StoreError::AlreadyMember)
            } else {
                Ok(())
            }
        })
    }

    fn remove_alias_member(&self, domain: DomainKind, rid: u32, member: &Sid) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "DELETE FROM alias_members WHERE domain = ?1 AND alias = ?2 AND member = ?3",
                    params![domain.code(), rid, member.to_string()],
                )
                .map_err(db)?;
            if n == 0 {
                Err(StoreError::NotMember)
            } else {
                Ok(())
            }
        })
    }

    fn aliases_of(&self, domain: DomainKind, sids: &[Sid]) -> StoreResult<Vec<u32>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached("SELECT alias FROM alias_members WHERE domain = ?1 AND member = ?2")
            .map_err(db)?;
        let mut out: Vec<u32> = Vec::new();
        for sid in sids {
            let rows = stmt
                .query_map(params![domain.code(), sid.to_string()], |r| r.get(0))
                .map_err(db)?;
            for rid in rows {
                let rid = rid.map_err(db)?;
                if !out.contains(&rid) {
                    out.push(rid);
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn remove_member_everywhere(&self, member: &Sid) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM alias_members WHERE member = ?1",
                [member.to_string()],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn rights(&self, sid: &Sid) -> StoreResult<Vec<String>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached("SELECT name FROM rights WHERE sid = ?1 ORDER BY name")
            .map_err(db)?;
        let rows = stmt
            .query_map([sid.to_string()], |r| r.get(0))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn set_rights(&self, sid: &Sid, rights: &[String]) -> StoreResult<()> {
        self.write(|tx| super::lsa_tables::set_rights(tx, sid, rights))
    }

    fn lsa_accounts(&self) -> StoreResult<Vec<Sid>> {
        super::lsa_tables::accounts(&self.conn.lock())
    }

    fn lsa_account_exists(&self, sid: &Sid) -> StoreResult<bool> {
        super::lsa_tables::account_exists(&self.conn.lock(), sid)
    }

    fn create_lsa_account(&self, sid: &Sid) -> StoreResult<()> {
        self.write(|tx| super::lsa_tables::create_account(tx, sid))
    }

    fn delete_lsa_account(&self, sid: &Sid) -> StoreResult<()> {
        self.write(|tx| super::lsa_tables::delete_account(tx, sid))
    }

    fn lsa_account_sd(&self, sid: &Sid) -> StoreResult<Option<Vec<u8>>> {
        super::lsa_tables::account_sd(&self.conn.lock(), sid)
    }

    fn set_lsa_account_sd(&self, sid: &Sid, sd: &[u8]) -> StoreResult<()> {
        self.write(|tx| super::lsa_tables::set_account_sd(tx, sid, sd))
    }

    fn policy_value(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        super::lsa_tables::policy_value(&self.conn.lock(), name)
    }

    fn set_policy_value(&self, name: &str, value: &[u8]) -> StoreResult<()> {
        self.write(|tx| super::lsa_tables::set_policy_value(tx, name, value))
    }

    fn check(&self) -> StoreResult<()> {
        let conn = self.conn.lock();
        let result: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(db)?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Database(result))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_new_sam_holds_the_default_objects() {
        let s = SqliteStore::in_memory("box").unwrap();
        let d = s.domain().unwrap();
        assert_eq!(d.name, "BOX");
        assert_eq!(d.sid.sub_authorities().len(), 4);
        let users = s.users().unwrap();
        assert_eq!(
            users
                .iter()
                .map(|u| (u.rid, u.name.as_str()))
                .collect::<Vec<_>>(),
            [(500, "Administrator"), (501, "Guest")]
        );
        assert!(users.iter().all(|u| u.acb & Acb::DISABLED.0 != 0));
        assert_eq!(s.group_members(513).unwrap(), [500, 501]);
        let admins = s.alias_members(DomainKind::Builtin, 544).unwrap();
        assert_eq!(admins, [d.sid.with_rid(500).unwrap()]);
        assert!(
            s.group_by_name(DomainKind::Builtin, "power users")
                .unwrap()
                .is_some()
        );
        s.check().unwrap();
    }

    #[test]
    fn rids_and_unix_ids_are_allocated_once_and_names_are_unique() {
        let s = SqliteStore::in_memory("box").unwrap();
        let a = s
            .create_user(User {
                name: "alice".into(),
                ..User::default()
            })
            .unwrap();
        let g = s
            .create_group(Group {
                domain: DomainKind::Account,
                kind: GroupKind::Alias,
                rid: 0,
                name: "staff".into(),
                description: String::new(),
                attributes: 0,
                gid: 0,
                sd: None,
            })
            .unwrap();
        assert_eq!((a.rid, g.rid), (1000, 1001));
        // The None group, Administrator and Guest took the first three ids.
        assert_eq!(
            (a.uid, g.gid),
            (DEFAULT_UNIX_RANGE.0 + 3, DEFAULT_UNIX_RANGE.0 + 4)
        );
        let clash = s.create_user(User {
            name: "STAFF".into(),
            ..User::default()
        });
        assert!(matches!(clash, Err(StoreError::NameInUse(_))));
        let mut renamed = a.clone();
        renamed.name = "Administrator".into();
        assert!(matches!(
            s.update_user(&renamed),
            Err(StoreError::NameInUse(_))
        ));
        assert_eq!(s.user_by_name("ALICE").unwrap().unwrap().rid, 1000);
    }

    #[test]
    fn the_file_is_private_and_reopens_with_its_sid() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sam.db");
        let sid = SqliteStore::open(&path, "box")
            .unwrap()
            .domain()
            .unwrap()
            .sid;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = SqliteStore::open(&path, "other").unwrap();
        assert_eq!(again.domain().unwrap().sid, sid);
        assert_eq!(again.domain().unwrap().name, "BOX");
    }
}
