//! `package_search`'s `q`, `fq`, `sort`, `rows` and `start`, parsed into a repository search.
//!
//! The portal has no Solr; this accepts the part of Solr's syntax CKAN clients actually send:
//! - terms separated by spaces, optionally joined by `AND` and prefixed by `+` (every term must hold);
//! - a bare word or a `"quoted phrase"`: must occur, case-insensitively, in the data set's text (titles, name,
//!   supplier, descriptions, keywords);
//! - `field:value` and `field:"quoted value"` for the fields `organization` (also `owner_org`), `tags`,
//!   `res_format`, `name`, `id`, `license_id`, `text`, plus CKAN's own `capacity:public` and
//!   `dataset_type:dataset`; `organization:(a OR b)` for either of several suppliers;
//! - `*:*` (everything).
//!
//! Anything else (another field, `OR` between terms, negation, an unbalanced quote) is a Validation Error naming
//! the parameter, never a silently different result. There is no relevance score: `score` sorts as
//! `metadata_modified`, and only the first sort clause decides the order (ties go by name).
//!
//! The input is public and bounded before anything is built from it: `q` and `fq` hold at most [`MAX_TERMS`]
//! terms of at most [`MAX_TERM_CHARS`] characters each, `sort` at most [`MAX_SORT_CLAUSES`] clauses, `start` is at
//! most [`MAX_START`]; `rows` above [`MAX_ROWS`] is cut, as in CKAN. Beyond a bound the answer is a Validation
//! Error naming the parameter and the bound. Parsing is iterative (no recursion at all), and whatever it accepts
//! becomes a condition of constant depth ([`crate::repository::Repository::search`]).

use std::collections::BTreeSet;

use crate::error::OpendataError;
use crate::formats::TabularFormat;
use crate::repository::{DatasetRecord, SearchQuery, SortKey};

/// CKAN's default page size.
pub const DEFAULT_ROWS: u64 = 10;

/// CKAN's `ckan.search.rows_max`: a larger `rows` is cut to this.
pub const MAX_ROWS: u64 = 1000;

/// The most terms `q` or `fq` may hold. A word, a quoted phrase, a `field:value` term and each value of an
/// `organization:(a OR b)` list count; `AND`, `+` and `*:*` do not. Solr's own ceiling is 1024 boolean clauses; a
/// person's search has a handful of terms and a harvester's filter a few, so 32 leaves room while keeping each
/// search to a few dozen conditions (every word is a substring scan of every data set's text).
pub const MAX_TERMS: usize = 32;

/// The longest term, in characters (a phrase included); a data set's title is at most 500.
pub const MAX_TERM_CHARS: usize = 200;

/// The most sort clauses (CKAN clients send one or two; only the first decides).
pub const MAX_SORT_CLAUSES: usize = 8;

/// The largest `start`: what Solr, behind CKAN, accepts (a Java `int`), far beyond the catalogue's size, and
/// within every database's `OFFSET`.
pub const MAX_START: u64 = i32::MAX as u64;

/// CKAN's default order.
pub const DEFAULT_SORT: &str = "score desc, metadata_modified desc";

/// The fields a `field:value` term may name, for error messages.
const FIELDS: &str = "organization, tags, res_format, name, id, license_id or text";

/// What `package_search` was asked, before it is parsed.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchInput<'a> {
    /// Free text and terms.
    pub q: Option<&'a str>,
    /// Filter terms.
    pub fq: Option<&'a str>,
    /// Sort clauses.
    pub sort: Option<&'a str>,
    /// Page size.
    pub rows: Option<u64>,
    /// Offset.
    pub start: Option<u64>,
}

/// Exact matches on fields the database search does not filter on; applied to its complete result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExactFilters {
    /// URL names, each of which the data set's must equal.
    pub names: Vec<String>,
    /// Ids, each of which the data set's must equal.
    pub ids: Vec<String>,
    /// Licence ids, each of which the data set's must equal.
    pub licenses: Vec<String>,
}

