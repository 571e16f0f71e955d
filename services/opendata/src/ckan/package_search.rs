//! The `package_search` action: `q`, `fq`, `sort`, `rows`, `start`, `facet`, `facet.field`, `facet.limit`
//! (`include_private` and `fl` are accepted and ignored: nothing is private, results are always whole
//! packages). The result is CKAN's `{count, results, sort, facets, search_facets}`.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{json, Value};

use super::envelope::ApiError;
use super::facets::{self, DEFAULT_LIMIT};
use super::lookup;
use super::params::Params;
use super::search_query::{self, SearchInput};
use crate::http::HttpState;
use crate::repository::DatasetRecord;

/// `package_search`.
pub async fn package_search(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let (q, fq, sort) = (params.text("q")?, params.text("fq")?, params.text("sort")?);
    let input = SearchInput {
        q: q.as_deref(),
        fq: fq.as_deref(),
        sort: sort.as_deref(),
        rows: params.natural("rows")?,
        start: params.offset("start")?,
    };
    let parsed = search_query::parse(input)?;
    let facet_fields = if params.boolean("facet", true)? { params.list("facet.field")? } else { Vec::new() };
    facets::validate(&facet_fields)?;
    let facet_limit = params.integer("facet.limit")?.unwrap_or(DEFAULT_LIMIT);
    let repository = &state.repository;
    let start = usize::try_from(parsed.query.start).unwrap_or(usize::MAX);
    let rows = usize::try_from(parsed.query.rows).unwrap_or(usize::MAX);

    // Facets and exact filters need every match; otherwise the database pages.
    let (count, page, everything): (u64, Vec<DatasetRecord>, Vec<DatasetRecord>) = if parsed.matches_nothing {
        (0, Vec::new(), Vec::new())
    } else if !facet_fields.is_empty() || !parsed.exact.is_empty() {
        let mut all = lookup::search_all(repository, &parsed.query).await?;
        all.retain(|dataset| parsed.exact.matches(dataset));
        let page = all.iter().skip(start).take(rows).cloned().collect();
        (all.len() as u64, page, all)
    } else {
        let found = repository.search(&parsed.query).await?;
        (found.count, found.datasets, Vec::new())
    };

    let titles: HashMap<String, String> = if facet_fields.iter().any(|f| f == "organization") {
        repository.suppliers().await?.into_iter().map(|s| (s.supplier.name, s.supplier.title.uz)).collect()
    } else {
        HashMap::new()
    };
    let (facets, search_facets) = facets::facets(&facet_fields, facet_limit, &everything, &titles);
    let results = lookup::packages(state, &page, Utc::now()).await?;
    Ok(json!({
        "count": count,
        "sort": parsed.sort,
        "results": results,
        "facets": facets,
        "search_facets": search_facets,
    }))
}
