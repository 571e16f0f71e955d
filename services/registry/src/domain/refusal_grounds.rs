//! The closed lists of grounds on which a connection application may be refused: IIP (A1 §13) and DDP (A2 §13).
//! "Any other refusal is forbidden": the API rejects a ground outside the platform's list, and a refusal without
//! reasons.

use koprik_proto::registry::{Platform, RefusalGround};
use koprik_proto::FieldError;

use super::grant_lifecycle::MAX_REASON;

/// The refusal grounds valid on `platform`.
pub fn grounds(platform: Platform) -> &'static [RefusalGround] {
    use RefusalGround::*;
    match platform {
        Platform::Iip => &[Incomplete, FalseInformation, NotOnInteragencyNetwork, NoTechnicalSolution],
        Platform::Ddp => &[Incomplete, FalseInformation, ProviderRefused, NoTechnicalSolution],
        Platform::Unspecified => &[],
    }
}

/// Checks a refusal: a ground of the platform's list, stated reasons, and (for PROVIDER_REFUSED) a provider that
/// did refuse.
pub fn check(platform: Platform, ground: i32, reasons: &str, provider_refused: bool) -> Result<(), FieldError> {
    let allowed = grounds(platform);
    let names = || allowed.iter().map(|g| g.as_str_name()).collect::<Vec<_>>().join(", ");
    let ground = RefusalGround::try_from(ground).ok().filter(|g| allowed.contains(g)).ok_or_else(|| {
        FieldError::new("ground", format!("must be one of the closed list for {}: {}", platform.as_str_name(), names()))
    })?;
    if reasons.trim().is_empty() {
        return Err(FieldError::new("reasons", "are required: a refusal states its reasons (A1 §13, A2 §13)"));
    }
    if reasons.chars().count() > MAX_REASON {
        return Err(FieldError::new("reasons", format!("must be at most {MAX_REASON} characters")));
    }
    if ground == RefusalGround::ProviderRefused && !provider_refused {
        return Err(FieldError::new(
            "ground",
            "PROVIDER_REFUSED needs a provider's recorded refusal for one of the requested services",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_ground_is_accepted_on_its_platform() {
        for platform in [Platform::Iip, Platform::Ddp] {
            for ground in grounds(platform) {
                assert_eq!(check(platform, *ground as i32, "the form omits the legal basis", true), Ok(()));
            }
        }
    }

    #[test]
    fn grounds_of_the_other_platform_and_invented_ones_are_refused() {
        let iip_only = RefusalGround::NotOnInteragencyNetwork as i32;
        assert_eq!(check(Platform::Ddp, iip_only, "x", true).expect_err("IIP ground on DDP").field, "ground");
        let ddp_only = RefusalGround::ProviderRefused as i32;
        assert_eq!(check(Platform::Iip, ddp_only, "x", true).expect_err("DDP ground on IIP").field, "ground");
        assert_eq!(check(Platform::Iip, 99, "x", true).expect_err("invented").field, "ground");
        assert_eq!(check(Platform::Iip, 0, "x", true).expect_err("unspecified").field, "ground");
    }

    #[test]
    fn reasons_are_required_and_provider_refusal_must_be_recorded() {
        let incomplete = RefusalGround::Incomplete as i32;
        assert_eq!(check(Platform::Iip, incomplete, " ", false).expect_err("no reasons").field, "reasons");
        let provider = RefusalGround::ProviderRefused as i32;
        assert_eq!(check(Platform::Ddp, provider, "refused", false).expect_err("no refusal on record").field, "ground");
    }
}
