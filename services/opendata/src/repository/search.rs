//! Searching the published catalogue: free-text words, filters on supplier, tags and format, sorting and paging.
//! What CKAN's `package_search` asks of Solr, done by the database (the portal's scale is thousands of data sets,
//! not millions).

use sea_orm::sea_query::{Expr, LikeExpr, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{datasets::record, DatasetRecord, Repository};
use crate::error::Result;
use crate::store::{dataset, dataset_tag};

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// By URL name.
    Name {
        /// Ascending.
        ascending: bool,
    },
    /// By the Uzbek title.
    Title {
        /// Ascending.
        ascending: bool,
    },
    /// By the last change.
    Modified {
        /// Ascending.
        ascending: bool,
    },
    /// By creation.
    Created {
        /// Ascending.
        ascending: bool,
    },
}

/// A catalogue search. Every condition must hold (AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Lower-cased words, each of which must occur in the data set's text.
    pub words: Vec<String>,
    /// Supplier URL names, one of which must match (when any are given).
    pub suppliers: Vec<String>,
    /// Tags, each of which the data set must have.
    pub tags: Vec<String>,
    /// Whether the data set must be downloadable at all (a format filter naming one of the offered formats);
    /// `Some(false)` when a format filter names a format the portal does not offer.
    pub format_offered: Option<bool>,
    /// The order.
    pub sort: SortKey,
    /// Skip this many.
    pub start: u64,
    /// Return at most this many.
    pub rows: u64,
}

/// One page of results and the total.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// How many data sets match in all.
    pub count: u64,
    /// This page.
    pub datasets: Vec<DatasetRecord>,
}

impl Repository {
    /// Searches the published data sets (those with at least one version).
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResult> {
        let mut condition = Condition::all().add(dataset::Column::Version.gt(0));
        for word in &query.words {
            condition = condition.add(Expr::col((dataset::Entity, dataset::Column::SearchText)).like(containing(word)));
        }
        if !query.suppliers.is_empty() {
            condition = condition.add(dataset::Column::Supplier.is_in(query.suppliers.iter().cloned()));
        }
        for tag in &query.tags {
            condition = condition.add(
                dataset::Column::Id.in_subquery(
                    Query::select()
                        .column(dataset_tag::Column::DatasetId)
                        .from(dataset_tag::Entity)
                        .and_where(Expr::col(dataset_tag::Column::Tag).eq(tag.as_str()))
                        .to_owned(),
                ),
            );
        }
        if query.format_offered == Some(false) {
            condition = condition.add(Expr::val(1).eq(0));
        }
        let select = dataset::Entity::find().filter(condition);
        let count = select.clone().count(&self.db).await?;
        let select = match query.sort {
            SortKey::Name { ascending } => order(select, dataset::Column::Name, ascending),
            SortKey::Title { ascending } => order(select, dataset::Column::SearchText, ascending),
            SortKey::Modified { ascending } => order(select, dataset::Column::LastChangedAt, ascending),
            SortKey::Created { ascending } => order(select, dataset::Column::CreatedAt, ascending),
        };
        let rows =
            select.order_by_asc(dataset::Column::Name).offset(query.start).limit(query.rows).all(&self.db).await?;
        Ok(SearchResult { count, datasets: rows.into_iter().map(record).collect::<Result<_>>()? })
    }

    /// Every tag of a published data set, alphabetically; only those containing `query` when given.
    pub async fn tags(&self, query: Option<&str>) -> Result<Vec<String>> {
        let mut select = dataset_tag::Entity::find()
            .select_only()
            .column(dataset_tag::Column::Tag)
            .distinct()
            .filter(
                dataset_tag::Column::DatasetId.in_subquery(
                    Query::select()
                        .column(dataset::Column::Id)
                        .from(dataset::Entity)
                        .and_where(Expr::col(dataset::Column::Version).gt(0))
                        .to_owned(),
                ),
            )
            .order_by_asc(dataset_tag::Column::Tag);
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            select = select.filter(Expr::col((dataset_tag::Entity, dataset_tag::Column::Tag)).like(containing(query)));
        }
        Ok(select.into_tuple::<String>().all(&self.db).await?)
    }

    /// How many published data sets a supplier has.
    pub async fn published_count(&self, supplier: &str) -> Result<u64> {
        Ok(dataset::Entity::find()
            .filter(dataset::Column::Supplier.eq(supplier))
            .filter(dataset::Column::Version.gt(0))
            .count(&self.db)
            .await?)
    }
}

/// `%text%` with LIKE's own characters escaped, so that `_` or `%` in a query match themselves on every database.
fn containing(text: &str) -> LikeExpr {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

fn order(
    select: sea_orm::Select<dataset::Entity>,
    column: dataset::Column,
    ascending: bool,
) -> sea_orm::Select<dataset::Entity> {
    if ascending {
        select.order_by_asc(column)
    } else {
        select.order_by_desc(column)
    }
}
