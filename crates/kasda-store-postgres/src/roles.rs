//! Roles and per-ledger visibility.
//!
//! `migrate` creates three NOLOGIN group roles (cluster-wide, idempotent) and grants them
//! least privilege in this database:
//! * [`IMPORTER`] — SELECT, and INSERT on what an import writes (runs, files, statements,
//!   lines, documents, duplicates, entries, postings, accounts, balance deltas);
//! * [`TREASURER`] — SELECT, and INSERT on matches/corrections (runs, entries, postings,
//!   joins, deltas), findings, proposals and their decisions, period locks;
//! * [`AUDITOR`] — SELECT only.
//!
//! Nobody gets UPDATE, DELETE or TRUNCATE (and the triggers refuse those even to the owner).
//! Row-level security on every ledger table shows a role only the ledgers granted to it (or to
//! a role it is a member of) in `ledger_access`: [`PgStore::grant_ledger`]. A pemda's login
//! role is then e.g. `CREATE ROLE serang_import LOGIN IN ROLE kasda_importer` plus
//! `grant_ledger("kota-serang", "serang_import")`.

use kasda_store::{validate_ledger_code, StoreError};

use crate::{map_err, PgStore};

pub const IMPORTER: &str = "kasda_importer";
pub const TREASURER: &str = "kasda_treasurer";
pub const AUDITOR: &str = "kasda_auditor";

/// Role names this module accepts: 1-63 characters of `a-z 0-9 _`, not starting with a digit
/// (so they never need quoting).
pub fn validate_role_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput {
            field: "role name".into(),
            expected: "1-63 characters of a-z 0-9 _, not starting with a digit".into(),
            found: name.chars().take(80).collect(),
        })
    }
}

impl PgStore {
    /// Lets `grantee` (a login or group role) see and write (as far as its privileges go)
    /// ledger `ledger`. Idempotent.
    pub fn grant_ledger(&mut self, ledger: &str, grantee: &str) -> Result<(), StoreError> {
        validate_ledger_code(ledger)?;
        validate_role_name(grantee)?;
        self.rt.block_on(async {
            let exists = self
                .client
                .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&grantee])
                .await
                .map_err(|e| map_err("grant ledger", e))?;
            if exists.is_none() {
                return Err(StoreError::InvalidInput {
                    field: "grantee".into(),
                    expected: "an existing role".into(),
                    found: grantee.to_string(),
                });
            }
            self.client
                .execute(
                    "INSERT INTO ledger_access (ledger_id, grantee) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&ledger, &grantee],
                )
                .await
                .map_err(|e| map_err("grant ledger", e))?;
            Ok(())
        })
    }

    /// Withdraws `grantee`'s access to `ledger`.
    pub fn revoke_ledger(&mut self, ledger: &str, grantee: &str) -> Result<(), StoreError> {
        self.rt.block_on(async {
            self.client
                .execute(
                    "DELETE FROM ledger_access WHERE ledger_id = $1 AND grantee = $2",
                    &[&ledger, &grantee],
                )
                .await
                .map_err(|e| map_err("revoke ledger", e))?;
            Ok(())
        })
    }

    /// Creates a LOGIN role member of `group` (one of [`IMPORTER`], [`TREASURER`],
    /// [`AUDITOR`]), without a password (set one with ALTER ROLE, or use certificate or
    /// peer authentication). Needs CREATEROLE.
    pub fn create_login(&mut self, name: &str, group: &str) -> Result<(), StoreError> {
        validate_role_name(name)?;
        if ![IMPORTER, TREASURER, AUDITOR].contains(&group) {
            return Err(StoreError::InvalidInput {
                field: "group role".into(),
                expected: format!("{IMPORTER}, {TREASURER} or {AUDITOR}"),
                found: group.to_string(),
            });
        }
        self.execute_sql(&format!("CREATE ROLE {name} LOGIN IN ROLE {group}"))
    }

    /// Drops a login role made by [`PgStore::create_login`] and its ledger grants here.
    pub fn drop_login(&mut self, name: &str) -> Result<(), StoreError> {
        validate_role_name(name)?;
        self.rt.block_on(async {
            self.client
                .execute("DELETE FROM ledger_access WHERE grantee = $1", &[&name])
                .await
                .map_err(|e| map_err("drop login", e))
        })?;
        self.execute_sql(&format!("DROP ROLE IF EXISTS {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::validate_role_name;

    #[test]
    fn role_names_are_plain_identifiers() {
        for ok in ["kasda_importer", "serang_import2", "a"] {
            assert!(validate_role_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "1abc",
            "Upper",
            "has space",
            "semi;colon",
            "quote\"",
            long.as_str(),
        ] {
            assert!(validate_role_name(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
