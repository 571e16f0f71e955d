//! Property-based tests of the parsers that take the Open Data Portal's public input (issue 15, item 7): whatever
//! a caller sends as a query string, a body, `q`, `fq` or `sort`, parsing ends in a value within the documented
//! bounds or a Validation Error naming the parameter, never a panic or a stack overflow. Inputs are drawn both as
//! arbitrary text and from the query language's own tokens (so that quoting, lists and fields are reached), and
//! parsing runs on a thread with a small stack, so that recursion growing with the input would show.

use koprik_opendata::ckan::envelope::ApiError;
use koprik_opendata::ckan::params::{Params, MAX_LIST_ITEMS, MAX_PARAMS, MAX_TEXT_CHARS};
use koprik_opendata::ckan::search_query::{self, SearchInput, MAX_ROWS, MAX_START, MAX_TERMS, MAX_TERM_CHARS};
use koprik_opendata::error::OpendataError;
use proptest::prelude::*;

/// Runs `check` on a thread with a 256 KiB stack (a test thread has 2 MiB): a parser whose depth grew with its
/// input would overflow here long before it did in a server.
fn on_a_small_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(check)
        .expect("a thread")
        .join()
        .expect("no panic and no overflow");
}

/// Text made of the search language's tokens, and some noise, joined by spaces or nothing.
fn query_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("AND".to_owned()),
        Just("OR".to_owned()),
        Just("NOT".to_owned()),
        Just("&&".to_owned()),
        Just("*:*".to_owned()),
        Just("+".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("-x".to_owned()),
        Just("organization:".to_owned()),
        Just("tags:".to_owned()),
        Just("res_format:".to_owned()),
        Just("name:".to_owned()),
        Just("capacity:public".to_owned()),
        Just("text:".to_owned()),
        "[a-z']{1,12}",
        "\\PC{1,8}",
    ];
    proptest::collection::vec((token, prop_oneof![Just(" "), Just("")]), 0..80)
        .prop_map(|parts| parts.into_iter().map(|(token, gap)| token + gap).collect())
}

/// The search's own bounds hold for whatever `parse` accepts; what it refuses names the parameter.
fn check_search(q: Option<String>, fq: Option<String>, sort: Option<String>, rows: Option<u64>, start: Option<u64>) {
    let input = SearchInput { q: q.as_deref(), fq: fq.as_deref(), sort: sort.as_deref(), rows, start };
    match search_query::parse(input) {
        Ok(parsed) => {
            assert!(parsed.query.words.len() <= 2 * MAX_TERMS, "{:?}", parsed.query.words);
            assert!(parsed.query.words.iter().all(|w| w.chars().count() <= MAX_TERM_CHARS));
            assert!(parsed.query.tags.len() <= 2 * MAX_TERMS);
            assert!(parsed.query.start <= MAX_START);
            assert!(parsed.query.rows <= MAX_ROWS);
        }
        Err(OpendataError::Invalid { field, .. }) => {
            assert!(["q", "fq", "sort", "start"].contains(&field.as_str()), "{field}");
        }
        Err(other) => panic!("not a Validation Error: {other:?}"),
    }
}

/// Every typed getter on `params` ends in a value or an error naming its key; texts and lists keep their bounds.
fn check_getters(params: &Params) {
    for key in ["q", "fq", "sort", "rows", "start", "id", "facet.field", "limit", "offset", "all_fields"] {
        if let Ok(Some(text)) = params.text(key) {
            assert!(text.chars().count() <= MAX_TEXT_CHARS);
        }
        if let Ok(list) = params.list(key) {
            assert!(list.len() <= MAX_LIST_ITEMS);
            assert!(list.iter().all(|item| item.chars().count() <= MAX_TEXT_CHARS));
        }
        let _ = params.natural(key);
        let _ = params.integer(key);
        let _ = params.boolean(key, false);
        if let Ok(Some(offset)) = params.offset("offset") {
            assert!(offset <= MAX_START);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_as_q_fq_or_sort_parses_within_bounds_or_is_refused_by_name(
        q in proptest::option::of("\\PC{0,400}"),
        fq in proptest::option::of("\\PC{0,400}"),
        sort in proptest::option::of("\\PC{0,100}"),
        rows in proptest::option::of(any::<u64>()),
        start in proptest::option::of(any::<u64>()),
    ) {
        on_a_small_stack(move || check_search(q, fq, sort, rows, start));
    }

    #[test]
    fn the_query_language_parses_within_bounds_or_is_refused_by_name(q in query_text(), fq in query_text()) {
        on_a_small_stack(move || check_search(Some(q), Some(fq), None, None, None));
    }

    #[test]
    fn any_query_string_gives_parameters_or_a_named_refusal(query in "\\PC{0,600}") {
        on_a_small_stack(move || match Params::from_query(&query) {
            Ok(params) => check_getters(&params),
            Err(ApiError::Portal(OpendataError::Invalid { field, .. })) => assert_eq!(field, "parameters"),
            Err(other) => panic!("{other:?}"),
        });
    }

    #[test]
    fn any_body_gives_parameters_or_a_clear_refusal(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        form in any::<bool>(),
    ) {
        let content_type = form.then_some("application/x-www-form-urlencoded");
        on_a_small_stack(move || {
            if let Ok(params) = Params::from_body(content_type, &body) {
                check_getters(&params);
            }
        });
    }

    #[test]
    fn json_bodies_of_any_shape_and_depth_give_parameters_or_a_clear_refusal(
        depth in 0usize..20_000,
        keys in 0usize..(2 * MAX_PARAMS),
        open in prop_oneof![Just('['), Just('{')],
    ) {
        on_a_small_stack(move || {
            let deep: String = std::iter::repeat_n(open, depth).collect();
            assert!(Params::from_body(Some("application/json"), deep.as_bytes()).is_err());
            let object = (0..keys).map(|i| format!("\"k{i}\": [{i}, \"{i}\"]")).collect::<Vec<_>>().join(",");
            let parsed = Params::from_body(Some("application/json"), format!("{{{object}}}").as_bytes());
            assert_eq!(parsed.is_ok(), keys <= MAX_PARAMS, "{keys} keys");
            if let Ok(params) = parsed {
                check_getters(&params);
            }
        });
    }
}

/// The inputs of the report and around each bound, as fixed cases beside the generated ones.
#[test]
fn the_reported_query_and_the_bounds_themselves() {
    on_a_small_stack(|| {
        let thousand: Vec<String> = (0..1000).map(|i| format!("so{i:03}")).collect();
        let error = search_query::parse(SearchInput { q: Some(&thousand.join(" ")), ..Default::default() })
            .expect_err("too many terms");
        assert!(error.to_string().starts_with("q: "), "{error}");
        let at = thousand[..MAX_TERMS].join(" ");
        let parsed = search_query::parse(SearchInput { q: Some(&at), ..Default::default() }).expect("at the bound");
        assert_eq!(parsed.query.words.len(), MAX_TERMS);
        let list = format!("organization:({})", thousand[..=MAX_TERMS].join(" OR "));
        assert!(search_query::parse(SearchInput { fq: Some(&list), ..Default::default() }).is_err());
        let long = "x".repeat(MAX_TERM_CHARS + 1);
        assert!(search_query::parse(SearchInput { q: Some(&long), ..Default::default() }).is_err());
        let sorts = ["name asc"; 9].join(",");
        assert!(search_query::parse(SearchInput { sort: Some(&sorts), ..Default::default() }).is_err());
        assert!(search_query::parse(SearchInput { start: Some(MAX_START + 1), ..Default::default() }).is_err());
    });
}
