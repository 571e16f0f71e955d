//! DCAT catalogue metadata (DCAT 3 / DCAT-AP vocabulary) as Turtle and JSON-LD, so harvesters such as
//! data.europa.eu can read the portal's data sets.
//!
//! The caller fills plain structs; both writers serialise the same graph. Texts are language-tagged literals
//! with the BCP 47 tags `uz-Latn`, `ru` and `en` (a blank text is left out). Times are `xsd:dateTime` in UTC.
//! Identifiers must be absolute IRIs; characters an IRI may not hold (spaces, `<>"{}|^` and the like) are
//! percent-encoded. Vocabulary values may be given as EU authority codes or as full IRIs: a frequency `ANNUAL`
//! becomes `http://publications.europa.eu/resource/authority/frequency/ANNUAL`, a format `CSV` becomes
//! `http://publications.europa.eu/resource/authority/file-type/CSV`, and a media type `text/csv` (parameters
//! dropped) becomes `https://www.iana.org/assignments/media-types/text/csv`.
//!
//! For one data set's own document, pass a catalogue holding just that data set.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::FormatError;
use crate::multilingual::Multilingual;

/// The `Content-Type` of [`write_turtle`]'s output.
pub const TURTLE_MEDIA_TYPE: &str = "text/turtle; charset=utf-8";

/// The `Content-Type` of [`write_jsonld`]'s output.
pub const JSONLD_MEDIA_TYPE: &str = "application/ld+json";

/// The vocabularies used, as (prefix, namespace).
const PREFIXES: [(&str, &str); 5] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

const LANGUAGE_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/language/";
const FREQUENCY_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const FILE_TYPE_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/file-type/";
const MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";

/// The portal's catalogue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DcatCatalog {
    /// The catalogue's IRI.
    pub uri: String,
    /// Its title.
    pub title: Multilingual,
    /// What it holds.
    pub description: Multilingual,
    /// The portal's home page.
    pub homepage: String,
    /// Who runs the portal.
    pub publisher_name: Multilingual,
    /// The operator's IRI.
    pub publisher_uri: String,
    /// The data sets listed.
    pub datasets: Vec<DcatDataset>,
}

/// One data set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DcatDataset {
    /// The data set's IRI.
    pub uri: String,
    /// Its identifier (the slug).
    pub identifier: String,
    /// Its title.
    pub title: Multilingual,
    /// Its description.
    pub description: Multilingual,
    /// Keywords as (language, word); language `uz`, `ru` or `en` (another BCP 47 tag is used as given).
    pub keywords: Vec<(String, String)>,
    /// The publishing organisation's name.
    pub publisher_name: Multilingual,
    /// The publishing organisation's IRI.
    pub publisher_uri: String,
    /// Where to write about the data set.
    pub contact_email: Option<String>,
    /// When it was first published.
    pub issued: Option<DateTime<Utc>>,
    /// When it last changed.
    pub modified: Option<DateTime<Utc>>,
    /// How often it is updated: an EU frequency code (`ANNUAL`) or IRI.
    pub accrual_periodicity: Option<String>,
    /// Its page on the portal.
    pub landing_page: Option<String>,
    /// The current version's name (e.g. `3`).
    pub version: Option<String>,
    /// The IRI of the version this one replaced.
    pub previous_version_uri: Option<String>,
    /// Its downloads.
    pub distributions: Vec<DcatDistribution>,
}

/// One download of a data set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DcatDistribution {
    /// The distribution's IRI.
    pub uri: String,
    /// Its title.
    pub title: Multilingual,
    /// A page or endpoint giving access.
    pub access_url: String,
    /// The file itself.
    pub download_url: Option<String>,
    /// The IANA media type (`text/csv`; parameters are dropped).
    pub media_type: String,
    /// An EU file-type code (`CSV`, `JSON`, `XML`, `XLSX`) or IRI.
    pub format: String,
    /// The size in bytes, when known.
    pub byte_size: Option<u64>,
    /// The licence's IRI.
    pub license: Option<String>,
}