impl ExactFilters {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.ids.is_empty() && self.licenses.is_empty()
    }

    /// Whether a data set passes every one.
    pub fn matches(&self, record: &DatasetRecord) -> bool {
        self.names.iter().all(|name| *name == record.passport.name)
            && self.ids.iter().all(|id| *id == record.id)
            && self.licenses.iter().all(|license| *license == record.passport.license_id)
    }
}

/// A parsed `package_search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSearch {
    /// What the repository is asked.
    pub query: SearchQuery,
    /// What is checked on its result.
    pub exact: ExactFilters,
    /// The terms contradict each other (two different organisations, `capacity:private`): nothing matches.
    pub matches_nothing: bool,
    /// The sort as given (CKAN echoes it in the result).
    pub sort: String,
}

/// Parses a `package_search` request.
pub fn parse(input: SearchInput<'_>) -> Result<ParsedSearch, OpendataError> {
    let mut criteria = Criteria::default();
    if let Some(q) = input.q {
        criteria.apply(q, "q")?;
    }
    if let Some(fq) = input.fq {
        criteria.apply(fq, "fq")?;
    }
    let sort_text = input.sort.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_SORT);
    let sort = parse_sort(sort_text)?;
    let start = check_start("start", input.start.unwrap_or(0))?;
    let organizations = criteria.organizations.unwrap_or_default();
    let matches_nothing = criteria.nothing || criteria.organization_given && organizations.is_empty();
    Ok(ParsedSearch {
        query: SearchQuery {
            words: criteria.words,
            suppliers: organizations.into_iter().collect(),
            tags: criteria.tags,
            format_offered: criteria.format_offered,
            sort,
            start,
            rows: input.rows.unwrap_or(DEFAULT_ROWS).min(MAX_ROWS),
        },
        exact: criteria.exact,
        matches_nothing,
        sort: sort_text.to_owned(),
    })
}

/// `start` (or an action's `offset`, named by `param`) when it is at most [`MAX_START`].
pub fn check_start(param: &'static str, start: u64) -> Result<u64, OpendataError> {
    if start > MAX_START {
        return Err(OpendataError::invalid(param, format!("Must be at most {MAX_START}")));
    }
    Ok(start)
}

/// Parses CKAN sort clauses (`name asc, metadata_modified desc`); the first decides the order.
pub fn parse_sort(text: &str) -> Result<SortKey, OpendataError> {
    let mut first = None;
    for (index, clause) in text.split(',').enumerate() {
        if index == MAX_SORT_CLAUSES {
            return Err(OpendataError::invalid("sort", format!("at most {MAX_SORT_CLAUSES} clauses are allowed")));
        }
        let parts: Vec<&str> = clause.split_whitespace().collect();
        let [field, direction] = parts.as_slice() else {
            return Err(OpendataError::invalid(
                "sort",
                format!("{:?} must be a field and a direction, e.g. \"metadata_modified desc\"", clause.trim()),
            ));
        };
        let ascending = match direction.to_ascii_lowercase().as_str() {
            "asc" => true,
            "desc" => false,
            _ => return Err(OpendataError::invalid("sort", format!("direction {direction:?} must be asc or desc"))),
        };
        let key = match *field {
            "score" | "metadata_modified" => SortKey::Modified { ascending },
            // Ids are UUIDv7, in creation order (CKAN harvesters page with `id asc`).
            "metadata_created" | "id" => SortKey::Created { ascending },
            "name" => SortKey::Name { ascending },
            "title_string" => SortKey::Title { ascending },
            other => {
                return Err(OpendataError::invalid(
                    "sort",
                    format!(
                        "cannot sort by {other:?}: use score, metadata_modified, metadata_created, id, name or title_string"
                    ),
                ))
            }
        };
        first.get_or_insert(key);
    }
    first.ok_or_else(|| OpendataError::invalid("sort", "is empty"))
}

