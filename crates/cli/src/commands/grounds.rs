//! The closed lists of grounds as typed on the command line (`suspend-late-payment` for
//! `ACCESS_GROUND_SUSPEND_LATE_PAYMENT`), and the official notice as `NUMBER,YYYY-MM-DD,SIGNED BY`.

use koprik_proto::registry::{AccessGround, OfficialNotice, RefusalGround};

/// The enum value typed as `text` (kebab case of its protobuf name after `prefix`), or an error listing the
/// values `0 < n <= max`.
fn parse<G: Copy + PartialEq>(
    text: &str,
    what: &str,
    prefix: &str,
    max: i32,
    from_name: fn(&str) -> Option<G>,
    from_number: fn(i32) -> Option<G>,
    name: fn(G) -> &'static str,
) -> anyhow::Result<G> {
    let wanted = format!("{prefix}{}", text.trim().to_uppercase().replace('-', "_"));
    let unspecified = from_number(0);
    from_name(&wanted).filter(|g| Some(*g) != unspecified).ok_or_else(|| {
        let choices: Vec<String> = (1..=max)
            .filter_map(from_number)
            .map(|g| name(g).trim_start_matches(prefix).to_lowercase().replace('_', "-"))
            .collect();
        anyhow::anyhow!("--ground {text:?}: not {what}; one of {}", choices.join(", "))
    })
}

/// A suspension or termination ground.
pub fn access_ground(text: &str) -> anyhow::Result<AccessGround> {
    parse(
        text,
        "a ground",
        "ACCESS_GROUND_",
        20,
        AccessGround::from_str_name,
        |n| AccessGround::try_from(n).ok(),
        |g| g.as_str_name(),
    )
}

/// A refusal ground.
pub fn refusal_ground(text: &str) -> anyhow::Result<RefusalGround> {
    parse(
        text,
        "a refusal ground",
        "REFUSAL_GROUND_",
        10,
        RefusalGround::from_str_name,
        |n| RefusalGround::try_from(n).ok(),
        |g| g.as_str_name(),
    )
}

/// An official notice from `NUMBER,YYYY-MM-DD,SIGNED BY`.
pub fn notice(text: &str) -> anyhow::Result<OfficialNotice> {
    let mut parts = text.splitn(3, ',').map(str::trim);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(number), Some(issued_on), Some(signed_by)) => {
            Ok(OfficialNotice { number: number.into(), issued_on: issued_on.into(), signed_by: signed_by.into() })
        }
        _ => anyhow::bail!("--notice {text:?}: expected NUMBER,YYYY-MM-DD,SIGNED BY"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grounds_are_typed_in_kebab_case() {
        assert_eq!(access_ground("suspend-late-payment").expect("valid"), AccessGround::SuspendLatePayment);
        assert_eq!(refusal_ground("provider-refused").expect("valid"), RefusalGround::ProviderRefused);
        let err = access_ground("because").expect_err("invented").to_string();
        assert!(err.contains("terminate-contract-expiry"), "{err}");
    }

    #[test]
    fn notices_have_three_parts() {
        let notice = notice("01-12/345, 2026-11-20, A. Karimov, director").expect("valid");
        assert_eq!(notice.signed_by, "A. Karimov, director");
        assert!(super::notice("01-12/345").is_err());
    }
}
