//! Keyset paging for list calls: pages are ordered by primary key and the token is the last key returned.

use koprik_proto::common::PageRequest;
use koprik_proto::FieldError;

/// Items per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// The most items a page may hold.
pub const MAX_PAGE_SIZE: u64 = 500;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// How many items at most.
    pub size: u64,
    /// Return keys strictly after this one.
    pub after: Option<String>,
}

impl Page {
    /// The page asked for, or the first page of default size when absent.
    pub fn from_request(request: Option<&PageRequest>) -> Result<Self, FieldError> {
        let Some(request) = request else {
            return Ok(Self { size: DEFAULT_PAGE_SIZE, after: None });
        };
        let size = match u64::try_from(request.page_size) {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(size) if size <= MAX_PAGE_SIZE => size,
            _ => return Err(FieldError::new("page.page_size", format!("must be between 0 and {MAX_PAGE_SIZE}"))),
        };
        let after = Some(request.page_token.clone()).filter(|t| !t.is_empty());
        Ok(Self { size, after })
    }

    /// The token for the next page: the last key, when the page came back full.
    pub fn next_token(&self, returned: usize, last_key: Option<&str>) -> String {
        match last_key {
            Some(key) if returned as u64 == self.size => key.to_owned(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bounded() {
        let page = |size| Page::from_request(Some(&PageRequest { page_size: size, page_token: String::new() }));
        assert_eq!(page(0).expect("default").size, DEFAULT_PAGE_SIZE);
        assert_eq!(page(10).expect("ten").size, 10);
        assert_eq!(page(-1).expect_err("negative").field, "page.page_size");
        assert!(page(501).is_err());
    }

    #[test]
    fn a_full_page_has_a_next_token() {
        let page = Page { size: 2, after: None };
        assert_eq!(page.next_token(2, Some("b")), "b");
        assert_eq!(page.next_token(1, Some("a")), "");
    }
}
