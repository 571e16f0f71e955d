//! What a handler gets from the guard: the identified caller, the text its steps are recorded under (the actor is
//! the certificate, never a field the caller fills in), and the reach checks for methods where the role is not
//! enough. A handler names the owner of what the call reaches; the check passes when the caller's reach is all, or
//! when the owner is the caller's own principal, and is counted and refused otherwise.
//!
//! Ownership follows the organisation: an organisation owns its subsystems, so a provider, supplier or agency
//! person reaches what belongs to any subsystem of its organisation, while a consumer subsystem reaches only its
//! own subsystem's things, plus its organisation's where the owner is the organisation (a company's billing
//! account, for one).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use koprik_pki::identity::{Identity, Principal};
use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::tonic::{Request, Status};

use crate::policy::Reach;
use crate::refusal::{Reason, Refusals};

/// The owner of something a call reaches.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// A subsystem: reached by that consumer, and by people and agencies of its organisation.
    Subsystem(&'a SubsystemId),
    /// An organisation: reached by anyone acting for it (its consumer subsystems, as provider or supplier, its
    /// agency people).
    Organization(&'a MemberId),
    /// A payment channel's name.
    Channel(&'a str),
}

impl Owner<'_> {
    fn is(&self, identity: &Identity) -> bool {
        match (self, identity.principal()) {
            (Owner::Subsystem(owner), Principal::Subsystem(caller)) => *owner == caller,
            (Owner::Subsystem(owner), _) => identity.organization() == Some(owner.member()),
            (Owner::Organization(owner), _) => identity.organization() == Some(*owner),
            (Owner::Channel(owner), Principal::Channel(caller)) => *owner == caller,
            (Owner::Channel(_), _) => false,
        }
    }
}

/// The identified caller of one call, and the reach it was allowed.
#[derive(Clone)]
pub struct Access {
    inner: Arc<Inner>,
}

struct Inner {
    identity: Identity,
    serial: String,
    method: &'static str,
    reach: Reach,
    /// Set once a reach check has passed; the guard refuses an answer of reach `Own` without it.
    checked: AtomicBool,
    refusals: Refusals,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("identity", &self.inner.identity.to_string())
            .field("serial", &self.inner.serial)
            .field("method", &self.inner.method)
            .field("reach", &self.inner.reach)
            .finish()
    }
}

impl Access {
    pub(crate) fn new(
        identity: Identity,
        serial: String,
        method: &'static str,
        reach: Reach,
        refusals: Refusals,
    ) -> Self {
        Self { inner: Arc::new(Inner { identity, serial, method, reach, checked: AtomicBool::new(false), refusals }) }
    }

    /// The access the guard established for `request`. Every server runs behind the guard, so a missing one is a
    /// wiring fault: INTERNAL, and logged.
    pub fn of<T>(request: &Request<T>) -> Result<Access, Status> {
        request.extensions().get::<Access>().cloned().ok_or_else(|| {
            tracing::error!("a call reached its handler without the authorization guard's access record");
            Status::internal("the caller could not be authorized")
        })
    }

    /// Who is calling.
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// The serial of the certificate that identified the caller.
    pub fn certificate_serial(&self) -> &str {
        &self.inner.serial
    }

    /// What a recorded step names as its actor: `<role>:<principal>`, e.g. `operator:a.karimov`.
    pub fn actor(&self) -> String {
        self.inner.identity.to_string()
    }

    /// Whether the caller reaches everything the method can touch.
    pub fn reaches_all(&self) -> bool {
        self.inner.reach == Reach::All
    }

    pub(crate) fn was_checked(&self) -> bool {
        self.inner.checked.load(Ordering::SeqCst)
    }

    fn pass(&self) {
        self.inner.checked.store(true, Ordering::SeqCst);
    }

    /// The refusal of reach own for `what`, counted: for what the caller names but nothing matches (a number or
    /// reference not found), which a caller of reach own must not tell apart from another's (so it cannot learn
    /// which exist).
    pub fn refuse(&self, what: &str) -> Status {
        let message = format!(
            "{}: {} may reach only its own {what}",
            self.inner.method.trim_start_matches('/'),
            self.inner.identity
        );
        self.inner.refusals.refuse(self.inner.method, Reason::Reach, message)
    }

    /// Whether `owner` is the caller's own (always true for reach all); counts as the reach check when true.
    pub fn owns(&self, owner: Owner<'_>) -> bool {
        let owns = self.reaches_all() || owner.is(&self.inner.identity);
        if owns {
            self.pass();
        }
        owns
    }

    /// Refuses with PERMISSION_DENIED unless the caller reaches `owner`'s `what` ("grants", "invoices").
    pub fn require(&self, owner: Owner<'_>, what: &str) -> Result<(), Status> {
        if self.owns(owner) {
            Ok(())
        } else {
            Err(self.refuse(what))
        }
    }