/// The conditions gathered from `q` and `fq`.
#[derive(Debug, Default)]
struct Criteria {
    words: Vec<String>,
    /// The suppliers still allowed (the intersection of every organisation term).
    organizations: Option<BTreeSet<String>>,
    organization_given: bool,
    tags: Vec<String>,
    format_offered: Option<bool>,
    exact: ExactFilters,
    nothing: bool,
}

/// Counts the terms of one parameter against [`MAX_TERMS`] and [`MAX_TERM_CHARS`].
struct TermBudget {
    param: &'static str,
    used: usize,
}

impl TermBudget {
    fn new(param: &'static str) -> Self {
        Self { param, used: 0 }
    }

    /// Takes one term, refusing it when it is too long or one too many.
    fn take(&mut self, term: &str) -> Result<(), OpendataError> {
        self.used += 1;
        if self.used > MAX_TERMS {
            return Err(OpendataError::invalid(
                self.param,
                format!("has more than {MAX_TERMS} terms; at most {MAX_TERMS} are allowed"),
            ));
        }
        if term.chars().nth(MAX_TERM_CHARS).is_some() {
            let start: String = term.chars().take(20).collect();
            return Err(OpendataError::invalid(
                self.param,
                format!("the term starting {start:?} is longer than {MAX_TERM_CHARS} characters"),
            ));
        }
        Ok(())
    }
}

impl Criteria {
    fn apply(&mut self, text: &str, param: &'static str) -> Result<(), OpendataError> {
        let mut budget = TermBudget::new(param);
        for raw in tokens(text, param)? {
            match raw.as_str() {
                "AND" | "&&" | "*:*" | "*" | "+" => continue,
                "OR" | "||" | "NOT" => {
                    return Err(OpendataError::invalid(param, "only AND is supported between terms"))
                }
                _ => {}
            }
            let term = raw.strip_prefix('+').unwrap_or(&raw);
            let split = split_field(term);
            // A list's values are counted one by one (in `values`); anything else is one term.
            if !split.is_some_and(|(_, value)| value.starts_with('(')) {
                budget.take(term)?;
            }
            if term.len() > 1 && (term.starts_with('-') || term.starts_with('!')) {
                return Err(OpendataError::invalid(param, format!("negation ({term}) is not supported")));
            }
            match split {
                Some((field, value)) => self.field(param, field, value, &mut budget)?,
                None => self.word(&unquote(term)),
            }
        }
        Ok(())
    }

    fn word(&mut self, word: &str) {
        let word = word.trim().to_lowercase();
        if !word.is_empty() {
            self.words.push(word);
        }
    }

    fn field(
        &mut self,
        param: &'static str,
        field: &str,
        value: &str,
        budget: &mut TermBudget,
    ) -> Result<(), OpendataError> {
        let values = values(value, param, field, budget)?;
        let single = || match values.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(OpendataError::invalid(
                param,
                format!("{field}: a list (a OR b) is supported for organization only"),
            )),
        };
        match field {
            "organization" | "owner_org" => {
                let allowed: BTreeSet<String> = values.iter().cloned().collect();
                self.organization_given = true;
                self.organizations = Some(match self.organizations.take() {
                    None => allowed,
                    Some(current) => current.intersection(&allowed).cloned().collect(),
                });
            }
            "tags" => self.tags.push(single()?.to_lowercase()),
            "res_format" => {
                let offered = TabularFormat::parse(&single()?).is_some();
                self.format_offered = Some(self.format_offered.unwrap_or(true) && offered);
            }
            "name" => self.exact.names.push(single()?),
            "id" => self.exact.ids.push(single()?),
            "license_id" => self.exact.licenses.push(single()?),
            "text" => self.word(&single()?),
            "capacity" => self.nothing |= single()? != "public",
            "dataset_type" | "type" => self.nothing |= single()? != "dataset",
            other => {
                return Err(OpendataError::invalid(param, format!("unknown field {other:?}: use {FIELDS}")));
            }
        }
        Ok(())
    }
}

