//! The LSA's tables in the SQLite SAM (schema version 2): account objects and policy
//! settings, beside the `rights` table the SAM has held since version 1.
//!
//! An *account object* (MS-LSAD 3.1.1.3) is the LSA's record of a SID that was given
//! rights or privileges, or made with LsarCreateAccount; `lsa_accounts` holds one row per
//! object (its SID and, once set, its security descriptor) and `rights` the names it
//! holds. Giving a SID rights makes its object; deleting the object drops its rights.
//! `lsa_policy` keeps the policy object's settings as named values (its security
//! descriptor, the audit options), each the encoding the LSA chose.

use lwio_core::Sid;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::sqlite::db;
use super::{StoreError, StoreResult};

/// The migration from schema version 1 to 2: the two tables, and an account object for
/// every SID that already holds rights.
pub(super) const MIGRATION: &str = r"
CREATE TABLE lsa_accounts (sid TEXT PRIMARY KEY, sd BLOB);
INSERT OR IGNORE INTO lsa_accounts (sid) SELECT DISTINCT sid FROM rights ORDER BY rowid;
CREATE TABLE lsa_policy (name TEXT PRIMARY KEY, value BLOB NOT NULL);
";

fn parse_sid(s: &str) -> StoreResult<Sid> {
    s.parse()
        .map_err(|_| StoreError::Database(format!("bad account SID {s}")))
}

/// Every account object, oldest first.
pub(super) fn accounts(conn: &Connection) -> StoreResult<Vec<Sid>> {
    let mut stmt = conn
        .prepare_cached("SELECT sid FROM lsa_accounts ORDER BY rowid")
        .map_err(db)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
    let mut out = Vec::new();
    for s in rows {
        out.push(parse_sid(&s.map_err(db)?)?);
    }
    Ok(out)
}

/// Whether `sid` has an account object.
pub(super) fn account_exists(conn: &Connection, sid: &Sid) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM lsa_accounts WHERE sid = ?1")
        .map_err(db)?
        .query_row([sid.to_string()], |_| Ok(()))
        .optional()
        .map_err(db)?
        .is_some())
}

/// Makes the account object of `sid`; [`StoreError::NameInUse`] when it exists.
pub(super) fn create_account(tx: &Transaction<'_>, sid: &Sid) -> StoreResult<()> {
    let n = tx
        .execute(
            "INSERT OR IGNORE INTO lsa_accounts (sid) VALUES (?1)",
            [sid.to_string()],
        )
        .map_err(db)?;
    if n == 0 {
        Err(StoreError::NameInUse(sid.to_string()))
    } else {
        Ok(())
    }
}

/// Deletes the account object of `sid` with its rights; [`StoreError::NotFound`] when
/// there is none.
pub(super) fn delete_account(tx: &Transaction<'_>, sid: &Sid) -> StoreResult<()> {
    let n = tx
        .execute("DELETE FROM lsa_accounts WHERE sid = ?1", [sid.to_string()])
        .map_err(db)?;
    tx.execute("DELETE FROM rights WHERE sid = ?1", [sid.to_string()])
        .map_err(db)?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Drops whatever the LSA holds for `sid` (its account is being deleted from the SAM).
pub(super) fn forget(tx: &Transaction<'_>, sid: &Sid) -> StoreResult<()> {
    match delete_account(tx, sid) {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Replaces the rights of `sid`, making its account object when it has none.
pub(super) fn set_rights(tx: &Transaction<'_>, sid: &Sid, rights: &[String]) -> StoreResult<()> {
    let key = sid.to_string();
    tx.execute(
        "INSERT OR IGNORE INTO lsa_accounts (sid) VALUES (?1)",
        [&key],
    )
    .map_err(db)?;
    tx.execute("DELETE FROM rights WHERE sid = ?1", [&key])
        .map_err(db)?;
    for r in rights {
        tx.execute(
            "INSERT OR IGNORE INTO rights VALUES (?1, ?2)",
            params![key, r],
        )
        .map_err(db)?;
    }
    Ok(())
}

/// The stored security descriptor of the account object of `sid`.
pub(super) fn account_sd(conn: &Connection, sid: &Sid) -> StoreResult<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT sd FROM lsa_accounts WHERE sid = ?1")
        .map_err(db)?
        .query_row([sid.to_string()], |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()
        .map_err(db)?
        .flatten())
}

/// Stores the security descriptor of the account object of `sid`.
pub(super) fn set_account_sd(tx: &Transaction<'_>, sid: &Sid, sd: &[u8]) -> StoreResult<()> {
    let n = tx
        .execute(
            "UPDATE lsa_accounts SET sd = ?2 WHERE sid = ?1",
            params![sid.to_string(), sd],
        )
        .map_err(db)?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The policy setting `name`.
pub(super) fn policy_value(conn: &Connection, name: &str) -> StoreResult<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM lsa_policy WHERE name = ?1")
        .map_err(db)?
        .query_row([name], |r| r.get(0))
        .optional()
        .map_err(db)
}

/// Replaces the policy setting `name`.
pub(super) fn set_policy_value(tx: &Transaction<'_>, name: &str, value: &[u8]) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO lsa_policy VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = ?2",
        params![name, value],
    )
    .map_err(db)?;
    Ok(())
}
