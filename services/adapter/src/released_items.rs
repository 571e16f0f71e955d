//! The technological instruction is the ceiling at the provider's side too (A1 §14-15: a consumer receives only
//! the data items its technological instruction permits). The gateway resolves what a request may have before it
//! forwards it; the adapter passes exactly that list to the provider's system, never an empty one, and lets out
//! only an answer that says which items it carries, all of them asked for. Anything else is refused as the
//! provider's failure and never delivered: a provider's system that returns "everything it has" cannot leak it.

use koprik_proto::events::FailureKind;
use koprik_proto::released_items::ReleaseError;

use crate::backend::BackendFailure;

/// The data items the provider's system is asked for: the request's list, which the gateway never leaves empty.
/// An empty one (a gateway of another version, or a record nobody checked) is refused before the backend is asked.
pub fn asked(data_items: &[String]) -> Result<&[String], BackendFailure> {
    if data_items.is_empty() {
        return Err(BackendFailure::new(
            FailureKind::InvalidRequest,
            "the request names no data items; the platform always names the items a consumer may receive, so the \
             provider's system was not asked",
        ));
    }
    Ok(data_items)
}

/// Checks the items an answer declares (`HandleResponse.data_items`) against those `asked`, by the platform's one
/// rule ([`koprik_proto::released_items`]): at least one, none that was not asked for. The refusal, which reaches
/// the consumer, counts the items not asked for without naming them; the worker logs them for the provider's
/// operators.
pub fn check(asked: &[String], declared: &[String]) -> Result<(), BackendFailure> {
    koprik_proto::released_items::check(asked, declared).map_err(|why| {
        let hint = match why {
            ReleaseError::Undeclared => " (HandleResponse.data_items is required)",
            ReleaseError::NotAsked { .. } => "",
        };
        BackendFailure::new(
            FailureKind::Internal,
            format!("the provider's system answered, but {why}{hint}, so the answer was not delivered"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn an_empty_request_is_never_passed_on() {
        let refused = asked(&[]).expect_err("empty");
        assert_eq!(refused.kind, FailureKind::InvalidRequest);
        assert_eq!(asked(&items(&["surname"])), Ok(&items(&["surname"])[..]));
    }

    #[test]
    fn an_answer_within_the_request_passes() {
        let asked = items(&["surname", "birth_date"]);
        assert_eq!(check(&asked, &items(&["surname", "birth_date"])), Ok(()));
        assert_eq!(check(&asked, &items(&["birth_date"])), Ok(()), "fewer than asked: not everything is held");
    }

    #[test]
    fn an_answer_with_items_not_asked_for_is_refused_without_naming_them() {
        let asked = items(&["surname"]);
        let refused = check(&asked, &items(&["surname", "address", "document"])).expect_err("superset");
        assert_eq!(refused.kind, FailureKind::Internal);
        assert!(refused.message.contains("carries 2 data items not requested"), "{}", refused.message);
        assert!(!refused.message.contains("address"), "codes outside the request are not told: {}", refused.message);
        let one = check(&asked, &items(&["address"])).expect_err("another item");
        assert!(one.message.contains("carries 1 data item not requested"), "{}", one.message);
    }

    #[test]
    fn an_answer_that_declares_nothing_is_refused() {
        let refused = check(&items(&["surname"]), &[]).expect_err("undeclared");
        assert_eq!(refused.kind, FailureKind::Internal);
        assert!(refused.message.contains("HandleResponse.data_items is required"), "{}", refused.message);
    }
}
