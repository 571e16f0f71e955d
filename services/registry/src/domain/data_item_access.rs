//! Which data items a consumer may be granted (R516 §6b, REG-2 p. 19): a state-secret item never; a bank-secret
//! or protected-persons item only with the responsible agency's approval on record; ordinary and personal items
//! as the technological instruction permits.

use std::collections::HashSet;

use koprik_proto::ids::MemberId;
use koprik_proto::registry::{DataClassification, DataItemApproval};
use koprik_proto::FieldError;

use super::official_notice::date;
use super::text;

/// The permitted items and their approvals, checked against the service's data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// Item codes in the service's order.
    pub items: Vec<String>,
    /// One approval per bank-secret or protected-persons item.
    pub approvals: Vec<DataItemApproval>,
}

fn needs_approval(classification: DataClassification) -> bool {
    matches!(classification, DataClassification::BankSecret | DataClassification::ProtectedPersons)
}

/// Checks a request to permit `requested` items (all ordinary and personal items when empty) of a service whose
/// data set is `service_items` (code and classification, in order), with `approvals`.
pub fn permit(
    service_items: &[(String, DataClassification)],
    requested: &[String],
    approvals: &[DataItemApproval],
) -> Result<Permission, FieldError> {
    let requested: Vec<String> = if requested.is_empty() {
        service_items
            .iter()
            .filter(|(_, c)| matches!(c, DataClassification::Ordinary | DataClassification::Personal))
            .map(|(code, _)| code.clone())
            .collect()
    } else {
        requested.to_vec()
    };
    let mut seen = HashSet::new();
    for (index, code) in requested.iter().enumerate() {
        let field = format!("permitted_items[{index}]");
        let Some((_, classification)) = service_items.iter().find(|(c, _)| c == code) else {
            return Err(FieldError::new(field, format!("{code:?} is not a data item of the service")));
        };
        if !seen.insert(code.as_str()) {
            return Err(FieldError::new(field, format!("{code:?} is listed twice")));
        }
        if *classification == DataClassification::StateSecret {
            return Err(FieldError::new(
                field,
                format!("{code:?} is a STATE_SECRET item and can never be granted (R516 §6b, REG-2 p. 19)"),
            ));
        }
        if needs_approval(*classification) && !approvals.iter().any(|a| &a.data_item == code) {
            return Err(FieldError::new(
                field,
                format!(
                    "{code:?} is {}; it needs an approval of the responsible agency in approvals (R516 §6b)",
                    classification.as_str_name().trim_start_matches("DATA_CLASSIFICATION_")
                ),
            ));
        }
    }
    let mut checked = Vec::with_capacity(approvals.len());
    for (index, approval) in approvals.iter().enumerate() {
        let at = |e: FieldError| e.at("approvals", index);
        let needed = service_items
            .iter()
            .any(|(code, c)| code == &approval.data_item && needs_approval(*c) && seen.contains(code.as_str()));
        if !needed {
            return Err(at(FieldError::new(
                "data_item",
                "must be a permitted BANK_SECRET or PROTECTED_PERSONS item of the service",
            )));
        }
        let approved_by: MemberId =
            koprik_proto::field::required(approval.approved_by.as_ref(), "approved_by").map_err(at)?;
        checked.push(DataItemApproval {
            data_item: approval.data_item.clone(),
            approved_by: Some((&approved_by).into()),
            document_number: text::name(&approval.document_number, "document_number").map_err(at)?,
            document_date: date(&approval.document_date, "document_date").map_err(at)?.to_string(),
        });
    }
    let items = service_items.iter().filter(|(code, _)| seen.contains(code.as_str())).map(|(c, _)| c.clone()).collect();
    Ok(Permission { items, approvals: checked })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::common;

    fn items() -> Vec<(String, DataClassification)> {
        [
            ("full_name", DataClassification::Personal),
            ("region", DataClassification::Ordinary),
            ("account_balance", DataClassification::BankSecret),
            ("clearance", DataClassification::StateSecret),
        ]
        .into_iter()
        .map(|(c, k)| (c.to_owned(), k))
        .collect()
    }

    fn approval(item: &str) -> DataItemApproval {
        DataItemApproval {
            data_item: item.into(),
            approved_by: Some(common::MemberId {
                instance: "UZ".into(),
                member_class: "GOV".into(),
                member_code: "200935935".into(),
            }),
            document_number: "07/1-55".into(),
            document_date: "2026-11-02".into(),
        }
    }

    #[test]
    fn by_default_ordinary_and_personal_items_are_permitted() {
        let permission = permit(&items(), &[], &[]).expect("default");
        assert_eq!(permission.items, ["full_name", "region"]);
    }

    #[test]
    fn a_state_secret_item_is_never_granted() {
        let err = permit(&items(), &["region".into(), "clearance".into()], &[]).expect_err("state secret");
        assert_eq!(err.field, "permitted_items[1]");
        assert!(err.rule.contains("can never be granted"), "{err}");
    }

    #[test]
    fn a_bank_secret_item_needs_an_approval() {
        let err = permit(&items(), &["account_balance".into()], &[]).expect_err("no approval");
        assert!(err.rule.contains("needs an approval"), "{err}");
        let permission =
            permit(&items(), &["account_balance".into()], &[approval("account_balance")]).expect("approved");
        assert_eq!(permission.items, ["account_balance"]);
        let err =
            permit(&items(), &["region".into()], &[approval("region")]).expect_err("approval of an ordinary item");
        assert_eq!(err.field, "approvals[0].data_item");
    }

    #[test]
    fn unknown_and_repeated_items_are_refused() {
        assert_eq!(permit(&items(), &["salary".into()], &[]).expect_err("unknown").field, "permitted_items[0]");
        let twice = ["region".to_owned(), "region".to_owned()];
        assert_eq!(permit(&items(), &twice, &[]).expect_err("twice").field, "permitted_items[1]");
    }
}