/// Writes the catalogue as Turtle.
pub fn write_turtle(catalog: &DcatCatalog, mut output: impl Write) -> Result<(), FormatError> {
    let graph = graph(catalog)?;
    let mut out = Vec::new();
    for (prefix, namespace) in PREFIXES {
        writeln!(out, "@prefix {prefix}: <{namespace}> .")?;
    }
    for resource in &graph {
        out.push(b'\n');
        write_turtle_resource(&mut out, resource, 1)?;
        out.extend_from_slice(b" .\n");
    }
    output.write_all(&out)?;
    output.flush()?;
    Ok(())
}

/// Writes the catalogue as JSON-LD: an inline `@context` (nothing is fetched) and a `@graph`.
pub fn write_jsonld(catalog: &DcatCatalog, mut output: impl Write) -> Result<(), FormatError> {
    let graph = graph(catalog)?;
    let context: Map<String, Value> =
        PREFIXES.iter().map(|(prefix, namespace)| (prefix.to_string(), json!(namespace))).collect();
    let document = json!({ "@context": context, "@graph": graph.iter().map(jsonld_resource).collect::<Vec<_>>() });
    serde_json::to_writer_pretty(&mut output, &document).map_err(std::io::Error::from)?;
    output.write_all(b"\n")?;
    output.flush()?;
    Ok(())
}

/// A subject with its class and properties; `id` `None` is a blank node nested in its parent.
#[derive(Debug)]
struct Resource {
    id: Option<String>,
    class: &'static str,
    properties: Vec<(&'static str, Term)>,
}

/// An object of a property.
#[derive(Debug)]
enum Term {
    Iri(String),
    Text { text: String, language: String },
    Plain(String),
    Typed { lexical: String, datatype: &'static str },
    Node(Resource),
}

impl Resource {
    fn new(id: Option<String>, class: &'static str) -> Self {
        Resource { id, class, properties: Vec::new() }
    }

    fn add(&mut self, predicate: &'static str, term: Term) {
        self.properties.push((predicate, term));
    }

    /// One literal per language with text.
    fn add_texts(&mut self, predicate: &'static str, texts: &Multilingual) {
        for code in ["uz", "ru", "en"] {
            let text = texts.get(code);
            if !text.trim().is_empty() {
                self.add(predicate, Term::Text { text: text.into(), language: language_tag(code).into() });
            }
        }
    }

    fn add_time(&mut self, predicate: &'static str, time: Option<&DateTime<Utc>>) {
        if let Some(time) = time {
            let lexical = time.to_rfc3339_opts(SecondsFormat::Secs, true);
            self.add(predicate, Term::Typed { lexical, datatype: "xsd:dateTime" });
        }
    }

