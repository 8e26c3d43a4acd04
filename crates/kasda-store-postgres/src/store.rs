//! The [`Store`] trait over [`PgStore`]: each method blocks on the store's runtime.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::ledger::{AccountKey, AccountKind, StoredEntry, VerifyReport};
use kasda_store::{
    AccountBalance, AppendOutcome, DayMovement, DocKind, DuplicateRecord, FindingInput,
    FindingRecord, ImportBatch, ImportOutcome, LedgerInfo, MigrationInfo, NewEntry, NewProposal,
    Proposal, RunInfo, RunRecord, Store, StoreError, StoredDocument, StoredFile, StoredLine,
    StoredStatement,
};
use rust_decimal::Decimal;

use crate::write::ImportStage;
use crate::{group, migrate, read, verify, write, PgStore};

impl PgStore {
    /// Whether this session COPYs straight into the tables (asked once, after migrate).
    fn direct_copy(&mut self) -> Result<bool, StoreError> {
        if let Some(d) = self.direct_copy {
            return Ok(d);
        }
        let d = self.rt.block_on(write::bypasses_rls(&self.client))?;
        self.direct_copy = Some(d);
        Ok(d)
    }

    fn known(&mut self, ledger: &str) -> Result<(), StoreError> {
        self.rt
            .block_on(write::require_ledger(&self.client, ledger))
    }

    /// [`Store::import_file`] with a hook called at each [`ImportStage`] inside the
    /// transaction (crash tests kill the process there).
    pub fn import_file_with_hook(
        &mut self,
        ledger: &str,
        batch: ImportBatch,
        hook: &mut dyn FnMut(ImportStage),
    ) -> Result<ImportOutcome, StoreError> {
        let direct = self.direct_copy()?;
        self.rt.block_on(write::import_file(
            &mut self.client,
            ledger,
            batch,
            direct,
            hook,
        ))
    }

    /// Accounts whose balance aggregate differs from Σ postings (empty when consistent):
    /// `(account key, aggregate, postings)`.
    pub fn check_aggregates(
        &mut self,
        ledger: &str,
    ) -> Result<Vec<(String, Decimal, Decimal)>, StoreError> {
        self.known(ledger)?;
        let sums = self.rt.block_on(read::posting_sums(&self.client, ledger))?;
        let agg = self.balances(ledger, None, None, None)?;
        let mut out = Vec::new();
        for b in &agg {
            let key = b.account.to_string();
            let from_postings = sums.get(&key).copied().unwrap_or(Decimal::ZERO);
            if from_postings != b.balance {
                out.push((key, b.balance, from_postings));
            }
        }
        for (key, v) in &sums {
            if !agg.iter().any(|b| &b.account.to_string() == key) {
                out.push((key.clone(), Decimal::ZERO, *v));
            }
        }
        Ok(out)
    }
}

impl Store for PgStore {
    fn migrate(&mut self) -> Result<Vec<MigrationInfo>, StoreError> {
        self.rt.block_on(migrate::migrate(&mut self.client))
    }

    fn migration_status(&mut self) -> Result<Vec<MigrationInfo>, StoreError> {
        self.rt.block_on(migrate::status(&mut self.client))
    }

    fn ensure_ledger(&mut self, ledger: &LedgerInfo) -> Result<(), StoreError> {
        self.rt
            .block_on(write::ensure_ledger(&mut self.client, ledger))
    }

    fn ledgers(&mut self) -> Result<Vec<LedgerInfo>, StoreError> {
        self.rt.block_on(read::ledgers(&self.client))
    }

    fn import_file(
        &mut self,
        ledger: &str,
        batch: ImportBatch,
    ) -> Result<ImportOutcome, StoreError> {
        self.import_file_with_hook(ledger, batch, &mut |_| {})
    }

