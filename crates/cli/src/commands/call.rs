//! `koprik call`: one request through the gateway, as a consumer's information system would make it. The calling
//! subsystem is the one the client certificate names (`--tls-cert`, role consumer); nothing else says who calls.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use koprik_proto::common::{applicant_id::Kind, ApplicantId};
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, CallResponse};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Request, Status};

use crate::officer::{Officer, Purpose};

/// What to ask.
#[derive(Debug, Clone, Args)]
pub struct CallArgs {
    /// The web service, INSTANCE/CLASS/STIR/SUBSYSTEM/SERVICE/VERSION.
    #[arg(long)]
    pub service: String,
    /// The applicant's PINFL.
    #[arg(long)]
    pub pinfl: Option<String>,
    /// The applicant's STIR.
    #[arg(long)]
    pub stir: Option<String>,
    /// A requested data item code (repeatable; none asks for every item the grant's technological instruction permits).
    #[arg(long = "item")]
    pub items: Vec<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// The Unified Registry number of the public service the data is requested for (REG-2 p. 14).
    #[arg(long)]
    pub public_service: u64,
    /// The reference of the applicant's request (its application number).
    #[arg(long)]
    pub applicant_request: String,
    /// The officer's private signing key, PKCS#8 PEM (`koprik key generate`).
    #[arg(long, env = "KOPRIK_OFFICER_KEY")]
    pub officer_key: PathBuf,
    /// The id the officer's key is registered under.
    #[arg(long, env = "KOPRIK_OFFICER_KEY_ID")]
    pub key_id: String,
    /// The officer's full name, as registered with the key.
    #[arg(long, env = "KOPRIK_OFFICER_NAME")]
    pub officer_name: String,
    /// The officer's position, as registered with the key.
    #[arg(long, env = "KOPRIK_OFFICER_POSITION")]
    pub officer_position: String,
}

impl CallArgs {
    /// How long to wait for the answer.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

impl CallArgs {
    /// The request these arguments describe, with its particulars, signed by the officer. The requesting body is
    /// the member of the subsystem the client certificate `tls_cert` names.
    pub fn signed_request(&self, tls_cert: Option<&Path>) -> anyhow::Result<CallRequest> {
        let Some(cert) = tls_cert else {
            anyhow::bail!("give --tls-cert and --tls-key: the calling subsystem's client certificate (role consumer)")
        };
        let consumer = consumer_of(cert)?;
        let officer = Officer::from_file(&self.officer_key, &self.key_id, &self.officer_name, &self.officer_position)?;
        let purpose = Purpose {
            public_service_number: self.public_service,
            applicant_request_ref: self.applicant_request.clone(),
        };
        officer.prepare(self.request()?, &consumer, &purpose)
    }

    /// The gRPC request these arguments describe, before the officer fills in the particulars and signs.
    pub fn request(&self) -> anyhow::Result<CallRequest> {
        let service: ServiceId =
            self.service.parse().map_err(|e| anyhow::anyhow!("--service {:?}: {e}", self.service))?;
        let applicants = [self.pinfl.clone().map(Kind::Pinfl), self.stir.clone().map(Kind::Stir)]
            .into_iter()
            .flatten()
            .map(|kind| ApplicantId { kind: Some(kind) })
            .collect();
        Ok(CallRequest {
            service: Some((&service).into()),
            applicants,
            data_items: self.items.clone(),
            payload: Vec::new(),
            content_type: String::new(),
            ..Default::default()
        })
    }
}

/// The consumer subsystem the client certificate in `cert` names; refused, naming the certificate's identity, when
/// it is not a consumer's (only consumers call web services).
pub fn consumer_of(cert: &Path) -> anyhow::Result<SubsystemId> {
    let pem = std::fs::read_to_string(cert).map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    let identity = koprik_pki::parse_pem(&pem)
        .and_then(|c| c.identity())
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    identity.subsystem().cloned().ok_or_else(|| {
        anyhow::anyhow!(
            "--tls-cert {} names {identity}: web services are called with a consumer subsystem's certificate \
             (role consumer)",
            cert.display()
        )
    })
}

/// Sends `request` to the gateway at `channel` (whose client certificate identifies the caller), waiting at most
/// `timeout`.
pub async fn call(
    channel: Channel,
    request: CallRequest,
    timeout: Duration,
) -> anyhow::Result<Result<CallResponse, Status>> {
    let mut request = Request::new(request);
    request.set_timeout(timeout);
    Ok(ExchangeClient::new(channel).call(request).await.map(|r| r.into_inner()))
}

/// The response as the terminal shows it: the request id, then the payload (pretty JSON when it is JSON).
pub fn render(response: &CallResponse) -> String {
    let body = serde_json::from_slice::<serde_json::Value>(&response.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(&response.payload).into_owned());
    format!("request id: {}\ncontent type: {}\n{body}", response.request_id, response.content_type)
}

/// An error status as the terminal shows it.
pub fn render_status(status: &Status) -> String {
    let request_id = status.metadata().get("koprik-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    format!("{:?}: {} (request id {request_id})", status.code(), status.message())
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_runtime::dev_pki::DevPki;

    #[test]
    fn only_a_consumer_certificate_names_the_calling_subsystem() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = DevPki::open(dir.path()).expect("development CA");
        let consumer = pki.client(&"consumer:UZ/GOV/200935935/tax-inspection".parse().expect("valid")).expect("issued");
        let subsystem = consumer_of(&consumer.cert).expect("a consumer certificate");
        assert_eq!(subsystem.to_string(), "UZ/GOV/200935935/tax-inspection");
        let operator = pki.client(&"operator:koprik-admin".parse().expect("valid")).expect("issued");
        let refused = consumer_of(&operator.cert).expect_err("an operator does not call web services");
        assert!(refused.to_string().contains("names operator:koprik-admin"), "{refused}");
    }
}