    fn add_iri(&mut self, predicate: &'static str, value: Option<&str>) -> Result<(), FormatError> {
        if let Some(value) = value {
            self.add(predicate, Term::Iri(iri(value)?));
        }
        Ok(())
    }
}

/// The catalogue as resources: the catalogue, each data set followed by its distributions, then each
/// publisher once.
fn graph(catalog: &DcatCatalog) -> Result<Vec<Resource>, FormatError> {
    let mut resources = Vec::new();
    let mut publishers: Vec<(&str, &Multilingual)> = vec![(&catalog.publisher_uri, &catalog.publisher_name)];

    let mut head = Resource::new(Some(iri(&catalog.uri)?), "dcat:Catalog");
    head.add_texts("dct:title", &catalog.title);
    head.add_texts("dct:description", &catalog.description);
    head.add_iri("foaf:homepage", Some(&catalog.homepage))?;
    head.add_iri("dct:publisher", Some(&catalog.publisher_uri))?;
    for code in ["UZB", "RUS", "ENG"] {
        head.add("dct:language", Term::Iri(format!("{LANGUAGE_AUTHORITY}{code}")));
    }
    for dataset in &catalog.datasets {
        head.add_iri("dcat:dataset", Some(&dataset.uri))?;
    }
    resources.push(head);

    for dataset in &catalog.datasets {
        resources.push(dataset_resource(dataset)?);
        for distribution in &dataset.distributions {
            resources.push(distribution_resource(distribution)?);
        }
        publishers.push((&dataset.publisher_uri, &dataset.publisher_name));
    }

    let mut seen = BTreeSet::new();
    for (uri, name) in publishers {
        if seen.insert(uri) {
            let mut agent = Resource::new(Some(iri(uri)?), "foaf:Agent");
            agent.add_texts("foaf:name", name);
            resources.push(agent);
        }
    }
    Ok(resources)
}

fn dataset_resource(dataset: &DcatDataset) -> Result<Resource, FormatError> {
    let mut resource = Resource::new(Some(iri(&dataset.uri)?), "dcat:Dataset");
    resource.add("dct:identifier", Term::Plain(dataset.identifier.clone()));
    resource.add_texts("dct:title", &dataset.title);
    resource.add_texts("dct:description", &dataset.description);
    for (language, keyword) in &dataset.keywords {
        resource.add("dcat:keyword", Term::Text { text: keyword.clone(), language: language_tag(language).into() });
    }
    resource.add_iri("dct:publisher", Some(&dataset.publisher_uri))?;
    if let Some(email) = &dataset.contact_email {
        let mut contact = Resource::new(None, "vcard:Organization");
        contact.add_texts("vcard:fn", &dataset.publisher_name);
        contact.add("vcard:hasEmail", Term::Iri(iri(&format!("mailto:{email}"))?));
        resource.add("dcat:contactPoint", Term::Node(contact));
    }
    resource.add_time("dct:issued", dataset.issued.as_ref());
    resource.add_time("dct:modified", dataset.modified.as_ref());
    let frequency = dataset.accrual_periodicity.as_deref().map(|code| authority(FREQUENCY_AUTHORITY, code));
    resource.add_iri("dct:accrualPeriodicity", frequency.as_deref())?;
    resource.add_iri("dcat:landingPage", dataset.landing_page.as_deref())?;
    if let Some(version) = &dataset.version {
        resource.add("dcat:version", Term::Plain(version.clone()));
    }
    resource.add_iri("dcat:previousVersion", dataset.previous_version_uri.as_deref())?;
    for distribution in &dataset.distributions {
        resource.add_iri("dcat:distribution", Some(&distribution.uri))?;
    }
    Ok(resource)
}

fn distribution_resource(distribution: &DcatDistribution) -> Result<Resource, FormatError> {
    let mut resource = Resource::new(Some(iri(&distribution.uri)?), "dcat:Distribution");
    resource.add_texts("dct:title", &distribution.title);
    resource.add_iri("dcat:accessURL", Some(&distribution.access_url))?;
    resource.add_iri("dcat:downloadURL", distribution.download_url.as_deref())?;
    let essence = distribution.media_type.split(';').next().unwrap_or_default().trim();
    resource.add_iri("dcat:mediaType", Some(&authority(MEDIA_TYPES, essence)))?;
    resource.add_iri("dct:format", Some(&authority(FILE_TYPE_AUTHORITY, &distribution.format.to_uppercase())))?;
    if let Some(size) = distribution.byte_size {
        resource.add("dcat:byteSize", Term::Typed { lexical: size.to_string(), datatype: "xsd:nonNegativeInteger" });
    }
    resource.add_iri("dct:license", distribution.license.as_deref())?;
    Ok(resource)
}

/// The BCP 47 tag of a portal language code.
fn language_tag(code: &str) -> &str {
    match code {
        "uz" => "uz-Latn",
        other => other,
    }
}

/// `value` if it is already an IRI, else the authority's IRI for the code.
fn authority(base: &str, value: &str) -> String {
    if value.contains(':') {
        value.into()
    } else {
        format!("{base}{value}")
    }
}

/// An absolute IRI (`scheme:...`), with the characters Turtle's IRIREF forbids percent-encoded.
fn iri(text: &str) -> Result<String, FormatError> {
    let scheme = text.split_once(':').map(|(scheme, _)| scheme).unwrap_or_default();
    let mut scheme_chars = scheme.chars();
    let is_scheme = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        return Err(FormatError::NotAnIri { iri: text.into() });
    }
    let mut encoded = String::with_capacity(text.len());
    for c in text.chars() {
        if c <= ' ' || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') || c == '\u{7f}' {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        } else {
            encoded.push(c);
        }
    }
    Ok(encoded)
}

