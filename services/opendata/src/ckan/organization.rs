//! Suppliers as CKAN organisations: the dictionary, `organization_list` and `organization_show`. An organisation's
//! `id` is its URL name (suppliers have no other public id), so either works wherever CKAN takes an id.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::envelope::ApiError;
use super::lookup;
use super::package::{ckan_time, translated};
use super::params::Params;
use super::search_query::MAX_ROWS;
use crate::http::HttpState;
use crate::repository::{SearchQuery, SortKey, SupplierRecord};

/// CKAN's `ckan.group_and_organization_list_all_fields_max`.
const ALL_FIELDS_MAX: u64 = 25;

/// CKAN's `ckan.group_and_organization_list_max`.
const LIST_MAX: u64 = 1000;

/// The organisation dictionary embedded in a package.
pub fn organization(supplier: &SupplierRecord) -> Value {
    let s = &supplier.supplier;
    json!({
        "id": s.name,
        "name": s.name,
        "title": s.title.uz,
        "display_name": s.title.uz,
        "title_translated": translated(&s.title),
        "description": "",
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": ckan_time(supplier.registered_at),
        "koprik_member": s.member,
        "koprik_domain": s.domain,
    })
}

/// The organisation dictionary of `organization_list` (all fields) and `organization_show`.
fn organization_full(supplier: &SupplierRecord, package_count: u64) -> Value {
    let mut value = organization(supplier);
    if let Value::Object(map) = &mut value {
        map.insert("package_count".into(), json!(package_count));
        map.insert("image_display_url".into(), json!(""));
        map.insert("num_followers".into(), json!(0));
        map.insert("users".into(), json!([]));
        map.insert("extras".into(), json!([]));
        map.insert("tags".into(), json!([]));
        map.insert("groups".into(), json!([]));
    }
    value
}

/// How `organization_list` orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrgSort {
    Name,
    Title,
    PackageCount,
}

/// Parses CKAN's group sort (`title`, `name desc`, `package_count desc`); the direction defaults to ascending.
fn parse_sort(text: &str) -> Result<(OrgSort, bool), ApiError> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let (field, direction) = match parts.as_slice() {
        [field] => (*field, "asc"),
        [field, direction] => (*field, *direction),
        _ => return Err(ApiError::invalid("sort", format!("cannot sort by {text:?}"))),
    };
    let key = match field {
        "name" => OrgSort::Name,
        "title" => OrgSort::Title,
        "package_count" | "packages" => OrgSort::PackageCount,
        other => return Err(ApiError::invalid("sort", format!("Cannot sort by field `{other}`"))),
    };
    match direction.to_ascii_lowercase().as_str() {
        "asc" => Ok((key, true)),
        "desc" => Ok((key, false)),
        other => Err(ApiError::invalid("sort", format!("Invalid sort order `{other}`: use asc or desc"))),
    }
}

/// How many published data sets each supplier has.
async fn package_counts(state: &HttpState) -> Result<HashMap<String, u64>, ApiError> {
    let mut counts = HashMap::new();
    for dataset in lookup::all_published(&state.repository, SortKey::Name { ascending: true }).await? {
        *counts.entry(dataset.passport.supplier).or_default() += 1;
    }
    Ok(counts)
}

/// `organization_list`: names, or dictionaries with `all_fields`; `sort`, `limit`, `offset`.
pub async fn organization_list(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let all_fields = params.boolean("all_fields", false)?;
    let sort = params.text("sort")?.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "title".into());
    let (key, ascending) = parse_sort(&sort)?;
    let max = if all_fields { ALL_FIELDS_MAX } else { LIST_MAX };
    let limit = params.natural("limit")?.unwrap_or(max).min(max);
    let offset = params.offset("offset")?.unwrap_or(0);
    let counts = package_counts(state).await?;
    let mut suppliers = state.repository.suppliers().await?;
    let count = |s: &SupplierRecord| counts.get(&s.supplier.name).copied().unwrap_or_default();
    suppliers.sort_by(|a, b| {
        let order = match key {
            OrgSort::Name => a.supplier.name.cmp(&b.supplier.name),
            OrgSort::Title => a.supplier.title.uz.to_lowercase().cmp(&b.supplier.title.uz.to_lowercase()),
            OrgSort::PackageCount => count(a).cmp(&count(b)),
        };
        let order = if ascending { order } else { order.reverse() };
        order.then_with(|| a.supplier.name.cmp(&b.supplier.name))
    });
    let page = suppliers
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(if all_fields {
        page.map(|s| organization_full(s, count(s))).collect()
    } else {
        page.map(|s| json!(s.supplier.name)).collect()
    })
}

/// `organization_show`: `id` (the name); `include_datasets` adds its published data sets (at most 1000).
pub async fn organization_show(state: &HttpState, params: &Params) -> Result<Value, ApiError> {
    let id = params.text("id")?.filter(|id| !id.is_empty()).ok_or_else(|| ApiError::invalid("id", "Missing value"))?;
    let supplier = state.repository.supplier(&id).await?;
    let include_datasets = params.boolean("include_datasets", false)?;
    let query = SearchQuery {
        words: Vec::new(),
        suppliers: vec![supplier.supplier.name.clone()],
        tags: Vec::new(),
        format_offered: None,
        sort: SortKey::Modified { ascending: false },
        start: 0,
        rows: if include_datasets { MAX_ROWS } else { 0 },
    };
    let found = state.repository.search(&query).await?;
    let mut value = organization_full(&supplier, found.count);
    if include_datasets {
        let packages = lookup::packages(state, &found.datasets, chrono::Utc::now()).await?;
        if let Value::Object(map) = &mut value {
            map.insert("packages".into(), Value::Array(packages));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ckan::package::tests::supplier;

    #[test]
    fn the_dictionary_says_it_is_an_organization() {
        let value = organization_full(&supplier(), 3);
        assert_eq!(value["id"], value["name"]);
        assert_eq!(value["type"], json!("organization"));
        assert_eq!(value["is_organization"], json!(true));
        assert_eq!(value["package_count"], json!(3));
        assert_eq!(value["image_url"], json!(""));
    }

    #[test]
    fn group_sorts() {
        assert_eq!(parse_sort("title").expect("sorts"), (OrgSort::Title, true));
        assert_eq!(parse_sort("package_count desc").expect("sorts"), (OrgSort::PackageCount, false));
        assert_eq!(parse_sort("name DESC").expect("sorts"), (OrgSort::Name, false));
        for bad in ["created", "name sideways", "a b c"] {
            assert!(parse_sort(bad).expect_err(bad).to_string().starts_with("sort: "), "{bad}");
        }
    }
}
