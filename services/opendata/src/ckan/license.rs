//! Licence ids (as in CKAN's default licence list) to their titles and URLs, for `license_title`/`license_url`
//! in package dictionaries and `dct:license` in DCAT. An id the portal does not know keeps its id as title and
//! has no URL.

/// A known licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct License {
    /// CKAN's id.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// Its text.
    pub url: &'static str,
    /// Whether it is an open licence (CKAN's `isopen`).
    pub open: bool,
}

const KNOWN: [License; 6] = [
    License {
        id: "cc-by-4.0",
        title: "Creative Commons Attribution 4.0",
        url: "https://creativecommons.org/licenses/by/4.0/",
        open: true,
    },
    License {
        id: "cc-by",
        title: "Creative Commons Attribution",
        url: "https://creativecommons.org/licenses/by/4.0/",
        open: true,
    },
    License {
        id: "cc-by-sa",
        title: "Creative Commons Attribution Share-Alike",
        url: "https://creativecommons.org/licenses/by-sa/4.0/",
        open: true,
    },
    License {
        id: "cc-zero",
        title: "Creative Commons CCZero",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        open: true,
    },
    License {
        id: "odc-by",
        title: "Open Data Commons Attribution License",
        url: "https://opendatacommons.org/licenses/by/",
        open: true,
    },
    License {
        id: "odc-odbl",
        title: "Open Data Commons Open Database License (ODbL)",
        url: "https://opendatacommons.org/licenses/odbl/",
        open: true,
    },
];

/// The licence with this id, when known.
pub fn license(id: &str) -> Option<License> {
    KNOWN.into_iter().find(|license| license.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_licence_is_known_and_open() {
        let known = license(crate::passport::DEFAULT_LICENSE).expect("the passport default is known");
        assert!(known.open && known.url.starts_with("https://"));
        assert_eq!(license("proprietary"), None);
    }
}