/// `subject a class ; predicate object, object ; ...`; a blank node is written `[ ... ]` in place.
fn write_turtle_resource(out: &mut Vec<u8>, resource: &Resource, depth: usize) -> std::io::Result<()> {
    let indent = "    ".repeat(depth);
    match &resource.id {
        Some(id) => write!(out, "<{id}> a {}", resource.class)?,
        None => write!(out, "[ a {}", resource.class)?,
    }
    let mut previous = None;
    for (predicate, term) in &resource.properties {
        if previous == Some(predicate) {
            out.extend_from_slice(b", ");
        } else {
            write!(out, " ;\n{indent}{predicate} ")?;
        }
        previous = Some(predicate);
        match term {
            Term::Iri(iri) => write!(out, "<{iri}>")?,
            Term::Text { text, language } => {
                write_turtle_string(out, text);
                write!(out, "@{language}")?;
            }
            Term::Plain(text) => write_turtle_string(out, text),
            Term::Typed { lexical, datatype } => {
                write_turtle_string(out, lexical);
                write!(out, "^^{datatype}")?;
            }
            Term::Node(node) => write_turtle_resource(out, node, depth + 1)?,
        }
    }
    if resource.id.is_none() {
        write!(out, "\n{}]", "    ".repeat(depth - 1))?;
    }
    Ok(())
}

/// A double-quoted Turtle string with `\\ \" \n \r \t` and other control characters escaped.
fn write_turtle_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '\\' => out.extend_from_slice(b"\\\\"),
            '"' => out.extend_from_slice(b"\\\""),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.extend_from_slice(format!("\\u{:04X}", c as u32).as_bytes())
            }
            c => {
                let mut bytes = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut bytes).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// A resource as a JSON-LD node object; a repeated property becomes an array.
