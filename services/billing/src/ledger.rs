//! The double-entry ledger. Every movement of money is a transaction of entries whose debits equal their
//! credits, to the tiyin; a transaction that does not balance is never written. The ledger accounts:
//!
//! | account | what it holds |
//! |---|---|
//! | `receivable:<account>` | what a DDP consumer owes on issued invoices |
//! | `customer-credit:<account>` | overpayments and payments on voided invoices, owed back or applied later |
//! | `clearing:<channel>` | money received from (or paid back through) a payment channel |
//! | `revenue-pending` | invoiced revenue not yet paid, so not yet distributed |
//! | `payable:provider:<member>`, `payable:egov-center`, `payable:cybersecurity-center`, `payable:digital-technologies-center`, `payable:state-budget` | distributed revenue owed to each recipient (R516 §4c) |
//!
//! The postings: an invoice issued debits the receivable and credits pending revenue; a payment debits its
//! channel's clearing and credits the receivable (and the customer's credit with any excess); credit applied to
//! an invoice moves from customer credit to the receivable; an invoice paid in full moves its pending revenue to
//! the recipients' payables; a voided invoice reverses its issue (what was paid on it becomes customer credit); a
//! refund debits customer credit and credits the channel.

use koprik_proto::billing::Recipient;

use crate::revenue_distribution::Share;

/// One line of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The ledger account.
    pub account: String,
    /// Tiyin debited (or 0).
    pub debit: i64,
    /// Tiyin credited (or 0).
    pub credit: i64,
}

/// A balanced transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// What it records: "invoice issued", "payment", ...
    pub memo: &'static str,
    entries: Vec<Entry>,
}

/// A transaction whose debits and credits differ: a bug, never written.
#[derive(Debug, thiserror::Error)]
#[error("unbalanced ledger transaction \"{memo}\": debits {debits} tiyin, credits {credits} tiyin")]
pub struct Unbalanced {
    /// The transaction's memo.
    pub memo: &'static str,
    /// Sum of debits.
    pub debits: i64,
    /// Sum of credits.
    pub credits: i64,
}

/// Builds a transaction entry by entry.
#[derive(Debug)]
pub struct Builder {
    memo: &'static str,
    entries: Vec<Entry>,
}

impl Transaction {
    /// Starts a transaction described by `memo`.
    pub fn builder(memo: &'static str) -> Builder {
        Builder { memo, entries: Vec::new() }
    }

    /// Its entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

impl Builder {
    /// Debits `amount` to `account` (zero amounts are left out).
    #[must_use]
    pub fn debit(mut self, account: impl Into<String>, amount: i64) -> Self {
        if amount != 0 {
            self.entries.push(Entry { account: account.into(), debit: amount, credit: 0 });
        }
        self
    }

    /// Credits `amount` to `account` (zero amounts are left out).
    #[must_use]
    pub fn credit(mut self, account: impl Into<String>, amount: i64) -> Self {
        if amount != 0 {
            self.entries.push(Entry { account: account.into(), debit: 0, credit: amount });
        }
        self
    }

    /// The transaction, when it balances.
    pub fn balanced(self) -> Result<Transaction, Unbalanced> {
        let debits: i64 = self.entries.iter().map(|e| e.debit).sum();
        let credits: i64 = self.entries.iter().map(|e| e.credit).sum();
        if debits != credits || self.entries.iter().any(|e| e.debit < 0 || e.credit < 0) {
            return Err(Unbalanced { memo: self.memo, debits, credits });
        }
        Ok(Transaction { memo: self.memo, entries: self.entries })
    }
}

/// What a DDP consumer owes.
pub fn receivable(account: &str) -> String {
    format!("receivable:{account}")
}

/// What is held for a DDP consumer.
pub fn customer_credit(account: &str) -> String {
    format!("customer-credit:{account}")
}

/// Money through a payment channel.
pub fn clearing(channel: &str) -> String {
    format!("clearing:{channel}")
}

/// Invoiced revenue not yet paid.
pub const REVENUE_PENDING: &str = "revenue-pending";

/// Prefix of the recipients' payables.
pub const PAYABLE_PREFIX: &str = "payable:";

/// The payable of a revenue share's recipient.
pub fn payable(share: &Share) -> String {
    match (share.recipient, &share.provider) {
        (Recipient::Provider, Some(provider)) => format!("payable:provider:{provider}"),
        (Recipient::EgovCenter, _) => "payable:egov-center".into(),
        (Recipient::CybersecurityCenter, _) => "payable:cybersecurity-center".into(),
        (Recipient::DigitalTechnologiesCenter, _) => "payable:digital-technologies-center".into(),
        _ => "payable:state-budget".into(),
    }
}

/// The recipient (and provider) of a payable account, for reports.
pub fn recipient_of(payable_account: &str) -> Option<(Recipient, Option<String>)> {
    let rest = payable_account.strip_prefix(PAYABLE_PREFIX)?;
    Some(match rest {
        "egov-center" => (Recipient::EgovCenter, None),
        "cybersecurity-center" => (Recipient::CybersecurityCenter, None),
        "digital-technologies-center" => (Recipient::DigitalTechnologiesCenter, None),
        "state-budget" => (Recipient::StateBudget, None),
        other => (Recipient::Provider, Some(other.strip_prefix("provider:")?.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_balanced_transactions_are_built() {
        let t = Transaction::builder("payment")
            .debit(clearing("bank"), 100)
            .credit(receivable("UZ/COM/207028220"), 60)
            .credit(customer_credit("UZ/COM/207028220"), 40)
            .credit("unused", 0)
            .balanced()
            .expect("balances");
        assert_eq!(t.entries().len(), 3);
        let e = Transaction::builder("payment").debit("a", 100).credit("b", 99).balanced().expect_err("off by one");
        assert_eq!((e.debits, e.credits), (100, 99));
    }

    #[test]
    fn payables_name_their_recipient() {
        for share in [
            Share { recipient: Recipient::Provider, provider: Some("UZ/GOV/201122919".into()), amount: 1 },
            Share { recipient: Recipient::EgovCenter, provider: None, amount: 1 },
            Share { recipient: Recipient::StateBudget, provider: None, amount: 1 },
        ] {
            assert_eq!(recipient_of(&payable(&share)), Some((share.recipient, share.provider.clone())));
        }
        assert_eq!(recipient_of("receivable:x"), None);
    }
}
