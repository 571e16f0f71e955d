//! `package_search` facets: per asked field, how many matching data sets have each value, most frequent first
//! (then by name), at most `facet.limit` of them (a negative limit: all), values with no data set left out, as
//! Solr does for CKAN. Returned twice as CKAN does: `facets` (`{field: {value: count}}`) and `search_facets`
//! (`{field: {"title", "items": [{"name", "display_name", "count"}]}}`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::error::OpendataError;
use crate::formats::TabularFormat;
use crate::repository::DatasetRecord;

/// CKAN's default `facet.limit` (`search.facets.default`).
pub const DEFAULT_LIMIT: i64 = 50;

/// The fields that can be faceted; `groups` is always empty (the portal has no groups).
const FIELDS: [&str; 5] = ["organization", "tags", "res_format", "license_id", "groups"];

/// Refuses a field that cannot be faceted.
pub fn validate(fields: &[String]) -> Result<(), OpendataError> {
    match fields.iter().find(|field| !FIELDS.contains(&field.as_str())) {
        None => Ok(()),
        Some(field) => Err(OpendataError::invalid(
            "facet.field",
            format!("cannot facet on {field:?}: use organization, tags, res_format, license_id or groups"),
        )),
    }
}

/// The values of `field` of one data set.
fn values(field: &str, dataset: &DatasetRecord) -> Vec<String> {
    match field {
        "organization" => vec![dataset.passport.supplier.clone()],
        "tags" => dataset.passport.keywords.tags(),
        // Every published version is offered in every format.
        "res_format" => TabularFormat::ALL.iter().map(|f| f.as_str().to_uppercase()).collect(),
        "license_id" => vec![dataset.passport.license_id.clone()],
        _ => Vec::new(),
    }
}

/// `(facets, search_facets)` over every matching data set; `titles` gives organisations their display names.
pub fn facets(
    fields: &[String],
    limit: i64,
    datasets: &[DatasetRecord],
    titles: &HashMap<String, String>,
) -> (Value, Value) {
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for field in fields {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for dataset in datasets {
            for value in values(field, dataset) {
                *counts.entry(value).or_default() += 1;
            }
        }
        let mut items: Vec<(String, u64)> = counts.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if let Ok(limit) = usize::try_from(limit) {
            items.truncate(limit);
        }
        facets.insert(field.clone(), items.iter().map(|(name, count)| (name.clone(), json!(count))).collect());
        let display = |name: &str| match field.as_str() {
            "organization" => titles.get(name).filter(|t| !t.trim().is_empty()).cloned().unwrap_or_else(|| name.into()),
            _ => name.to_owned(),
        };
        let items: Vec<Value> = items
            .iter()
            .map(|(name, count)| json!({ "name": name, "display_name": display(name), "count": count }))
            .collect();
        search_facets.insert(field.clone(), json!({ "title": field, "items": items }));
    }
    (Value::Object(facets), Value::Object(search_facets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ckan::package::tests::dataset;

    fn datasets() -> Vec<DatasetRecord> {
        let mut second = dataset();
        second.passport.supplier = "mehnat".into();
        second.passport.keywords.uz = vec!["aholi".into(), "ish".into()];
        second.passport.keywords.ru.clear();
        vec![dataset(), second, dataset()]
    }

    #[test]
    fn counts_most_frequent_first_with_display_names() {
        let titles = HashMap::from([("stat".to_owned(), "Statistika agentligi".to_owned())]);
        let fields = vec!["organization".to_owned(), "tags".to_owned(), "res_format".to_owned()];
        let (facets, search_facets) = facets(&fields, DEFAULT_LIMIT, &datasets(), &titles);
        assert_eq!(facets["organization"], json!({ "stat": 2, "mehnat": 1 }));
        assert_eq!(facets["tags"], json!({ "aholi": 3, "население": 2, "ish": 1 }));
        assert_eq!(facets["res_format"]["XLSX"], json!(3));
        let items = &search_facets["organization"]["items"];
        assert_eq!(items[0], json!({ "name": "stat", "display_name": "Statistika agentligi", "count": 2 }));
        assert_eq!(items[1]["display_name"], json!("mehnat"));
        assert_eq!(search_facets["tags"]["items"][0]["name"], json!("aholi"));
        assert_eq!(search_facets["tags"]["title"], json!("tags"));
    }

    #[test]
    fn the_limit_cuts_and_a_negative_limit_keeps_all() {
        let fields = vec!["tags".to_owned()];
        let (facets_one, _) = facets(&fields, 1, &datasets(), &HashMap::new());
        assert_eq!(facets_one["tags"], json!({ "aholi": 3 }));
        let (all, _) = facets(&fields, -1, &datasets(), &HashMap::new());
        assert_eq!(all["tags"].as_object().expect("map").len(), 3);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(validate(&["tags".into(), "groups".into()]).is_ok());
        let error = validate(&["maintainer".into()]).expect_err("refused");
        assert!(error.to_string().starts_with("facet.field: "), "{error}");
    }
}
