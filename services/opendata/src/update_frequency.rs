//! Update frequency (OD Annex 2: every passport declares how often the data set is updated; OD Annex 3: the
//! operator notifies suppliers whose updates are overdue). A data set is due one period after its last version;
//! it is overdue from the moment after that.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

/// How often a data set is updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateFrequency {
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every calendar month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every year.
    Yearly,
    /// When something changes: never overdue.
    Irregular,
}

impl UpdateFrequency {
    /// When the version after one published at `last` is due; `None` for irregular data sets.
    pub fn next_due(self, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            UpdateFrequency::Daily => Some(last + chrono::Duration::days(1)),
            UpdateFrequency::Weekly => Some(last + chrono::Duration::days(7)),
            UpdateFrequency::Monthly => last.checked_add_months(Months::new(1)),
            UpdateFrequency::Quarterly => last.checked_add_months(Months::new(3)),
            UpdateFrequency::Yearly => last.checked_add_months(Months::new(12)),
            UpdateFrequency::Irregular => None,
        }
    }

    /// The name used in the API and in CKAN extras.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateFrequency::Daily => "daily",
            UpdateFrequency::Weekly => "weekly",
            UpdateFrequency::Monthly => "monthly",
            UpdateFrequency::Quarterly => "quarterly",
            UpdateFrequency::Yearly => "yearly",
            UpdateFrequency::Irregular => "irregular",
        }
    }

    /// The EU frequency vocabulary term (DCAT `dct:accrualPeriodicity`).
    pub fn eu_uri(self) -> &'static str {
        match self {
            UpdateFrequency::Daily => "http://publications.europa.eu/resource/authority/frequency/DAILY",
            UpdateFrequency::Weekly => "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
            UpdateFrequency::Monthly => "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            UpdateFrequency::Quarterly => "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
            UpdateFrequency::Yearly => "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
            UpdateFrequency::Irregular => "http://publications.europa.eu/resource/authority/frequency/IRREG",
        }
    }
}

/// Whether a data set due at `due` is overdue at `now`.
pub fn is_overdue(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    due.is_some_and(|due| now > due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_monthly_data_set_is_due_a_calendar_month_after_its_last_version() {
        let last = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).single().expect("date");
        assert_eq!(
            UpdateFrequency::Monthly.next_due(last),
            Some(Utc.with_ymd_and_hms(2026, 2, 28, 10, 0, 0).single().expect("date"))
        );
        assert_eq!(UpdateFrequency::Irregular.next_due(last), None);
    }

    #[test]
    fn overdue_starts_after_the_due_moment() {
        let due = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().expect("date");
        assert!(!is_overdue(Some(due), due));
        assert!(is_overdue(Some(due), due + chrono::Duration::seconds(1)));
        assert!(!is_overdue(None, due));
    }
}