fn jsonld_resource(resource: &Resource) -> Value {
    let mut node = Map::new();
    if let Some(id) = &resource.id {
        node.insert("@id".into(), json!(id));
    }
    node.insert("@type".into(), json!(resource.class));
    for (predicate, term) in &resource.properties {
        let value = match term {
            Term::Iri(iri) => json!({ "@id": iri }),
            Term::Text { text, language } => json!({ "@value": text, "@language": language }),
            Term::Plain(text) => json!(text),
            Term::Typed { lexical, datatype } => json!({ "@value": lexical, "@type": datatype }),
            Term::Node(inner) => jsonld_resource(inner),
        };
        match node.get_mut(*predicate) {
            None => {
                node.insert(predicate.to_string(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(single) => *single = Value::Array(vec![single.take(), value]),
        }
    }
    Value::Object(node)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn catalog() -> DcatCatalog {
        let dataset = DcatDataset {
            uri: "https://data.egov.uz/dataset/ish-orinlari".into(),
            identifier: "ish-orinlari".into(),
            title: Multilingual::new("Bo'sh \"ish\" o'rinlari\nviloyatlar bo'yicha", "Вакансии", "Vacancies"),
            description: Multilingual::new("Tavsif \\ yo'l", "Описание", ""),
            keywords: vec![("uz".into(), "ish".into()), ("ru".into(), "работа".into())],
            publisher_name: Multilingual::new("Bandlik vazirligi", "Министерство занятости", "Ministry of Employment"),
            publisher_uri: "https://data.egov.uz/organization/mehnat".into(),
            contact_email: Some("open data@mehnat.uz".into()),
            issued: Utc.with_ymd_and_hms(2026, 11, 24, 4, 30, 0).single(),
            modified: None,
            accrual_periodicity: Some("MONTHLY".into()),
            landing_page: Some("https://data.egov.uz/dataset/ish-orinlari".into()),
            version: Some("3".into()),
            previous_version_uri: Some("https://data.egov.uz/dataset/ish-orinlari/version/2".into()),
            distributions: vec![DcatDistribution {
                uri: "https://data.egov.uz/dataset/ish-orinlari/version/3/csv".into(),
                title: Multilingual::new("CSV", "CSV", "CSV"),
                access_url: "https://data.egov.uz/dataset/ish-orinlari".into(),
                download_url: Some("https://data.egov.uz/api/ish-orinlari/3.csv?lang=uz&x={y}".into()),
                media_type: "text/csv; charset=utf-8".into(),
                format: "csv".into(),
                byte_size: Some(1234),
                license: None,
            }],
        };
        DcatCatalog {
            uri: "https://data.egov.uz/catalog".into(),
            title: Multilingual::new("Ochiq ma'lumotlar", "Открытые данные", "Open data"),
            description: Multilingual::new("Portal", "Портал", "Portal"),
            homepage: "https://data.egov.uz".into(),
            publisher_name: Multilingual::new("Ko'prik", "Кўприк", "Ko'prik"),
            publisher_uri: "https://data.egov.uz/organization/koprik".into(),
            datasets: vec![dataset],
        }
    }

    fn turtle(catalog: &DcatCatalog) -> String {
        let mut out = Vec::new();
        write_turtle(catalog, &mut out).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn turtle_escapes_quotes_newlines_and_backslashes() {
        let text = turtle(&catalog());
        assert!(
            text.contains(
                r#"dct:title "Bo'sh \"ish\" o'rinlari\nviloyatlar bo'yicha"@uz-Latn, "Вакансии"@ru, "Vacancies"@en ;"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"dct:description "Tavsif \\ yo'l"@uz-Latn, "Описание"@ru ;"#),
            "a blank text is left out: {text}"
        );
        let mut tricky = Vec::new();
        write_turtle_string(&mut tricky, "a\tb\rc\u{1}");
        assert_eq!(String::from_utf8(tricky).expect("utf-8"), r#""a\tb\rc\u0001""#);
    }

    #[test]
    fn turtle_types_dates_and_names_the_vocabularies() {
        let text = turtle(&catalog());
        assert!(text.starts_with("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"));
        assert!(text.contains("dct:issued \"2026-11-24T04:30:00Z\"^^xsd:dateTime ;"), "{text}");
        assert!(text
            .contains("dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY>"));
        assert!(text.contains("dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;"));
        assert!(text.contains("dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;"));
        assert!(text.contains("dcat:byteSize \"1234\"^^xsd:nonNegativeInteger"));
        assert!(text.contains("vcard:hasEmail <mailto:open%20data@mehnat.uz>\n    ]"), "{text}");
        assert!(text.contains("dcat:downloadURL <https://data.egov.uz/api/ish-orinlari/3.csv?lang=uz&x=%7By%7D> ;"));
        assert_eq!(text.matches("a foaf:Agent").count(), 2);
        assert!(text.ends_with(" .\n"));
    }

    #[test]
    fn identifiers_must_be_absolute_iris() {
        let mut relative = catalog();
        relative.datasets[0].uri = "/dataset/ish-orinlari".into();
        let error = write_turtle(&relative, Vec::new()).err();
        assert!(
            matches!(error, Some(FormatError::NotAnIri { ref iri }) if iri == "/dataset/ish-orinlari"),
            "{error:?}"
        );
        assert!(iri("1http://x").is_err());
        assert!(iri("").is_err());
        assert_eq!(iri("urn:uuid:1").ok().as_deref(), Some("urn:uuid:1"));
    }

    #[test]
    fn jsonld_holds_the_same_graph_with_an_inline_context() {
        let mut out = Vec::new();
        write_jsonld(&catalog(), &mut out).expect("writes");
        let document: Value = serde_json::from_slice(&out).expect("valid json");
        assert_eq!(document["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
        let graph = document["@graph"].as_array().expect("graph");
        let types: Vec<_> = graph.iter().map(|node| node["@type"].as_str().unwrap_or_default()).collect();
        assert_eq!(types, ["dcat:Catalog", "dcat:Dataset", "dcat:Distribution", "foaf:Agent", "foaf:Agent"]);
        let dataset = &graph[1];
        assert_eq!(
            dataset["dct:title"][0],
            json!({"@value": "Bo'sh \"ish\" o'rinlari\nviloyatlar bo'yicha", "@language": "uz-Latn"})
        );
        assert_eq!(dataset["dct:issued"], json!({"@value": "2026-11-24T04:30:00Z", "@type": "xsd:dateTime"}));
        assert_eq!(dataset["dct:identifier"], "ish-orinlari");
        assert_eq!(
            dataset["dcat:distribution"],
            json!({"@id": "https://data.egov.uz/dataset/ish-orinlari/version/3/csv"})
        );
        assert_eq!(dataset["dcat:contactPoint"]["vcard:hasEmail"], json!({"@id": "mailto:open%20data@mehnat.uz"}));
        assert_eq!(graph[0]["dct:language"].as_array().map(Vec::len), Some(3));
    }
}
