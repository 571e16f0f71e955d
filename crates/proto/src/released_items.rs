//! Which data items an answer may release (A1 §14-15: a consumer receives only the data items its technological
//! instruction permits). The gateway forwards the items a request may have, never an empty list; an answer must say
//! which items it carries (`HandleResponse.data_items`, signed by the adapter as `ProviderAnswer.data_items`), at
//! least one, each among those asked for. The adapter checks it before an answer leaves the agency and the gateway
//! again before it is delivered, with this one rule.
//!
//! The refusal counts the items not asked for but does not name them: it reaches the consumer, whose TI does not
//! cover them, and a code may itself be confidential (state-secret items are kept out of the public catalogue).
//! Whoever checks logs the codes for the operators.

/// Why an answer may not be released.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// The answer declares no data item.
    #[error("it does not declare which data items it carries")]
    Undeclared,
    /// The answer declares items the request did not ask for.
    #[error("it carries {count} data item{} not requested", if *.count == 1 { "" } else { "s" })]
    NotAsked {
        /// How many.
        count: usize,
    },
}

/// Whether an answer declaring `declared` may be released to a request that asked for `asked`.
pub fn check(asked: &[String], declared: &[String]) -> Result<(), ReleaseError> {
    if declared.is_empty() {
        return Err(ReleaseError::Undeclared);
    }
    let count = declared.iter().filter(|item| !asked.contains(item)).count();
    if count > 0 {
        return Err(ReleaseError::NotAsked { count });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn an_answer_within_the_request_may_be_released() {
        let asked = items(&["surname", "birth_date"]);
        assert_eq!(check(&asked, &asked), Ok(()));
        assert_eq!(check(&asked, &items(&["birth_date"])), Ok(()), "fewer than asked: not everything is held");
    }

    #[test]
    fn items_not_asked_for_are_counted_not_named() {
        let refused = check(&items(&["surname"]), &items(&["surname", "address", "document"])).expect_err("superset");
        assert_eq!(refused, ReleaseError::NotAsked { count: 2 });
        assert_eq!(refused.to_string(), "it carries 2 data items not requested");
        let one = check(&items(&["surname"]), &items(&["address"])).expect_err("another item");
        assert_eq!(one.to_string(), "it carries 1 data item not requested");
    }

    #[test]
    fn an_answer_that_declares_nothing_is_refused() {
        assert_eq!(check(&items(&["surname"]), &[]), Err(ReleaseError::Undeclared));
    }
}
