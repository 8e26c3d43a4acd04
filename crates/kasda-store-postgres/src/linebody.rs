//! Statement lines as stored since migration 0007: each fact once.
//!
//! A line's columns (natural key, account, statement index, position index, booking date,
//! amount, currency, search text) are what queries filter and sort on; until 0006 the `facts`
//! JSON repeated every one of them and wrote every absent optional member as `null`. Since
//! 0007 `facts` holds only the rest (the *body*): members the columns hold are left out, the
//! amount too when the column gives it back exactly (the amount at its currency's scale), and
//! so are `null` members and empty objects.
//!
//! [`line_body`] writes a body and [`line_facts`] rebuilds the [`LineFacts`] from a row of
//! [`FACT_COLUMNS`]; the pair round-trips every `LineFacts` exactly (tested below).

use chrono::{NaiveDate, NaiveDateTime};
use kasda_core::money::{Currency, Direction};
use kasda_core::statement::{EntryStatus, Party, References, SourcePos};
use kasda_store::{LineFacts, StoreError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

/// The columns [`line_facts`] reads, in order, from `statement_lines`.
pub(crate) const FACT_COLUMNS: &str =
    "natural_key, account, statement_idx, pos_index, booking_date, amount, currency, search_text, facts::text";

/// The body of `f`: its JSON without what the columns hold, nulls or empty objects. Written
/// straight from borrowed fields (no intermediate JSON tree: this runs once per imported line).
pub(crate) fn line_body(f: &LineFacts) -> Result<String, StoreError> {
    // Every field named, so that a new LineFacts member fails to build here instead of being
    // left out of the body.
    let LineFacts {
        natural_key: _,
        account: _,
        statement_index: _,
        pos,
        booking_date: _,
        value_date,
        booked_at,
        amount,
        currency,
        direction,
        status,
        reversal,
        bank_ref,
        refs,
        bank_tx_code,
        counterparty,
        text: _,
        balance_after,
    } = f;
    let References {
        account_servicer,
        entry_ref,
        end_to_end_id,
        instruction_id,
        transaction_id,
        message_id,
        payment_info_id,
        mandate_id,
        cheque_number,
        uetr,
        customer_ref,
    } = refs;
    let Party {
        name,
        iban,
        account,
        agent_bic,
        agent_name,
        id,
    } = counterparty;
    let body = BodyOut {
        pos: BodyPos { line: pos.line },
        value_date: *value_date,
        booked_at: *booked_at,
        amount: (amount.scale() != currency.scale()).then_some(*amount),
        direction: *direction,
        status: *status,
        reversal: *reversal,
        bank_ref: bank_ref.as_deref(),
        refs: Texts([
            ("account_servicer", account_servicer),
            ("entry_ref", entry_ref),
            ("end_to_end_id", end_to_end_id),
            ("instruction_id", instruction_id),
            ("transaction_id", transaction_id),
            ("message_id", message_id),
            ("payment_info_id", payment_info_id),
            ("mandate_id", mandate_id),
            ("cheque_number", cheque_number),
            ("uetr", uetr),
            ("customer_ref", customer_ref),
        ]),
        bank_tx_code: bank_tx_code.as_deref(),
        counterparty: Texts([
            ("name", name),
            ("iban", iban),
            ("account", account),
            ("agent_bic", agent_bic),
            ("agent_name", agent_name),
            ("id", id),
        ]),
        balance_after: *balance_after,
    };
    serde_json::to_string(&body)
        .map_err(|e| StoreError::backend("encode statement line", e.to_string()))
}

/// What [`line_body`] writes: LineFacts' own member names, absent members left out.
#[derive(Serialize)]
struct BodyOut<'a> {
    pos: BodyPos,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    booked_at: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<Decimal>,
    direction: Direction,
    status: EntryStatus,
    reversal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Texts::is_empty")]
    refs: Texts<'a, 11>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_tx_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Texts::is_empty")]
    counterparty: Texts<'a, 6>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_after: Option<Decimal>,
}

/// Named optional texts (References, Party), written as an object of the present ones.
struct Texts<'a, const N: usize>([(&'static str, &'a Option<String>); N]);

impl<const N: usize> Texts<'_, N> {
    fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, v)| v.is_none())
    }
}

impl<const N: usize> Serialize for Texts<'_, N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.0 {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// What a body may hold; everything absent is `None`, empty or false.
#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    pos: BodyPos,
    #[serde(default)]
    value_date: Option<NaiveDate>,
    #[serde(default)]
    booked_at: Option<NaiveDateTime>,
    #[serde(default)]
    amount: Option<Decimal>,
    direction: Direction,
    status: EntryStatus,
    #[serde(default)]
    reversal: bool,
    #[serde(default)]
    bank_ref: Option<String>,
    #[serde(default)]
    refs: References,
    #[serde(default)]
    bank_tx_code: Option<String>,
    #[serde(default)]
    counterparty: Party,
    #[serde(default)]
    balance_after: Option<Decimal>,
}

#[derive(Serialize, Deserialize, Default)]
struct BodyPos {
    #[serde(default)]
    line: u32,
}

fn corrupt(what: &str, found: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!(
        "statement line: {what}: unexpected stored value {found}"
    ))
}

/// What the columns of a line hold (`amount` as the column gives it back).
struct Columns {
    natural_key: String,
    account: String,
    statement_index: u32,
    pos_index: u32,
    booking_date: NaiveDate,
    amount: Decimal,
    currency: Currency,
    text: String,
}

