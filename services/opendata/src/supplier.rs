//! Suppliers (OD §26-28): the state bodies that publish, each with a responsible person whose e-mail is on the
//! organisation's own domain (OD Annex 2), so that the public knows who answers for the data.

use serde::{Deserialize, Serialize};

use crate::multilingual::Multilingual;
use crate::url_name::{is_url_name, URL_NAME_RULE};

/// The person who answers for a supplier's data sets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResponsiblePerson {
    /// Full name.
    pub full_name: String,
    /// Position.
    pub position: String,
    /// `+998` and 9 digits.
    pub phone: String,
    /// On the supplier's domain.
    pub email: String,
}

/// A supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    /// The URL name (CKAN's organisation name).
    pub name: String,
    /// The registry member id, e.g. "UZ/GOV/201122919".
    pub member: String,
    /// The organisation's name.
    pub title: Multilingual,
    /// Its internet domain, e.g. "stat.uz".
    pub domain: String,
    /// Its responsible person.
    pub responsible: ResponsiblePerson,
}

/// Why a supplier is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("supplier.{field}: {rule}")]
pub struct SupplierError {
    /// The field.
    pub field: String,
    /// The rule it breaks.
    pub rule: String,
}

fn refuse(field: impl Into<String>, rule: impl Into<String>) -> SupplierError {
    SupplierError { field: field.into(), rule: rule.into() }
}

/// Whether `domain` looks like an internet domain: dot-separated labels of letters, digits and `-`.
fn is_domain(domain: &str) -> bool {
    domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

impl Supplier {
    /// Checks the supplier rules.
    pub fn validate(&self) -> Result<(), SupplierError> {
        if !is_url_name(&self.name) {
            return Err(refuse("name", URL_NAME_RULE));
        }
        // The member is who the supplier's certificates speak for: it must be a registry member id.
        if self.member.parse::<koprik_proto::ids::MemberId>().is_err() {
            return Err(refuse("member", "must be the organisation's registry member id, e.g. \"UZ/GOV/201122919\""));
        }
        if let Some(language) = self.title.missing_language() {
            return Err(refuse(format!("title.{language}"), "is required in uz, ru and en"));
        }
        if !is_domain(&self.domain) {
            return Err(refuse("domain", "must be a lower-case internet domain such as \"stat.uz\""));
        }
        let person = &self.responsible;
        if person.full_name.trim().is_empty() {
            return Err(refuse("responsible.full_name", "is required (OD §27: a responsible person)"));
        }
        let digits = person.phone.strip_prefix("+998").unwrap_or("");
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse("responsible.phone", "must be +998 followed by 9 digits"));
        }
        let email_domain = person.email.rsplit_once('@').map(|(local, domain)| (local.is_empty(), domain));
        match email_domain {
            Some((false, domain))
                if domain == self.domain || domain.strip_suffix(&self.domain).is_some_and(|s| s.ends_with('.')) => {}
            _ => {
                return Err(refuse(
                    "responsible.email",
                    format!("must be an address on the supplier's domain {} (OD Annex 2)", self.domain),
                ))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid supplier for tests.
    pub(crate) fn supplier(name: &str) -> Supplier {
        Supplier {
            name: name.into(),
            member: "UZ/GOV/201122919".into(),
            title: Multilingual::new("Statistika agentligi", "Агентство статистики", "Statistics Agency"),
            domain: "stat.uz".into(),
            responsible: ResponsiblePerson {
                full_name: "Karimov Aziz".into(),
                position: "Ochiq ma'lumotlar bo'limi boshlig'i".into(),
                phone: "+998712391234".into(),
                email: "opendata@stat.uz".into(),
            },
        }
    }

    #[test]
    fn the_responsible_email_is_on_the_suppliers_domain() {
        supplier("stat").validate().expect("valid");
        let mut s = supplier("stat");
        s.responsible.email = "opendata@portal.stat.uz".into();
        s.validate().expect("valid");
        s.responsible.email = "karimov@gmail.com".into();
        assert_eq!(s.validate().expect_err("refused").field, "responsible.email");
        s.responsible.email = "x@notstat.uz".into();
        assert_eq!(s.validate().expect_err("refused").field, "responsible.email");
    }

    #[test]
    fn phone_and_domain_rules() {
        let mut s = supplier("stat");
        s.responsible.phone = "712391234".into();
        assert_eq!(s.validate().expect_err("refused").field, "responsible.phone");
        let mut s = supplier("stat");
        s.domain = "Stat".into();
        assert_eq!(s.validate().expect_err("refused").field, "domain");
    }
}
