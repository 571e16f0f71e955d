//! CKAN compatibility: the Action API (`/api/3/action/<action>`) as CKAN 2.10 answers it, so that existing CKAN
//! clients (Python `ckanapi.RemoteCKAN`, harvesters) work against the portal unchanged.
//!
//! Layout:
//! - `envelope`: the `{"help", "success", "result" | "error"}` envelope and the one mapping of every portal error
//!   to an HTTP status and error shape (CKAN's on `/api/3`, a plain JSON error elsewhere).
//! - `params`: an action's parameters, read from the query string, a JSON body or a form body.
//! - `search_query`: `package_search`'s `q`, `fq` and `sort` parsed into a repository search.
//! - `package`: the package, resource and tag dictionaries.
//! - `organization`: the organisation dictionary (a supplier).
//! - `license`: licence ids to titles and URLs.
//! - `lookup`: what the actions read: published data sets only, and package dictionaries in batches.
//! - `facets`: `search_facets` and `facets` of a search.
//! - `actions`: the actions themselves and their dispatch by name.
//! - `package_search`: the `package_search` action.

pub mod actions;
pub mod envelope;
pub mod facets;
pub mod license;
pub mod lookup;
pub mod organization;
pub mod package;
pub mod package_search;
pub mod params;
pub mod search_query;

/// The CKAN version the API imitates (reported by `status_show`).
pub const CKAN_VERSION: &str = "2.10.4";
