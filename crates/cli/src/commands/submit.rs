//! `koprik submit` and `koprik get`: an asynchronous request through the gateway (its answer may take the
//! provider up to the end of the next working day), and its state or answer later, as the submitting system: the
//! subsystem the client certificate names (`--tls-cert`); only it may read the request back.

use chrono::SecondsFormat;
use clap::Args;
use koprik_proto::exchange::exchange_client::ExchangeClient;
use koprik_proto::exchange::{CallRequest, GetRequest, GetResponse, RequestState, SubmitResponse};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Request, Status};

/// Which request to look up.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// The request id Submit returned.
    pub request_id: String,
}

/// Submits `request` to the gateway at `channel`, as the subsystem its client certificate names.
pub async fn submit(channel: Channel, request: CallRequest) -> anyhow::Result<Result<SubmitResponse, Status>> {
    Ok(ExchangeClient::new(channel).submit(Request::new(request)).await.map(|r| r.into_inner()))
}

/// Reads the state of a submitted request, as the subsystem the channel's client certificate names.
pub async fn get(channel: Channel, args: &GetArgs) -> anyhow::Result<Result<GetResponse, Status>> {
    let request = Request::new(GetRequest { request_id: args.request_id.clone() });
    Ok(ExchangeClient::new(channel).get(request).await.map(|r| r.into_inner()))
}

fn instant(at: Option<&koprik_proto::prost_types::Timestamp>) -> String {
    at.and_then(koprik_proto::time::datetime)
        .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// The receipt as the terminal shows it.
pub fn render_submitted(response: &SubmitResponse) -> String {
    let deadline = match response.deadline.as_ref() {
        Some(_) => instant(response.deadline.as_ref()),
        None => "none (archive service)".to_owned(),
    };
    format!(
        "request id: {}\nreceived at: {}\nanswer due by: {deadline}\nfetch it with: koprik get {} (same certificate)",
        response.request_id,
        instant(response.received_at.as_ref()),
        response.request_id
    )
}

/// The state as the terminal shows it: the state line, the deadline, then the answer or the reason.
pub fn render_get(response: &GetResponse) -> String {
    let state = response.state().as_str_name().trim_start_matches("REQUEST_STATE_").to_owned();
    let mut lines = vec![format!("request id: {}", response.request_id), format!("state: {state}")];
    lines.push(format!("received at: {}", instant(response.received_at.as_ref())));
    lines.push(format!("answer due by: {}", instant(response.deadline.as_ref())));
    if response.escalated {
        lines.push(format!("escalated at: {} (deadline missed)", instant(response.escalated_at.as_ref())));
    }
    match response.state() {
        RequestState::Answered => {
            lines.push(format!("answered at: {}", instant(response.answered_at.as_ref())));
            lines.push(format!("content type: {}", response.content_type));
            let body = serde_json::from_slice::<serde_json::Value>(&response.payload)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| String::from_utf8_lossy(&response.payload).into_owned());
            lines.push(body);
        }
        RequestState::Refused | RequestState::Failed => lines.push(format!("reason: {}", response.reason)),
        RequestState::Pending | RequestState::Unspecified => {}
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_refusals_are_shown_with_their_state() {
        let answered = GetResponse {
            request_id: "r".into(),
            state: RequestState::Answered as i32,
            payload: br#"{"surname":"Karimov"}"#.to_vec(),
            content_type: "application/json".into(),
            escalated: true,
            ..GetResponse::default()
        };
        let text = render_get(&answered);
        assert!(text.contains("state: ANSWERED") && text.contains("\"surname\": \"Karimov\""), "{text}");
        assert!(text.contains("(deadline missed)"), "{text}");
        let refused = GetResponse {
            state: RequestState::Refused as i32,
            reason: "provider: sealed".into(),
            ..GetResponse::default()
        };
        assert!(render_get(&refused).ends_with("reason: provider: sealed"));
        let receipt = SubmitResponse { request_id: "r".into(), ..SubmitResponse::default() };
        assert!(render_submitted(&receipt).contains("answer due by: none (archive service)"));
    }
}
