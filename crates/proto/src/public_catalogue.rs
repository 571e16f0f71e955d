//! What any public list of web services shows (REQUIREMENTS 5: the list of web services is an open resource): the
//! registry's public catalogue and the Open Data Portal's `web-services-catalogue` data set both show a service
//! through [`public_view`], so the two can never disagree.
//!
//! Data items classified STATE_SECRET are left out entirely, code and name included: state secrets are never
//! routable (R516 §6b, REG-2 p. 19), and even an item's name can reveal what a state secret is about, which an
//! open list must not. Other items are listed with their classification (personal data, bank secret, protected
//! persons): the catalogue names what a service returns, never any value of it.

use crate::registry::{DataClassification, Service};

/// The service as the public may see it.
pub fn public_view(service: &Service) -> Service {
    let mut shown = service.clone();
    shown.data_items.retain(|item| item.classification() != DataClassification::StateSecret);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::DataItem;

    #[test]
    fn state_secret_items_are_never_listed() {
        let item = |code: &str, classification: DataClassification| DataItem {
            code: code.into(),
            name: code.into(),
            classification: classification as i32,
        };
        let service = Service {
            data_items: vec![
                item("surname", DataClassification::Personal),
                item("unit", DataClassification::StateSecret),
            ],
            ..Default::default()
        };
        let shown = public_view(&service);
        assert_eq!(shown.data_items, vec![item("surname", DataClassification::Personal)]);
    }
}