/// The line of a row whose columns from `at` on are [`FACT_COLUMNS`].
pub(crate) fn line_facts(r: &Row, at: usize) -> Result<LineFacts, StoreError> {
    let statement_idx: i32 = r.get(at + 2);
    let pos_index: i64 = r.get(at + 3);
    let cur: &str = r.get(at + 6);
    let text: &str = r.get(at + 8);
    let body: Body = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("statement line: facts: {e}")))?;
    let columns = Columns {
        natural_key: r.get(at),
        account: r.get(at + 1),
        statement_index: u32::try_from(statement_idx)
            .map_err(|_| corrupt("statement index", statement_idx))?,
        pos_index: u32::try_from(pos_index).map_err(|_| corrupt("position index", pos_index))?,
        booking_date: r.get(at + 4),
        amount: r.get(at + 5),
        currency: Currency::parse(cur.trim()).map_err(|_| corrupt("currency", cur))?,
        text: r.get(at + 7),
    };
    Ok(rebuild(columns, body))
}

/// The line the columns and the body describe.
fn rebuild(c: Columns, body: Body) -> LineFacts {
    LineFacts {
        natural_key: c.natural_key,
        account: c.account,
        statement_index: c.statement_index,
        pos: SourcePos {
            line: body.pos.line,
            index: c.pos_index,
        },
        booking_date: c.booking_date,
        value_date: body.value_date,
        booked_at: body.booked_at,
        amount: body.amount.unwrap_or_else(|| {
            let mut a = c.amount;
            a.rescale(c.currency.scale());
            a
        }),
        currency: c.currency,
        direction: body.direction,
        status: body.status,
        reversal: body.reversal,
        bank_ref: body.bank_ref,
        refs: body.refs,
        bank_tx_code: body.bank_tx_code,
        counterparty: body.counterparty,
        text: c.text,
        balance_after: body.balance_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasda_store::conformance::{line, statement_batch};

    /// Members of `LineFacts` that have their own column and are never in a body.
    const IN_COLUMNS: [&str; 6] = [
        "natural_key",
        "account",
        "statement_index",
        "booking_date",
        "currency",
        "text",
    ];

    /// A body, read back with the values the columns would give, is the line it came from.
    fn round_trip(f: &LineFacts) -> LineFacts {
        let text = line_body(f).expect("body");
        let body: Body = serde_json::from_str(&text).expect("parse body");
        // NUMERIC(20,3) hands every amount back with three decimals.
        let mut amount = f.amount;
        amount.rescale(3);
        let columns = Columns {
            natural_key: f.natural_key.clone(),
            account: f.account.clone(),
            statement_index: f.statement_index,
            pos_index: f.pos.index,
            booking_date: f.booking_date,
            amount,
            currency: f.currency,
            text: f.text.clone(),
        };
        rebuild(columns, body)
    }

    fn same_bytes(a: &LineFacts, b: &LineFacts) {
        assert_eq!(
            serde_json::to_string(a).unwrap(),
            serde_json::to_string(b).unwrap()
        );
        // The body is the line's full JSON less the column members, nulls and empty objects.
        let mut full = serde_json::to_value(b).unwrap();
        let m = full.as_object_mut().unwrap();
        for k in IN_COLUMNS {
            m.remove(k);
        }
        m["pos"].as_object_mut().unwrap().remove("index");
        if b.amount.scale() == b.currency.scale() {
            m.remove("amount");
        }
        strip_empty(&mut full);
        let body: serde_json::Value = serde_json::from_str(&line_body(b).unwrap()).unwrap();
        assert_eq!(body, full);
    }

    /// Removes `null` members and members that are (or become) empty objects, at every depth.
    fn strip_empty(v: &mut serde_json::Value) {
        if let serde_json::Value::Object(m) = v {
            for x in m.values_mut() {
                strip_empty(x);
            }
            m.retain(|_, x| !(x.is_null() || x.as_object().is_some_and(|o| o.is_empty())));
        }
    }

    #[test]
    fn bodies_round_trip_and_leave_out_columns() {
        let batch = statement_batch(
            "body",
            "0011223344",
            &[line(3, "REF-1", 125_000, true), line(4, "REF-2", 7, false)],
        );
        let mut f = batch.statements[0].lines[0].facts.clone();
        same_bytes(&round_trip(&f), &f);
        let text = line_body(&f).unwrap();
        for k in IN_COLUMNS.iter().chain(["amount", "index", "null"].iter()) {
            assert!(!text.contains(&format!("\"{k}\"")), "{k} in {text}");
        }
        assert!(!text.contains("null"), "{text}");

        // Everything optional present, an amount at another scale than its currency's, a
        // three-decimal currency, a zero-decimal one.
        f.booked_at = f.value_date.and_then(|d| d.and_hms_opt(9, 30, 0));
        f.bank_ref = Some("BR".into());
        f.bank_tx_code = Some("PMNT/RCDT/ESCT".into());
        f.counterparty.name = Some("PT \"Maju\" \\ Jaya".into());
        f.refs.end_to_end_id = Some("E2E".into());
        f.balance_after = Some(Decimal::new(-12_345, 2));
        f.reversal = true;
        same_bytes(&round_trip(&f), &f);
        f.amount = Decimal::new(1_000, 0);
        same_bytes(&round_trip(&f), &f);
        assert!(line_body(&f).unwrap().contains("\"amount\""));
        f.currency = Currency::parse("KWD").unwrap();
        f.amount = Decimal::new(1_234, 3);
        same_bytes(&round_trip(&f), &f);
        assert!(!line_body(&f).unwrap().contains("\"amount\""));
        f.currency = Currency::parse("JPY").unwrap();
        f.amount = Decimal::new(1_234, 0);
        same_bytes(&round_trip(&f), &f);
        assert!(!line_body(&f).unwrap().contains("\"amount\""));
    }
}
