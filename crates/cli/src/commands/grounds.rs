//! The closed lists of grounds as typed on the command line (`suspend-late-payment` for
//! `ACCESS_GROUND_SUSPEND_LATE_PAYMENT`), and the official notice as `NUMBER,YYYY-MM-DD,SIGNED BY`.

use koprik_proto::registry::{AccessGround, OfficialNotice, RefusalGround};

fn proto_name(prefix: &str, text: &str) -> String {
    format!("{prefix}{}", text.trim().to_uppercase().replace('-', "_"))
}

fn choices<'a>(names: impl Iterator<Item = &'a str>, prefix: &str) -> String {
    names.map(|n| n.trim_start_matches(prefix).to_lowercase().replace('_', "-")).collect::<Vec<_>>().join(", ")
}

/// A suspension or termination ground.
pub fn access_ground(text: &str) -> anyhow::Result<AccessGround> {
    const PREFIX: &str = "ACCESS_GROUND_";
    AccessGround::from_str_name(&proto_name(PREFIX, text)).filter(|g| *g != AccessGround::Unspecified).ok_or_else(
        || {
            let all = (1..=20).filter_map(|n| AccessGround::try_from(n).ok()).map(|g| g.as_str_name());
            anyhow::anyhow!("--ground {text:?}: not a ground; one of {}", choices(all, PREFIX))
        },
    )
}

/// A refusal ground.
pub fn refusal_ground(text: &str) -> anyhow::Result<RefusalGround> {
    const PREFIX: &str = "REFUSAL_GROUND_";
    RefusalGround::from_str_name(&proto_name(PREFIX, text)).filter(|g| *g != RefusalGround::Unspecified).ok_or_else(
        || {
            let all = (1..=10).filter_map(|n| RefusalGround::try_from(n).ok()).map(|g| g.as_str_name());
            anyhow::anyhow!("--ground {text:?}: not a refusal ground; one of {}", choices(all, PREFIX))
        },
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
