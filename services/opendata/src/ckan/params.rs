//! An action's parameters, read the way CKAN 2.10 reads them: from the query string (a key given once is a string,
//! given more often a list), from a JSON object body, or from a form body (where a single key with the value `1`
//! or nothing is itself a JSON object, as some old clients send). Body values override query values.
//!
//! The typed getters apply CKAN's validators and fail with a Validation Error naming the parameter.
//!
//! Every parameter is public input and bounded: at most [`MAX_PARAMS`] parameters a call (query string and body
//! each), a text value at most [`MAX_TEXT_CHARS`] characters, a list at most [`MAX_LIST_ITEMS`] items. Beyond a
//! bound the answer is a Validation Error naming the parameter (or `parameters`) and the bound.

use serde_json::{Map, Value};

use super::envelope::ApiError;

/// The most parameters a query string or a body may carry (a key given again counts again). CKAN's actions take
/// at most a dozen.
pub const MAX_PARAMS: usize = 64;

/// The longest text parameter, in characters: room for a `q` of [`super::search_query::MAX_TERMS`] ordinary
/// terms, far beyond any id, name or sort.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The most items of a list parameter (`facet.field` names at most the five facet fields).
pub const MAX_LIST_ITEMS: usize = 10;

fn too_many_params() -> ApiError {
    ApiError::invalid("parameters", format!("at most {MAX_PARAMS} parameters are allowed"))
}

/// `text` when it is at most [`MAX_TEXT_CHARS`] characters long.
fn bounded<'a>(key: &str, text: &'a str) -> Result<&'a str, ApiError> {
    if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(ApiError::invalid(key, format!("must be at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(text)
}

/// The parameters of one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Map<String, Value>);

impl Params {
    /// Parameters from a query string (`a=1&b=2&b=3`); more than [`MAX_PARAMS`] are refused.
    pub fn from_query(query: &str) -> Result<Self, ApiError> {
        let pairs = form_urlencoded::parse(query.as_bytes());
        if pairs.clone().nth(MAX_PARAMS).is_some() {
            return Err(too_many_params());
        }
        Ok(Self(mixed(pairs)))
    }

    /// Parameters from a request body: form-encoded when the content type says so, else a JSON object; an empty
    /// body has none.
    pub fn from_body(content_type: Option<&str>, body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let is_form = content_type
            .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if is_form {
            if form_urlencoded::parse(body).nth(MAX_PARAMS).is_some() {
                return Err(too_many_params());
            }
            let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
            if let [(key, value)] = pairs.as_slice() {
                if value.is_empty() || value == "1" {
                    return Self::from_json(key.as_bytes());
                }
            }
            return Ok(Self(mixed(pairs.into_iter().map(|(k, v)| (k.into(), v.into())))));
        }
        Self::from_json(body)
    }

    fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) if map.len() > MAX_PARAMS => Err(too_many_params()),
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(ApiError::BadRequest(format!(
                "Bad request data: Request data JSON decoded to {other} but it needs to be a dictionary."
            ))),
            Err(error) => Err(ApiError::BadRequest(format!("JSON Error: {error}"))),
        }
    }

    /// `other`'s values replace these.
    pub fn merge(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// A value as given.
    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A text parameter (numbers and booleans are taken as their text) of at most [`MAX_TEXT_CHARS`] characters.
    /// A list is refused.
    pub fn text(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(bounded(key, text)?.to_owned())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
            Some(_) => Err(ApiError::invalid(key, "must be a single text value")),
        }
    }

    /// A whole number of at least zero (CKAN's `natural_number_validator`).
    pub fn natural(&self, key: &str) -> Result<Option<u64>, ApiError> {
        Ok(match self.integer(key)? {
            None => None,
            Some(value) => Some(u64::try_from(value).map_err(|_| ApiError::invalid(key, "Must be a natural number"))?),
        })
    }

    /// An offset into a list (`start`, `offset`): a natural number of at most
    /// [`super::search_query::MAX_START`].
    pub fn offset(&self, key: &'static str) -> Result<Option<u64>, ApiError> {
        match self.natural(key)? {
            None => Ok(None),
            Some(offset) => Ok(Some(super::search_query::check_start(key, offset)?)),
        }
    }

    /// A whole number (CKAN's `int_validator`).
    pub fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::invalid(key, "Invalid integer");
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    /// A flag (CKAN's `asbool`: true/yes/on/y/t/1 and false/no/off/n/f/0, any case); `default` when absent.
    pub fn boolean(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.raw(key) {
            None => Ok(default),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(Value::Number(number)) if number.as_i64() == Some(1) => Ok(true),
            Some(Value::Number(number)) if number.as_i64() == Some(0) => Ok(false),
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "y" | "t" | "1" => Ok(true),
                "false" | "no" | "off" | "n" | "f" | "0" => Ok(false),
                "" => Ok(default),
                _ => Err(ApiError::invalid(key, "Must be a boolean (true or false)")),
            },
            Some(_) => Err(ApiError::invalid(key, "Must be a boolean (true or false)")),
        }
    }

    /// A list of texts: a JSON list, a text holding a JSON list (`["tags","organization"]`, as CKAN clients send
    /// `facet.field` in a query string), or a single text; at most [`MAX_LIST_ITEMS`] items of at most
    /// [`MAX_TEXT_CHARS`] characters.
    pub fn list(&self, key: &str) -> Result<Vec<String>, ApiError> {
        let item = |value: &Value| match value {
            Value::String(text) => Ok(bounded(key, text)?.to_owned()),
            _ => Err(ApiError::invalid(key, "must be a list of texts")),
        };
        let items = |items: &[Value]| {
            if items.len() > MAX_LIST_ITEMS {
                return Err(ApiError::invalid(key, format!("must have at most {MAX_LIST_ITEMS} items")));
            }
            items.iter().map(item).collect()
        };
        match self.raw(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(list)) => items(list),
            Some(Value::String(text)) if text.trim_start().starts_with('[') => {
                match serde_json::from_str::<Vec<Value>>(bounded(key, text)?) {
                    Ok(list) => items(&list),
                    Err(_) => Err(ApiError::invalid(key, "must be a JSON list of texts")),
                }
            }
            Some(Value::String(text)) if text.trim().is_empty() => Ok(Vec::new()),
            Some(Value::String(text)) => Ok(vec![bounded(key, text)?.to_owned()]),
            Some(_) => Err(ApiError::invalid(key, "must be a list of texts")),
        }
    }
}