    fn append_entries(
        &mut self,
        ledger: &str,
        run: RunInfo,
        entries: Vec<NewEntry>,
    ) -> Result<AppendOutcome, StoreError> {
        let direct = self.direct_copy()?;
        // A store with clones shares a group commit with them ([`group`]).
        let (run, entries) = if std::sync::Arc::strong_count(&self.group) > 1
            && group::eligible(ledger, &run, &entries)
        {
            let shared = self.group.clone();
            match group::append(&shared, &mut self.client, &self.rt, ledger, run, entries) {
                group::Grouped::Done(result) => return result,
                group::Grouped::Alone(run, entries) => (run, entries),
            }
        } else {
            (run, entries)
        };
        self.rt.block_on(write::append_entries(
            &mut self.client,
            direct,
            ledger,
            run,
            entries,
        ))
    }

    fn balance(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Decimal, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::balance(
            &self.client,
            ledger,
            account,
            as_of,
            known_at,
        ))
    }

    fn balances(
        &mut self,
        ledger: &str,
        kind: Option<AccountKind>,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountBalance>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::balances(&self.client, ledger, kind, as_of, known_at))
    }

    fn day_movements(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayMovement>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::day_movements(&self.client, ledger, account, from, to))
    }

    fn account_flows(
        &mut self,
        ledger: &str,
        kinds: &[AccountKind],
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::account_flows(
            &self.client,
            ledger,
            kinds,
            from,
            to,
            known_at,
        ))
    }

    fn account_flows_of(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::account_flows_of(
            &self.client,
            ledger,
            account,
            from,
            to,
            known_at,
        ))
    }

    fn open_items(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        kind: kasda_core::ledger::EntryKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<kasda_store::OpenItem>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::open_items(
            &self.client,
            ledger,
            account,
            kind,
            as_of,
            known_at,
        ))
    }

    fn entries(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::entries(&self.client, ledger, after_seq, limit))
    }

    /// Streams the chain with binary COPY and hashes on a second thread ([`verify`]).
    fn verify(&mut self, ledger: &str) -> Result<VerifyReport, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(verify::verify(
            &mut self.client,
            Some(&self.conninfo),
            ledger,
        ))
    }

    fn entries_by_seq(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::entries_by_seq(&self.client, ledger, seqs))
    }

    fn entries_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::entries_by_keys(&self.client, ledger, keys))
    }

    fn account_entries(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::account_entries(
            &self.client,
            ledger,
            account,
            from,
            to,
        ))
    }

    fn entry_joins(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::entry_joins(&self.client, ledger, seqs))
    }

    fn entries_joining(&mut self, ledger: &str, keys: &[String]) -> Result<Vec<i64>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::entries_joining(&self.client, ledger, keys))
    }

    fn book_lines(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
        kode_kinds: &[kasda_core::ledger::AccountKind],
    ) -> Result<Vec<kasda_store::BookLine>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::book_lines(
            &self.client,
            ledger,
            account,
            from,
            to,
            known_at,
            kode_kinds,
        ))
    }

    fn joining_entries(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<kasda_store::JoiningEntry>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::joining_entries(&self.client, ledger, keys))
    }

    fn open_documents(
        &mut self,
        ledger: &str,
        kind: DocKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::open_documents(
            &self.client,
            ledger,
            kind,
            as_of,
            known_at,
        ))
    }

    fn entries_reversing(&mut self, ledger: &str, seqs: &[i64]) -> Result<Vec<i64>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::entries_reversing(&self.client, ledger, seqs))
    }

    fn match_entry_keys(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(crate::recon_read::match_entry_keys(
            &self.client,
            ledger,
            after_seq,
            limit,
        ))
    }

    fn search_keys(
        &mut self,
        ledger: &str,
        text: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::search_keys(&self.client, ledger, text, limit))
    }

    fn statements(
        &mut self,
        ledger: &str,
        account: Option<&str>,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::statements(&self.client, ledger, account))
    }

    fn statement_lines(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredLine>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::statement_lines(
            &self.client,
            ledger,
            account,
            from,
            to,
        ))
    }

    fn lines_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredLine>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::lines_by_keys(&self.client, ledger, keys))
    }

    fn documents(
        &mut self,
        ledger: &str,
        kind: Option<DocKind>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::documents(&self.client, ledger, kind, from, to))
    }

    fn each_statement_line(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        each: &mut dyn FnMut(StoredLine) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.known(ledger)?;
        self.rt.block_on(crate::recon_read::each_statement_line(
            &self.client,
            ledger,
            account,
            from,
            to,
            each,
        ))
    }

    fn each_document(
        &mut self,
        ledger: &str,
        kind: DocKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        each: &mut dyn FnMut(StoredDocument) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.known(ledger)?;
        self.rt.block_on(crate::recon_read::each_document(
            &self.client,
            ledger,
            kind,
            from,
            to,
            each,
        ))
    }

    fn documents_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredDocument>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::documents_by_keys(&self.client, ledger, keys))
    }

    fn existing_document_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::existing_document_keys(&self.client, ledger, keys))
    }

    fn duplicates(
        &mut self,
        ledger: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<DuplicateRecord>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::duplicates(&self.client, ledger, keys))
    }

    fn files(&mut self, ledger: &str) -> Result<Vec<StoredFile>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::files(&self.client, ledger, None))
    }

    fn file(&mut self, ledger: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError> {
        self.known(ledger)?;
        Ok(self
            .rt
            .block_on(read::files(&self.client, ledger, Some(sha256)))?
            .into_iter()
            .next())
    }

    fn runs(&mut self, ledger: &str) -> Result<Vec<RunRecord>, StoreError> {
        self.known(ledger)?;
        self.rt.block_on(read::runs(&self.client, ledger, None))
    }

    fn run(&mut self, ledger: &str, run_id: i64) -> Result<Option<RunRecord>, StoreError> {
        self.known(ledger)?;
        Ok(self
            .rt
            .block_on(read::runs(&self.client, ledger, Some(run_id)))?
            .into_iter()
            .next())
    }

    fn record_findings(
        &mut self,
        ledger: &str,
        run_id: i64,
        findings: &[FindingInput],
    ) -> Result<(), StoreError> {
        self.rt.block_on(write::record_findings(
            &mut self.client,
            ledger,
            run_id,
            findings,
        ))
    }

    fn findings(
        &mut self,
        ledger: &str,
        open_only: bool,
    ) -> Result<Vec<FindingRecord>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::findings(&self.client, ledger, open_only))
    }

    fn propose(&mut self, ledger: &str, proposal: NewProposal) -> Result<i64, StoreError> {
        self.rt
            .block_on(write::propose(&mut self.client, ledger, proposal))
    }

    fn approve(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        approver: &str,
    ) -> Result<AppendOutcome, StoreError> {
        let direct = self.direct_copy()?;
        self.rt.block_on(write::approve(
            &mut self.client,
            direct,
            ledger,
            proposal_id,
            approver,
        ))
    }

    fn reject(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        user: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.rt.block_on(write::reject(
            &mut self.client,
            ledger,
            proposal_id,
            user,
            reason,
        ))
    }

    fn proposals(&mut self, ledger: &str, open_only: bool) -> Result<Vec<Proposal>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(read::proposals(&self.client, ledger, open_only))
    }

    fn close_period(
        &mut self,
        ledger: &str,
        through: NaiveDate,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.rt.block_on(write::close_period(
            &mut self.client,
            ledger,
            through,
            actor,
        ))
    }

    fn closed_through(&mut self, ledger: &str) -> Result<Option<NaiveDate>, StoreError> {
        self.known(ledger)?;
        self.rt
            .block_on(write::closed_through(&self.client, ledger))
    }

    /// `kasda_refresh_statistics()` (migration 0006): ANALYZE of the ledger tables, run as their
    /// owner so that the importer may call it.
    fn refresh_statistics(&mut self) -> Result<(), StoreError> {
        self.rt
            .block_on(
                self.client
                    .execute("SELECT kasda_refresh_statistics()", &[]),
            )
            .map(|_| ())
            .map_err(|e| crate::map_err("refresh statistics", e))
    }
}