/// Splits `field:value` when the part before the first colon is a field name.
fn split_field(term: &str) -> Option<(&str, &str)> {
    let (field, value) = term.split_once(':')?;
    let mut chars = field.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    (starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')).then_some((field, value))
}

/// A field's value: one (possibly quoted) value, or `(a OR b ...)` (each value of which is a term of `budget`).
fn values(
    value: &str,
    param: &'static str,
    field: &str,
    budget: &mut TermBudget,
) -> Result<Vec<String>, OpendataError> {
    let needs_value = || OpendataError::invalid(param, format!("{field}: needs a value"));
    let Some(inner) = value.strip_prefix('(').and_then(|v| v.strip_suffix(')')) else {
        budget.take(value)?;
        let value = unquote(value);
        return if value.is_empty() { Err(needs_value()) } else { Ok(vec![value]) };
    };
    let mut values = Vec::new();
    for raw in tokens(inner, param)? {
        match raw.as_str() {
            "OR" | "||" => continue,
            "AND" | "&&" | "NOT" => {
                return Err(OpendataError::invalid(param, format!("{field}: only OR is supported inside (...)")))
            }
            _ => {
                budget.take(&raw)?;
                values.push(unquote(&raw));
            }
        }
    }
    values.retain(|v| !v.is_empty());
    if values.is_empty() {
        return Err(needs_value());
    }
    Ok(values)
}

/// Removes surrounding quotes and backslash escapes.
fn unquote(text: &str) -> String {
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Splits on whitespace outside quotes and parentheses; a backslash escapes the next character.
fn tokens(text: &str, param: &'static str) -> Result<Vec<String>, OpendataError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(tokens);
        }
        let mut token = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            token.push(c);
            match c {
                '\\' => token.extend(chars.next()),
                '"' => read_until(&mut chars, &mut token, '"', param)?,
                '(' => read_until(&mut chars, &mut token, ')', param)?,
                ')' => return Err(OpendataError::invalid(param, "unbalanced parenthesis")),
                _ => {}
            }
        }
        tokens.push(token);
    }
}

