//! Users' messages about a data set and proposals for new data sets (OD Annex 3): `POST
//! /api/koprik/v1/datasets/{name}/messages` and `POST /api/koprik/v1/proposals`, JSON in, the stored record out
//! with 201. The supplier is notified through the outbox; a proposal is due for forwarding within
//! `feedback.forward_within` of its receipt.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::json_io::{rfc3339, JsonBody, Length};
use super::HttpState;
use crate::ckan::envelope::{plain_error, ApiError};
use crate::ckan::lookup;
use crate::repository::{MessageRecord, NewMessage, NewProposal, ProposalRecord};

/// Who writes.
const AUTHOR: Length = Length { min: 1, max: 200 };
/// How to answer: an e-mail address or a phone number.
const CONTACT: Length = Length { min: 3, max: 200 };
/// A message's text.
const BODY: Length = Length { min: 1, max: 5000 };
/// What a proposal asks for.
const TITLE: Length = Length { min: 1, max: 500 };
/// Why, and in what detail.
const DESCRIPTION: Length = Length { min: 1, max: 5000 };
/// The supplier the proposer thinks holds the data (optional).
const SUGGESTED_SUPPLIER: Length = Length { min: 0, max: 100 };

fn created(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => (StatusCode::CREATED, Json(value)).into_response(),
        Err(error) => plain_error(&error),
    }
}

fn message_json(record: &MessageRecord) -> Value {
    json!({
        "id": record.id,
        "dataset": record.dataset,
        "author": record.author,
        "contact": record.contact,
        "body": record.body,
        "received": rfc3339(record.received_at),
    })
}

fn proposal_json(record: &ProposalRecord) -> Value {
    json!({
        "id": record.id,
        "title": record.title,
        "description": record.description,
        "suggested_supplier": record.suggested_supplier,
        "author": record.author,
        "contact": record.contact,
        "received": rfc3339(record.received_at),
        "forward_due": rfc3339(record.forward_due),
        "forwarded": record.forwarded_at.map(rfc3339),
        "forwarded_to": record.forwarded_to,
    })
}

/// `POST /api/koprik/v1/datasets/{name}/messages` `{author, contact, body}`.
pub async fn message(State(state): State<HttpState>, Path(name): Path<String>, body: Bytes) -> Response {
    let result = async {
        let input = JsonBody::parse(&body, &["author", "contact", "body"])?;
        let new = NewMessage {
            dataset: name.clone(),
            author: input.text("author", AUTHOR)?,
            contact: input.text("contact", CONTACT)?,
            body: input.text("body", BODY)?,
        };
        lookup::published_by_name(&state.repository, &name).await?;
        let record = state.repository.receive_message(new, Utc::now()).await?;
        Ok(message_json(&record))
    };
    created(result.await)
}

/// `POST /api/koprik/v1/proposals` `{title, description, suggested_supplier, author, contact}`.
pub async fn proposal(State(state): State<HttpState>, body: Bytes) -> Response {
    let result = async {
        let input = JsonBody::parse(&body, &["title", "description", "suggested_supplier", "author", "contact"])?;
        let new = NewProposal {
            title: input.text("title", TITLE)?,
            description: input.text("description", DESCRIPTION)?,
            suggested_supplier: input.text("suggested_supplier", SUGGESTED_SUPPLIER)?,
            author: input.text("author", AUTHOR)?,
            contact: input.text("contact", CONTACT)?,
        };
        let record = state.repository.receive_proposal(new, Utc::now(), state.feedback.forward_within).await?;
        Ok(proposal_json(&record))
    };
    created(result.await)
}
