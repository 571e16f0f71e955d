//! The demo billing data of `koprik up`: the base calculation amounts and the demo bank's DDP contract, recorded
//! idempotently so that the bank's delivered calls appear on its draft invoice. The amounts are the decreed BCA
//! values as known to the developers (check the current decree before relying on them; production records them
//! from the decree with `SetBaseAmount`).

use koprik_proto::billing::base_amounts_client::BaseAmountsClient;
use koprik_proto::billing::contracts_client::ContractsClient;
use koprik_proto::billing::{CreateContractRequest, SetBaseAmountRequest, Tariff, Tier, TierMode};
use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::Code;

use crate::demo::{DDP_CONSUMER, DDP_CONTRACT};

/// `(effective from, tiyin, decree)` of the demo BCA schedule.
pub const BASE_AMOUNTS: &[(&str, i64, &str)] = &[
    ("2024-10-01", 37_500_000, "demo: 375 000 soʻm from 1 October 2024"),
    ("2025-08-01", 41_200_000, "demo: 412 000 soʻm from 1 August 2025"),
];

/// The demo contract's graduated tiers: 0.5 % up to 1 000 requests a month, 0.3 % to 10 000, 0.1 % beyond.
pub const TIERS: &[(u64, u32)] = &[(1, 50), (1_001, 30), (10_001, 10)];

/// Records the demo BCA schedule and the demo bank's contract (what exists already is left as it is), with
/// `operator`, a billing channel presenting the operator's certificate (both are the operator's steps).
pub async fn seed(operator: Channel) -> anyhow::Result<()> {
    let mut amounts = BaseAmountsClient::new(operator.clone());
    for &(effective_from, amount_tiyin, decree) in BASE_AMOUNTS {
        let request =
            SetBaseAmountRequest { effective_from: effective_from.into(), amount_tiyin, decree: decree.into() };
        match amounts.set_base_amount(request).await {
            Ok(_) => {}
            Err(status) if matches!(status.code(), Code::AlreadyExists | Code::FailedPrecondition) => {}
            Err(status) => return Err(anyhow::Error::new(status).context("recording the demo BCA")),
        }
    }
    let account: MemberId = DDP_CONSUMER.parse::<SubsystemId>()?.member().clone();
    let contract = CreateContractRequest {
        reference: DDP_CONTRACT.into(),
        account: Some((&account).into()),
        valid_from: "2026-01-01".into(),
        valid_until: "2030-12-31".into(),
        tariff: Some(Tariff {
            mode: TierMode::Graduated as i32,
            tiers: TIERS
                .iter()
                .map(|&(from_request, rate_basis_points)| Tier { from_request, rate_basis_points })
                .collect(),
        }),
        payment_terms_days: 15,
    };
    match ContractsClient::new(operator).create_contract(contract).await {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => Err(anyhow::Error::new(status).context("recording the demo contract")),
    }
}
