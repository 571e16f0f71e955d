//! Searching the published catalogue: free-text words, filters on supplier, tags and format, sorting and paging.
//! What CKAN's `package_search` asks of Solr, done by the database (the portal's scale is thousands of data sets,
//! not millions).

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, Func, LikeExpr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityName, EntityTrait, IdenStatic, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

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
    ///
    /// The condition has the same few parts whatever the query holds: every word is one `LIKE` inside a single
    /// flat SQL fragment ([`all_words`]) and every tag one value of a single subquery ([`all_tags`]), so neither
    /// building nor rendering the statement recurses once per term.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResult> {
        let condition = search_condition(query, self.db.get_database_backend());
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

/// What a data set must satisfy to be found by `query` on `backend`: published, and every condition of the query.
fn search_condition(query: &SearchQuery, backend: DbBackend) -> Condition {
    let mut condition = Condition::all().add(dataset::Column::Version.gt(0));
    if let Some(words) = all_words(backend, &query.words) {
        condition = condition.add(words);
    }
    if !query.suppliers.is_empty() {
        condition = condition.add(dataset::Column::Supplier.is_in(query.suppliers.iter().cloned()));
    }
    if let Some(tags) = all_tags(&query.tags) {
        condition = condition.add(tags);
    }
    if query.format_offered == Some(false) {
        condition = condition.add(Expr::val(1).eq(0));
    }
    condition
}

/// The escape character of every `LIKE` pattern the search writes. Not a backslash: sea-query's tokenizer reads a
/// backslash inside a quoted literal of a custom fragment as an escape of its own.
const LIKE_ESCAPE: char = '!';

/// `%text%` with LIKE's own characters escaped, so that `_` or `%` in a query match themselves on every database.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_') || c == LIKE_ESCAPE {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// [`like_pattern`] as a sea-query `LIKE` operand.
fn containing(text: &str) -> LikeExpr {
    LikeExpr::new(like_pattern(text)).escape(LIKE_ESCAPE)
}

/// "Every word occurs in the data set's search text", as one custom SQL fragment with the patterns as bound values
/// (`"datasets"."search_text" LIKE ? ESCAPE '!' AND ...`); None for no words.
///
/// Not one sea-query condition per word: sea-query turns a condition's list into a left-deep tree of binary
/// expressions and renders (and drops) that tree recursively, a chain of stack frames per term, so a
/// `package_search` of about a thousand words overflowed the stack and aborted the portal (issue 15). The
/// fragment is a flat string and a flat list whatever the number of words (which [`crate::ckan::search_query`]
/// bounds as well).
fn all_words(backend: DbBackend, words: &[String]) -> Option<SimpleExpr> {
    if words.is_empty() {
        return None;
    }
    let column = format!("\"{}\".\"{}\"", dataset::Entity.table_name(), dataset::Column::SearchText.as_str());
    let mut sql = String::with_capacity(words.len() * (column.len() + 24));
    let mut patterns: Vec<sea_orm::Value> = Vec::with_capacity(words.len());
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            sql.push_str(" AND ");
        }
        // PostgreSQL numbers its placeholders; SQLite takes them in order.
        let placeholder = match backend {
            DbBackend::Postgres => format!("${}", index + 1),
            _ => "?".to_owned(),
        };
        sql.push_str(&format!("{column} LIKE {placeholder} ESCAPE '{LIKE_ESCAPE}'"));
        patterns.push(like_pattern(word).into());
    }
    Some(Expr::cust_with_values(sql, patterns))
}

/// "The data set has every one of these tags", as one subquery whatever their number (`id IN (SELECT dataset_id
/// FROM dataset_tags WHERE tag IN (...) GROUP BY dataset_id HAVING COUNT(DISTINCT tag) = <distinct tags>)`); None
/// for no tags.
fn all_tags(tags: &[String]) -> Option<SimpleExpr> {
    let distinct: BTreeSet<&str> = tags.iter().map(String::as_str).collect();
    if distinct.is_empty() {
        return None;
    }
    let wanted = i64::try_from(distinct.len()).unwrap_or(i64::MAX);
    Some(
        dataset::Column::Id.in_subquery(
            Query::select()
                .column(dataset_tag::Column::DatasetId)
                .from(dataset_tag::Entity)
                .and_where(Expr::col(dataset_tag::Column::Tag).is_in(distinct))
                .group_by_col(dataset_tag::Column::DatasetId)
                .and_having(Expr::expr(Func::count_distinct(Expr::col(dataset_tag::Column::Tag))).eq(wanted))
                .to_owned(),
        ),
    )
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

#[cfg(test)]
mod tests {
    use sea_orm::QueryTrait;

    use super::*;

    fn query(words: usize, tags: usize) -> SearchQuery {
        SearchQuery {
            words: (0..words).map(|i| format!("so'z_{i}%")).collect(),
            suppliers: vec!["stat".into()],
            tags: (0..tags).map(|i| format!("teg {i}")).collect(),
            format_offered: None,
            sort: SortKey::Name { ascending: true },
            start: 0,
            rows: 10,
        }
    }

    /// Issue 15: a condition per word made sea-query render a tree as deep as the query was long; a thousand words
    /// overflowed the stack. A hundred thousand words and tags now render on a test thread's stack, with one bound
    /// value per word and tag, on both databases.
    #[test]
    fn the_statement_does_not_deepen_with_the_number_of_words_or_tags() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let statement =
                dataset::Entity::find().filter(search_condition(&query(100_000, 100_000), backend)).build(backend);
            let values = statement.values.map_or(0, |values| values.0.len());
            // Words, tags, the tag count, the supplier and `version > 0`.
            assert_eq!(values, 200_003, "{backend:?}");
            assert_eq!(statement.sql.matches(" LIKE ").count(), 100_000);
        }
    }

    #[test]
    fn placeholders_follow_the_database() {
        let sql = |backend| dataset::Entity::find().filter(search_condition(&query(2, 0), backend)).build(backend).sql;
        let postgres = sql(DbBackend::Postgres);
        assert!(
            postgres.contains(r#""datasets"."search_text" LIKE $2 ESCAPE '!' AND "datasets"."search_text" LIKE $3"#),
            "{postgres}"
        );
        let sqlite = sql(DbBackend::Sqlite);
        assert!(
            sqlite.contains(r#""datasets"."search_text" LIKE ? ESCAPE '!' AND "datasets"."search_text" LIKE ?"#),
            "{sqlite}"
        );
    }

    #[test]
    fn like_patterns_match_their_own_special_characters_literally() {
        assert_eq!(like_pattern("50%_a!b"), "%50!%!_a!!b%");
        assert_eq!(like_pattern(""), "%%");
    }
}