/// Pairs to a map: a key given once is a text, more often a list.
fn mixed<'a>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in pairs {
        let value = Value::String(value.into_owned());
        match map.get_mut(key.as_ref()) {
            None => {
                map.insert(key.into_owned(), value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_query_key_given_twice_is_a_list() {
        let params =
            Params::from_query("q=aholi+soni&facet.field=tags&facet.field=organization&rows=5").expect("query");
        assert_eq!(params.text("q").expect("text").as_deref(), Some("aholi soni"));
        assert_eq!(params.list("facet.field").expect("list"), vec!["tags", "organization"]);
        assert_eq!(params.natural("rows").expect("natural"), Some(5));
        assert!(params.text("facet.field").is_err());
    }

    #[test]
    fn json_bodies_and_json_lists_in_text() {
        let params = Params::from_body(
            Some("application/json"),
            br#"{"rows": 3, "facet.field": "[\"tags\"]", "all_fields": true}"#,
        )
        .expect("json");
        assert_eq!(params.natural("rows").expect("natural"), Some(3));
        assert_eq!(params.list("facet.field").expect("list"), vec!["tags"]);
        assert!(params.boolean("all_fields", false).expect("bool"));
        assert!(matches!(Params::from_body(None, b"[1]"), Err(ApiError::BadRequest(_))));
        assert!(matches!(Params::from_body(None, b"{"), Err(ApiError::BadRequest(_))));
        assert_eq!(Params::from_body(None, b"  ").expect("empty"), Params::default());
    }

    #[test]
    fn form_bodies_including_a_json_key() {
        let form = Some("application/x-www-form-urlencoded; charset=utf-8");
        let params = Params::from_body(form, b"id=aholi&include_datasets=True").expect("form");
        assert_eq!(params.text("id").expect("text").as_deref(), Some("aholi"));
        assert!(params.boolean("include_datasets", false).expect("bool"));
        let params = Params::from_body(form, b"%7B%22id%22%3A+%22x%22%7D=").expect("json key");
        assert_eq!(params.raw("id"), Some(&json!("x")));
    }

    #[test]
    fn numbers_follow_ckans_validators() {
        let params = Params::from_query("a=-1&b=x&c=&d=12").expect("query");
        let field_error = |error: ApiError| error.to_string();
        assert_eq!(field_error(params.natural("a").expect_err("negative")), "a: Must be a natural number");
        assert_eq!(field_error(params.natural("b").expect_err("text")), "b: Invalid integer");
        assert_eq!(params.natural("c").expect("empty is absent"), None);
        assert_eq!(params.integer("a").expect("integer"), Some(-1));
        assert_eq!(params.natural("d").expect("natural"), Some(12));
        assert!(params.boolean("b", false).is_err());
    }

    #[test]
    fn body_values_override_query_values() {
        let mut params = Params::from_query("id=a&rows=1").expect("query");
        params.merge(Params::from_body(None, br#"{"id": "b"}"#).expect("json"));
        assert_eq!(params.text("id").expect("text").as_deref(), Some("b"));
        assert_eq!(params.natural("rows").expect("natural"), Some(1));
    }
}
