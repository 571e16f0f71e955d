//! The official, reasoned notice every suspension and termination is sent with (A1 §26-27, A2 §25-26).

use chrono::NaiveDate;
use koprik_proto::registry::OfficialNotice;
use koprik_proto::FieldError;

use super::text;

/// A notice as submitted, checked: a letter number, its date and its signatory; the reasons travel beside it.
pub fn check(notice: Option<&OfficialNotice>) -> Result<OfficialNotice, FieldError> {
    let notice = notice.ok_or_else(|| {
        FieldError::new("notice", "is required to suspend or terminate access (A1 §26-27, A2 §25-26: official notice)")
    })?;
    Ok(OfficialNotice {
        number: text::name(&notice.number, "number").map_err(|e| e.within("notice"))?,
        issued_on: date(&notice.issued_on, "notice.issued_on")?.to_string(),
        signed_by: text::name(&notice.signed_by, "signed_by").map_err(|e| e.within("notice"))?,
    })
}

/// A calendar date written YYYY-MM-DD.
pub fn date(value: &str, field: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| FieldError::new(field, "must be a date YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_needs_number_date_and_signatory() {
        assert_eq!(check(None).expect_err("missing").field, "notice");
        let notice =
            OfficialNotice { number: "01-12/345".into(), issued_on: "2026-11-20".into(), signed_by: "".into() };
        assert_eq!(check(Some(&notice)).expect_err("unsigned").field, "notice.signed_by");
        let notice =
            OfficialNotice { signed_by: "A. Karimov, director".into(), issued_on: "20.11.2026".into(), ..notice };
        assert_eq!(check(Some(&notice)).expect_err("bad date").field, "notice.issued_on");
    }
}
