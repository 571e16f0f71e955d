//! What the public API reads. Only published data sets (at least one version) exist publicly: an unpublished one
//! is "not found", exactly like a name that was never used, so the API does not reveal what is being prepared.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::package::{package, PackageParts};
use crate::error::{OpendataError, Result};
use crate::http::HttpState;
use crate::repository::{DatasetRecord, Repository, SearchQuery, SortKey, SupplierRecord};

/// The published data set with this id or URL name.
pub async fn published(repository: &Repository, id_or_name: &str) -> Result<DatasetRecord> {
    let dataset = repository.dataset_by_id_or_name(id_or_name).await?;
    visible(dataset, id_or_name)
}

/// The published data set with this URL name.
pub async fn published_by_name(repository: &Repository, name: &str) -> Result<DatasetRecord> {
    let dataset = repository.dataset(name).await?;
    visible(dataset, name)
}

fn visible(dataset: DatasetRecord, asked: &str) -> Result<DatasetRecord> {
    if dataset.version == 0 {
        return Err(OpendataError::NotFound(format!("data set {asked:?}")));
    }
    Ok(dataset)
}

/// Every data set `query` matches (its `start` and `rows` are ignored), in its order.
pub async fn search_all(repository: &Repository, query: &SearchQuery) -> Result<Vec<DatasetRecord>> {
    let count = repository.search(&SearchQuery { start: 0, rows: 0, ..query.clone() }).await?.count;
    if count == 0 {
        return Ok(Vec::new());
    }
    Ok(repository.search(&SearchQuery { start: 0, rows: count, ..query.clone() }).await?.datasets)
}

/// Every published data set.
pub async fn all_published(repository: &Repository, sort: SortKey) -> Result<Vec<DatasetRecord>> {
    let query = SearchQuery {
        words: Vec::new(),
        suppliers: Vec::new(),
        tags: Vec::new(),
        format_offered: None,
        sort,
        start: 0,
        rows: 0,
    };
    search_all(repository, &query).await
}

/// Package dictionaries of published data sets, in their order; suppliers and demand are read once per call.
pub async fn packages(state: &HttpState, datasets: &[DatasetRecord], now: DateTime<Utc>) -> Result<Vec<Value>> {
    let repository = &state.repository;
    let ids: Vec<String> = datasets.iter().map(|d| d.id.clone()).collect();
    let demand = repository.demand(&ids, now).await?;
    let mut suppliers: HashMap<String, SupplierRecord> = HashMap::new();
    let mut packages = Vec::with_capacity(datasets.len());
    for dataset in datasets {
        let supplier_name = &dataset.passport.supplier;
        if !suppliers.contains_key(supplier_name) {
            suppliers.insert(supplier_name.clone(), repository.supplier(supplier_name).await?);
        }
        let supplier = suppliers
            .get(supplier_name)
            .ok_or_else(|| OpendataError::Corrupt(format!("supplier {supplier_name} vanished while read")))?;
        let version = repository.version(dataset, dataset.version).await?;
        packages.push(package(&PackageParts {
            dataset,
            supplier,
            version: &version,
            demand: demand.get(&dataset.id).copied().unwrap_or_default(),
            links: &state.links,
            now,
        }));
    }
    Ok(packages)
}

/// The package dictionary of a data set being looked at: counts a view (OD Annex 3 demand statistics; a view
/// that cannot be counted is logged, not refused).
pub async fn viewed_package(state: &HttpState, dataset: DatasetRecord) -> Result<Value> {
    let now = Utc::now();
    state.demand.viewed(&dataset.passport.name);
    if let Err(error) = state.repository.count_view(&dataset.id, now).await {
        tracing::warn!(%error, dataset = %dataset.passport.name, "a view was not counted");
    }
    let mut packages = packages(state, std::slice::from_ref(&dataset), now).await?;
    packages.pop().ok_or_else(|| OpendataError::Corrupt("no package built for one data set".into()))
}