    /// Refuses unless the caller reaches at least one of `owners` (an application asking for several services
    /// is a provider's when one of them is).
    pub fn require_any<'a>(&self, owners: impl IntoIterator<Item = Owner<'a>>, what: &str) -> Result<(), Status> {
        if self.reaches_all() || owners.into_iter().any(|owner| self.owns(owner)) {
            self.pass();
            Ok(())
        } else {
            Err(self.refuse(what))
        }
    }

    /// Keeps the items of a list the caller reaches, by each item's owner: everything for reach all. Counts as
    /// the reach check (a caller of reach own simply sees only its own).
    pub fn keep<T>(&self, items: Vec<T>, owner: impl Fn(&T) -> Option<Owner<'_>>) -> Vec<T> {
        self.pass();
        if self.reaches_all() {
            return items;
        }
        items.into_iter().filter(|item| owner(item).is_some_and(|o| o.is(&self.inner.identity))).collect()
    }

    /// A list filter by subsystem: unchanged for reach all; for reach own, the caller's own subsystem when none
    /// is given (a consumer), and refused when another one is.
    pub fn restrict_subsystem(&self, filter: Option<SubsystemId>, what: &str) -> Result<Option<SubsystemId>, Status> {
        if self.reaches_all() {
            self.pass();
            return Ok(filter);
        }
        match filter {
            Some(subsystem) => self.require(Owner::Subsystem(&subsystem), what).map(|()| Some(subsystem)),
            None => match self.inner.identity.subsystem() {
                Some(own) => {
                    self.pass();
                    Ok(Some(own.clone()))
                }
                None => Err(self.refuse(&format!("{what}: name one subsystem of your organisation"))),
            },
        }
    }

    /// A list filter by organisation: unchanged for reach all; for reach own, the caller's organisation when none
    /// is given, and refused when another one is.
    pub fn restrict_organization(&self, filter: Option<MemberId>, what: &str) -> Result<Option<MemberId>, Status> {
        if self.reaches_all() {
            self.pass();
            return Ok(filter);
        }
        match (filter, self.inner.identity.organization()) {
            (Some(member), _) => self.require(Owner::Organization(&member), what).map(|()| Some(member)),
            (None, Some(own)) => {
                self.pass();
                Ok(Some(own.clone()))
            }
            (None, None) => Err(self.refuse(what)),
        }
    }

    /// Marks the reach check done because what this call returns is public (a web service's announcements, an
    /// entry's history), whoever asks.
    pub fn public(&self) {
        self.pass();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::tonic::Code;

    fn access(identity: &str, reach: Reach) -> Access {
        Access::new(identity.parse().expect("valid"), "7f".into(), "/x.Y/Z", reach, Refusals::default())
    }

    fn subsystem(id: &str) -> SubsystemId {
        id.parse().expect("valid")
    }

    fn member(id: &str) -> MemberId {
        id.parse().expect("valid")
    }

    #[test]
    fn a_consumer_reaches_its_subsystem_and_its_organisation_only() {
        let consumer = access("consumer:UZ/COM/207028220/kyc-check", Reach::Own);
        assert!(consumer.owns(Owner::Subsystem(&subsystem("UZ/COM/207028220/kyc-check"))));
        assert!(!consumer.owns(Owner::Subsystem(&subsystem("UZ/COM/207028220/loan-origination"))));
        assert!(consumer.owns(Owner::Organization(&member("UZ/COM/207028220"))));
        assert!(!consumer.owns(Owner::Organization(&member("UZ/COM/207028221"))));
        assert!(!consumer.owns(Owner::Channel("agrobank")));
        let refused = consumer.require(Owner::Subsystem(&subsystem("UZ/GOV/200935935/tax")), "grants").expect_err("no");
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(refused.message(), "x.Y/Z: consumer:UZ/COM/207028220/kyc-check may reach only its own grants");
    }

    #[test]
    fn an_organisation_reaches_all_its_subsystems() {
        let provider = access("provider:UZ/GOV/201122919", Reach::Own);
        assert!(provider.owns(Owner::Subsystem(&subsystem("UZ/GOV/201122919/civil-registry"))));
        assert!(!provider.owns(Owner::Subsystem(&subsystem("UZ/GOV/201122920/civil-registry"))));
        let channel = access("payment-channel:agrobank", Reach::Own);
        assert!(channel.owns(Owner::Channel("agrobank")));
        assert!(!channel.owns(Owner::Channel("uzcard")));
        assert!(!channel.owns(Owner::Organization(&member("UZ/COM/207028220"))));
    }

    #[test]
    fn reach_all_passes_every_check_and_own_is_checked_only_when_passed() {
        let operator = access("operator:a.karimov", Reach::All);
        assert!(!operator.was_checked());
        assert!(operator.owns(Owner::Channel("anything")));
        assert!(operator.was_checked());
        let consumer = access("consumer:UZ/COM/207028220/kyc-check", Reach::Own);
        assert!(!consumer.owns(Owner::Channel("x")));
        assert!(!consumer.was_checked());
    }

    #[test]
    fn list_filters_default_to_the_callers_own_and_refuse_others() {
        let consumer = access("consumer:UZ/COM/207028220/kyc-check", Reach::Own);
        let own = consumer.restrict_subsystem(None, "grants").expect("own");
        assert_eq!(own, Some(subsystem("UZ/COM/207028220/kyc-check")));
        assert!(consumer.restrict_subsystem(Some(subsystem("UZ/GOV/200935935/tax")), "grants").is_err());
        assert_eq!(consumer.restrict_organization(None, "invoices").expect("own"), Some(member("UZ/COM/207028220")));
        let provider = access("provider:UZ/GOV/201122919", Reach::Own);
        assert!(provider.restrict_subsystem(None, "certificates").is_err(), "a provider names which subsystem");
        let auditor = access("auditor:s.rahimova", Reach::All);
        assert_eq!(auditor.restrict_subsystem(None, "grants").expect("all"), None);
        let members = [member("UZ/COM/207028220"), member("UZ/COM/207028221")];
        let kept = consumer.keep(members.iter().collect(), |m| Some(Owner::Organization(m)));
        assert_eq!(kept, vec![&members[0]]);
    }
}