/// Copies characters into `token` up to and including `end` (quotes inside parentheses are kept whole).
fn read_until(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    token: &mut String,
    end: char,
    param: &'static str,
) -> Result<(), OpendataError> {
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        token.push(c);
        match c {
            '\\' => token.extend(chars.next()),
            '"' if end == ')' => in_quotes = !in_quotes,
            '(' if end == ')' && !in_quotes => {
                return Err(OpendataError::invalid(param, "nested parentheses are not supported"))
            }
            c if c == end && !in_quotes => return Ok(()),
            _ => {}
        }
    }
    Err(OpendataError::invalid(param, if end == '"' { "unbalanced quote" } else { "unbalanced parenthesis" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(q: &str, fq: &str) -> Result<ParsedSearch, OpendataError> {
        parse(SearchInput { q: Some(q), fq: Some(fq), ..SearchInput::default() })
    }

    fn field_of(error: OpendataError) -> (String, String) {
        match error {
            OpendataError::Invalid { field, rule } => (field, rule),
            other => panic!("not a field error: {other}"),
        }
    }

    #[test]
    fn defaults_are_ckans() {
        let parsed = parse(SearchInput::default()).expect("parses");
        assert_eq!(parsed.query.rows, 10);
        assert_eq!(parsed.query.start, 0);
        assert_eq!(parsed.query.sort, SortKey::Modified { ascending: false });
        assert_eq!(parsed.sort, DEFAULT_SORT);
        assert!(parsed.query.words.is_empty() && !parsed.matches_nothing && parsed.exact.is_empty());
    }

    #[test]
    fn rows_above_the_maximum_are_cut() {
        let parsed =
            parse(SearchInput { rows: Some(5000), start: Some(20), ..SearchInput::default() }).expect("parses");
        assert_eq!((parsed.query.rows, parsed.query.start), (1000, 20));
    }

    #[test]
    fn words_are_lowercased_and_phrases_kept_whole() {
        let parsed = search("Aholi  \"Toshkent shahri\" *:* AND Soni", "").expect("parses");
        assert_eq!(parsed.query.words, vec!["aholi", "toshkent shahri", "soni"]);
    }

    #[test]
    fn fq_terms_with_plus_and_quotes() {
        let parsed =
            search("", "+organization:stat AND tags:\"ish o'rinlari\" +res_format:csv tags:Aholi").expect("parses");
        assert_eq!(parsed.query.suppliers, vec!["stat"]);
        assert_eq!(parsed.query.tags, vec!["ish o'rinlari", "aholi"]);
        assert_eq!(parsed.query.format_offered, Some(true));
    }

    #[test]
    fn field_terms_work_in_q_too() {
        let parsed = search("aholi organization:stat name:aholi-soni", "capacity:public").expect("parses");
        assert_eq!(parsed.query.words, vec!["aholi"]);
        assert_eq!(parsed.query.suppliers, vec!["stat"]);
        assert_eq!(parsed.exact.names, vec!["aholi-soni"]);
        assert!(!parsed.matches_nothing);
    }

    #[test]
    fn a_format_not_offered_matches_nothing() {
        assert_eq!(search("", "res_format:PDF").expect("parses").query.format_offered, Some(false));
        assert_eq!(search("", "res_format:XLSX res_format:PDF").expect("parses").query.format_offered, Some(false));
    }

    #[test]
    fn organizations_intersect_and_or_lists_union() {
        let parsed = search("", "organization:(stat OR \"mehnat\")").expect("parses");
        assert_eq!(parsed.query.suppliers, vec!["mehnat", "stat"]);
        assert!(!parsed.matches_nothing);
        assert!(search("", "organization:stat AND organization:mehnat").expect("parses").matches_nothing);
        assert!(search("", "capacity:private").expect("parses").matches_nothing);
    }

    #[test]
    fn unknown_fields_are_named() {
        let (field, rule) = field_of(search("", "groups:x").expect_err("refused"));
        assert_eq!(field, "fq");
        assert!(rule.contains("\"groups\""), "{rule}");
        let (field, _) = field_of(search("maintainer:x", "").expect_err("refused"));
        assert_eq!(field, "q");
    }

    #[test]
    fn unsupported_syntax_is_refused_not_ignored() {
        for (q, why) in [
            ("a OR b", "only AND"),
            ("-tags:x", "negation"),
            ("\"open", "unbalanced quote"),
            ("tags:(a OR b)", "organization only"),
            ("organization:(a AND b)", "only OR"),
            ("organization:", "needs a value"),
            ("a)", "unbalanced parenthesis"),
        ] {
            let (field, rule) = field_of(search(q, "").expect_err(q));
            assert_eq!(field, "q");
            assert!(rule.contains(why), "{q}: {rule}");
        }
    }

    #[test]
    fn sort_clauses() {
        let sort = |text| parse_sort(text);
        assert_eq!(sort("name desc").expect("sorts"), SortKey::Name { ascending: false });
        assert_eq!(sort("title_string asc").expect("sorts"), SortKey::Title { ascending: true });
        assert_eq!(sort("metadata_created DESC, name asc").expect("sorts"), SortKey::Created { ascending: false });
        assert_eq!(sort("score desc, metadata_modified desc").expect("sorts"), SortKey::Modified { ascending: false });
        for bad in ["views_recent desc", "name", "name up", "name asc,", ""] {
            let (field, _) = field_of(sort(bad).expect_err(bad));
            assert_eq!(field, "sort", "{bad}");
        }
        let parsed = parse(SearchInput { sort: Some("name asc"), ..SearchInput::default() }).expect("parses");
        assert_eq!(parsed.sort, "name asc");
    }

    #[test]
    fn exact_filters_check_every_value() {
        let parsed = search("", "name:a name:b").expect("parses");
        assert_eq!(parsed.exact.names, vec!["a", "b"]);
        assert!(!parsed.exact.is_empty());
    }
}
