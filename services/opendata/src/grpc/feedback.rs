//! `koprik.opendata.v1.Feedback` over gRPC: the operator's view of users' messages and proposals; a supplier reads
//! the messages about one of its own data sets, which it names.

use chrono::Utc;
use koprik_authz::Access;
use koprik_proto::opendata::feedback_server::Feedback;
use koprik_proto::opendata::{
    ForwardProposalRequest, ListMessagesRequest, ListMessagesResponse, ListProposalsRequest, ListProposalsResponse,
    Proposal,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{own_dataset, refused, Reply};
use crate::repository::Repository;
use crate::wire;

/// The gRPC face of feedback.
pub struct FeedbackApi {
    repository: Repository,
}

impl FeedbackApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl Feedback for FeedbackApi {
    async fn list_messages(&self, request: Request<ListMessagesRequest>) -> Reply<ListMessagesResponse> {
        let access = Access::of(&request)?;
        let dataset = Some(request.get_ref().dataset.as_str()).filter(|d| !d.is_empty());
        if !access.reaches_all() {
            match dataset {
                Some(name) => {
                    own_dataset(&self.repository, &access, name).await?;
                }
                None => {
                    // A supplier names one of its data sets; naming none, it reaches nothing: refused and counted.
                    return Err(refused(&access, "data sets' messages: name one of them in dataset"));
                }
            }
        }
        let messages = self.repository.messages(dataset).await?;
        Ok(Response::new(ListMessagesResponse { messages: messages.iter().map(wire::message).collect() }))
    }

    async fn list_proposals(&self, request: Request<ListProposalsRequest>) -> Reply<ListProposalsResponse> {
        let now = Utc::now();
        let proposals = self.repository.proposals(request.get_ref().overdue_only, now).await?;
        Ok(Response::new(ListProposalsResponse {
            proposals: proposals.iter().map(|p| wire::proposal(p, now)).collect(),
        }))
    }

    async fn forward_proposal(&self, request: Request<ForwardProposalRequest>) -> Reply<Proposal> {
        let request = request.get_ref();
        let now = Utc::now();
        let record = self.repository.forward_proposal(&request.id, &request.supplier, now).await?;
        Ok(Response::new(wire::proposal(&record, now)))
    }
}
