//! Demand statistics (OD Annex 3: the portal publishes how often each data set is viewed and downloaded):
//! `GET /api/koprik/v1/statistics` (JSON) and `GET /api/koprik/v1/statistics.csv`, one row per published data
//! set, by name, with totals and the last [`RECENT_DAYS`] days.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::json;

use super::json_io::rfc3339;
use super::HttpState;
use crate::ckan::envelope::{plain_error, ApiError};
use crate::ckan::lookup;
use crate::error::OpendataError;
use crate::repository::{DatasetRecord, DemandTotals, SortKey, RECENT_DAYS};

/// Every published data set with its demand.
async fn rows(state: &HttpState) -> Result<Vec<(DatasetRecord, DemandTotals)>, ApiError> {
    let datasets = lookup::all_published(&state.repository, SortKey::Name { ascending: true }).await?;
    let ids: Vec<String> = datasets.iter().map(|d| d.id.clone()).collect();
    let demand = state.repository.demand(&ids, Utc::now()).await?;
    Ok(datasets
        .into_iter()
        .map(|dataset| {
            let totals = demand.get(&dataset.id).copied().unwrap_or_default();
            (dataset, totals)
        })
        .collect())
}

/// `GET /api/koprik/v1/statistics`.
pub async fn json(State(state): State<HttpState>) -> Response {
    match rows(&state).await {
        Ok(rows) => {
            let datasets: Vec<_> = rows
                .iter()
                .map(|(dataset, totals)| {
                    json!({
                        "dataset": dataset.passport.name,
                        "title": dataset.passport.title.uz,
                        "supplier": dataset.passport.supplier,
                        "views": totals.views,
                        "downloads": totals.downloads,
                        "recent_views": totals.recent_views,
                        "recent_downloads": totals.recent_downloads,
                    })
                })
                .collect();
            Json(json!({ "generated": rfc3339(Utc::now()), "recent_days": RECENT_DAYS, "datasets": datasets }))
                .into_response()
        }
        Err(error) => plain_error(&error),
    }
}

/// The rows as CSV.
fn to_csv(rows: &[(DatasetRecord, DemandTotals)]) -> Result<Vec<u8>, OpendataError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| OpendataError::Corrupt(format!("statistics csv: {e}"));
    writer
        .write_record(["dataset", "title", "supplier", "views", "downloads", "recent_views", "recent_downloads"])
        .map_err(fail)?;
    for (dataset, totals) in rows {
        writer
            .write_record([
                dataset.passport.name.as_str(),
                dataset.passport.title.uz.as_str(),
                dataset.passport.supplier.as_str(),
                &totals.views.to_string(),
                &totals.downloads.to_string(),
                &totals.recent_views.to_string(),
                &totals.recent_downloads.to_string(),
            ])
            .map_err(fail)?;
    }
    writer.into_inner().map_err(|e| OpendataError::Corrupt(format!("statistics csv: {e}")))
}

/// `GET /api/koprik/v1/statistics.csv`.
pub async fn csv(State(state): State<HttpState>) -> Response {
    let body = match rows(&state).await.and_then(|rows| Ok(to_csv(&rows)?)) {
        Ok(body) => body,
        Err(error) => return plain_error(&error),
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"demand-statistics.csv\"")),
    ];
    (headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ckan::package::tests::dataset;

    #[test]
    fn csv_has_a_header_and_a_row_per_data_set() {
        let totals = DemandTotals { views: 5, downloads: 2, recent_views: 1, recent_downloads: 0 };
        let text = String::from_utf8(to_csv(&[(dataset(), totals)]).expect("csv")).expect("utf-8");
        assert_eq!(
            text,
            "dataset,title,supplier,views,downloads,recent_views,recent_downloads\naholi-soni,Aholi soni,stat,5,2,1,0\n"
        );
    }
}
