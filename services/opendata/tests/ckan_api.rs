//! The public HTTP API over real HTTP/1.1: CKAN's Action API called the way `ckanapi.RemoteCKAN` calls it (POST
//! JSON to `/api/action/<name>`) and the way browsers and scripts do (GET `/api/3/action/<name>?...`), downloads
//! in every format, DCAT, messages, proposals, statistics, API keys and the anonymous rate limit (OD §8, §21).
//!
//! The router is served on its own (no broker needed): a migrated test database, a version store in a temporary
//! directory, thirteen published data sets of two suppliers and one unpublished draft.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use koprik_kafka::topics::{EXCHANGE_USAGE, OPENDATA_NOTIFICATIONS};
use koprik_opendata::config::{AccessConfig, FeedbackConfig};
use koprik_opendata::http::{router, HttpState};
use koprik_opendata::multilingual::Multilingual;
use koprik_opendata::passport::{Keywords, Passport};
use koprik_opendata::publishing::Publisher;
use koprik_opendata::repository::{ContractState, PositionedContract, Repository};
use koprik_opendata::structure::{Field, FieldType, Structure};
use koprik_opendata::supplier::{ResponsiblePerson, Supplier};
use koprik_opendata::update_frequency::UpdateFrequency;
use koprik_opendata::version_store::VersionStore;
use koprik_opendata::wire::Links;
use koprik_proto::events::UsageRecord;
use koprik_proto::prost::Message as _;
use koprik_testkit::TestDatabase;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client (one request per connection, chunked bodies decoded).

/// One response.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").expect("a chunk size line");
        let size_text = std::str::from_utf8(&data[..line_end]).expect("ascii size");
        let size = usize::from_str_radix(size_text.split(';').next().expect("size").trim(), 16).expect("hex size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("the portal listens");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some((content_type, bytes)) = &body {
        head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", bytes.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("request written");
    if let Some((_, bytes)) = &body {
        stream.write_all(bytes).await.expect("body written");
    }
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("the response arrives in time")
        .expect("the response is read");
    let split = find(&raw, b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8(raw[..split].to_vec()).expect("ascii headers");
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("status line").split(' ').nth(1).expect("status code").parse().expect("number");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut reply = Reply { status, headers, body: raw[split + 4..].to_vec() };
    if reply.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        reply.body = dechunk(&reply.body);
    }
    reply
}

async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], None).await
}

async fn post_json(addr: SocketAddr, path: &str, value: &Value) -> Reply {
    request(addr, "POST", path, &[], Some(("application/json", value.to_string().into_bytes()))).await
}

/// An action called exactly as `ckanapi.RemoteCKAN.call_action` calls it.
async fn ckanapi(addr: SocketAddr, action: &str, params: Value) -> Reply {
    post_json(addr, &format!("/api/action/{action}"), &params).await
}

/// The `result` of a successful action.
async fn result(addr: SocketAddr, action: &str, params: Value) -> Value {
    let reply = ckanapi(addr, action, params.clone()).await;
    let body = reply.json();
    assert_eq!(reply.status, 200, "{action} {params}: {body}");
    assert_eq!(body["success"], json!(true));
    body["result"].clone()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn names(results: &Value) -> Vec<String> {
    results.as_array().expect("a list").iter().map(|p| p["name"].as_str().expect("a name").to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// The world: suppliers, data sets, versions, a key, and the router served on port 0.

struct World {
    addr: SocketAddr,
    repository: Repository,
    publisher: Publisher,
    /// The uploaded (already canonical) CSV of each data set's version 1.
    csv: HashMap<String, Vec<u8>>,
    /// A live API key's secret.
    secret: String,
    /// The conversion permits the router hands out (two).
    conversions: Arc<tokio::sync::Semaphore>,
    _db: TestDatabase,
    _storage: tempfile::TempDir,
}

fn supplier(name: &str, member: &str, title: &str, domain: &str) -> Supplier {
    let supplier = Supplier {
        name: name.into(),
        member: member.into(),
        title: Multilingual::new(title, format!("{title} (ru)"), format!("{title} (en)")),
        domain: domain.into(),
        responsible: ResponsiblePerson {
            full_name: "Karimova Dilnoza".into(),
            position: "Bo'lim boshlig'i".into(),
            phone: "+998712391234".into(),
            email: format!("opendata@{domain}"),
        },
    };
    supplier.validate().expect("a valid supplier");
    supplier
}

fn passport(index: usize) -> Passport {
    let supplier = if index % 2 == 0 { "mehnat" } else { "stat" };
    let city = if index <= 3 { "Toshkent " } else { "" };
    let mut uz = vec!["aholi".to_owned()];
    if supplier == "mehnat" {
        uz.push("ish o'rinlari".to_owned());
    }
    let mut passport = Passport {
        name: format!("ds-{index:02}"),
        supplier: supplier.into(),
        title: Multilingual::new(
            format!("{city}Ma'lumot {index:02}"),
            format!("Данные {index:02}"),
            format!("Data {index:02}"),
        ),
        description: Multilingual::new("Viloyatlar kesimida", "По регионам", "By region"),
        composition: Multilingual::new("Viloyat, yil, aholi soni", "", ""),
        methodology: Multilingual::new("Joriy hisob", "", ""),
        update_frequency: UpdateFrequency::Yearly,
        unit: "ming kishi".into(),
        related_links: vec!["https://stat.uz".into()],
        keywords: Keywords { uz, ru: vec!["население".into()], en: vec!["population".into()] },
        license_id: String::new(),
    };
    passport.validate().expect("a valid passport");
    passport
}

fn structure() -> Structure {
    let field = |name: &str, field_type, required| Field {
        name: name.into(),
        field_type,
        required,
        title: Multilingual::new(name, name, name),
        description: Multilingual::default(),
        unit: String::new(),
    };
    let structure = Structure {
        fields: vec![
            field("region", FieldType::String, true),
            field("year", FieldType::Integer, true),
            field("population", FieldType::Decimal, false),
        ],
    };
    structure.validate().expect("a valid structure");
    structure
}

fn csv_for(index: usize) -> Vec<u8> {
    format!(
        "region,year,population\nToshkent,2026,{index}000.5\n\"Samarqand, viloyat\",2026,{index}.25\nXorazm,2025,\n"
    )
    .into_bytes()
}

async fn publish(publisher: &Publisher, name: &str, csv: &[u8]) {
    let mut upload = publisher.store().begin_upload().await.expect("an upload");
    upload.write(csv).await.expect("written");
    publisher.publish(name, 1, "Yangi ma'lumotlar", upload, "supplier:UZ/GOV/201122919").await.expect("published");
}

async fn world(anonymous_per_minute: u32) -> World {
    koprik_testkit::init_logs();
    let db = TestDatabase::create().await;
    let connection = koprik_runtime::db::connect_and_migrate::<koprik_opendata::migration::Migrator>(&db.config())
        .await
        .expect("a migrated database");
    let repository = Repository::new(connection, Arc::new(tokio::sync::Notify::new()));
    let storage = tempfile::tempdir().expect("a storage directory");
    let publisher = Publisher::new(repository.clone(), VersionStore::open(storage.path()).expect("a version store"));
    let now = Utc::now();
    repository
        .register_supplier(&supplier("stat", "UZ/GOV/201122919", "Statistika agentligi", "stat.uz"), now)
        .await
        .expect("stat");
    repository
        .register_supplier(&supplier("mehnat", "UZ/GOV/201122920", "Bandlik vazirligi", "mehnat.uz"), now)
        .await
        .expect("mehnat");
    let mut csv = HashMap::new();
    for index in 1..=13 {
        let passport = passport(index);
        repository.create_dataset(&passport, false, Utc::now()).await.expect("created");
        repository.define_structure(&passport.name, &structure(), Utc::now()).await.expect("structure");
        let bytes = csv_for(index);
        publish(&publisher, &passport.name, &bytes).await;
        csv.insert(passport.name.clone(), bytes);
    }
    let mut draft = passport(14);
    draft.name = "draft".into();
    repository.create_dataset(&draft, false, Utc::now()).await.expect("draft created");
    // Billing's contract with the company, as the portal stores it from billing.contracts.
    let contract = ContractState {
        reference: "OD-2026/0001".into(),
        account: "UZ/COM/207028220".into(),
        valid_from: "2026-01-01".into(),
        valid_until: "2099-12-31".into(),
        event_id: "contract-event-1".into(),
        occurred_at: None,
    };
    let read =
        PositionedContract { topic: "billing.contracts".into(), partition: 0, offset: 0, contract: Some(contract) };
    repository.apply_contracts(&[read], Utc::now()).await.expect("the contract");
    let holder = "UZ/COM/207028220/analytics".parse().expect("a subsystem id");
    let secret = repository
        .issue_api_key("OD-2026/0001", &holder, "analytics", "operator:a.karimov", Utc::now())
        .await
        .expect("a key")
        .secret;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let conversions = Arc::new(tokio::sync::Semaphore::new(2));
    let state = HttpState {
        demand: koprik_opendata::http::DemandMetrics::default(),
        repository: repository.clone(),
        publisher: publisher.clone(),
        links: Links::new(&format!("http://{addr}")),
        access: AccessConfig {
            anonymous_per_minute,
            metered_service: "UZ/GOV/200000001/opendata/api/v1".into(),
            metered_provider: "UZ/GOV/200000001".into(),
        },
        feedback: FeedbackConfig {
            forward_within: Duration::from_secs(24 * 3600),
            check_interval: Duration::from_secs(60),
        },
        replica: Arc::from("od-test"),
        conversions: Arc::clone(&conversions),
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    World { addr, repository, publisher, csv, secret, conversions, _db: db, _storage: storage }
}

async fn outbox_count(repository: &Repository, topic: &str) -> u64 {
    koprik_outbox::store::Entity::find()
        .filter(koprik_outbox::store::Column::Topic.eq(topic))
        .count(repository.db())
        .await
        .expect("the outbox is read")
}

// ---------------------------------------------------------------------------------------------------------------
// The Action API.

#[tokio::test]
async fn package_list_and_search_page_through_every_published_data_set_once() {
    let world = world(0).await;
    let addr = world.addr;
    let all = result(addr, "package_list", json!({})).await;
    let expected: Vec<String> = (1..=13).map(|i| format!("ds-{i:02}")).collect();
    assert_eq!(all, json!(expected), "published data sets only, alphabetically (no draft)");
    assert_eq!(
        result(addr, "package_list", json!({ "limit": 5, "offset": 10 })).await,
        json!(["ds-11", "ds-12", "ds-13"])
    );

    let mut seen = Vec::new();
    for start in [0, 5, 10] {
        let reply = get(addr, &format!("/api/3/action/package_search?rows=5&start={start}&sort=name+asc")).await;
        assert_eq!(reply.status, 200);
        let page = reply.json()["result"].clone();
        assert_eq!(page["count"], json!(13));
        assert_eq!(page["sort"], json!("name asc"));
        seen.extend(names(&page["results"]));
    }
    assert_eq!(seen, expected, "pages cover everything, in order, without duplicates");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 13);

    let default = result(addr, "package_search", json!({})).await;
    assert_eq!((default["count"].clone(), default["results"].as_array().expect("list").len()), (json!(13), 10));
    assert_eq!(default["sort"], json!("score desc, metadata_modified desc"));
    assert_eq!(names(&default["results"])[0], "ds-13", "the most recently changed first");

    let descending = result(addr, "package_search", json!({ "sort": "name desc", "rows": 3 })).await;
    assert_eq!(names(&descending["results"]), vec!["ds-13", "ds-12", "ds-11"]);
}

#[tokio::test]
async fn package_search_filters_by_organization_tags_format_and_words() {
    let world = world(0).await;
    let addr = world.addr;
    let search = |params: Value| result(addr, "package_search", params);

    let mehnat = search(json!({ "fq": "organization:mehnat", "rows": 100 })).await;
    assert_eq!(mehnat["count"], json!(6));
    for package in mehnat["results"].as_array().expect("list") {
        assert_eq!(package["organization"]["name"], json!("mehnat"));
    }
    let tagged = search(json!({ "fq": "+tags:\"ish o'rinlari\" AND res_format:CSV", "rows": 100 })).await;
    assert_eq!(tagged["count"], json!(6));
    assert_eq!(search(json!({ "fq": "res_format:XLSX" })).await["count"], json!(13));
    assert_eq!(search(json!({ "fq": "res_format:PDF" })).await["count"], json!(0));
    assert_eq!(search(json!({ "fq": "organization:stat organization:mehnat" })).await["count"], json!(0));

    let words = search(json!({ "q": "TOSHKENT aholi" })).await;
    assert_eq!(words["count"], json!(3));
    assert_eq!(words["results"].as_array().expect("list").len(), 3);
    assert_eq!(search(json!({ "q": "name:ds-07" })).await["count"], json!(1));

    let faceted = search(json!({ "facet.field": ["organization", "tags"], "facet.limit": 10, "rows": 0 })).await;
    assert_eq!(faceted["results"], json!([]));
    assert_eq!(faceted["facets"]["organization"], json!({ "stat": 7, "mehnat": 6 }));
    let items = &faceted["search_facets"]["organization"]["items"];
    assert_eq!(items[0], json!({ "name": "stat", "display_name": "Statistika agentligi", "count": 7 }));
    assert_eq!(faceted["search_facets"]["tags"]["items"][0]["count"], json!(13));

    // A query string list, as CKAN clients send facet.field over GET.
    let reply = get(addr, "/api/3/action/package_search?facet.field=%5B%22res_format%22%5D&rows=1").await;
    assert_eq!(reply.json()["result"]["facets"]["res_format"]["CSV"], json!(13));
}

#[tokio::test]
async fn package_show_has_ckans_envelope_and_fields_and_counts_views() {
    let world = world(0).await;
    let addr = world.addr;
    let reply = get(addr, "/api/3/action/package_show?id=ds-01").await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("application/json")));
    let body = reply.json();
    assert_eq!(body["help"], json!(format!("http://{addr}/api/3/action/help_show?name=package_show")));
    assert_eq!(body["success"], json!(true));
    let package = &body["result"];
    assert_eq!(package["name"], json!("ds-01"));
    assert_eq!(package["title"], json!("Toshkent Ma'lumot 01"));
    assert_eq!(package["title_translated"]["en"], json!("Data 01"));
    assert_eq!(package["notes_translated"]["ru"], json!("По регионам"));
    assert_eq!(
        (package["type"].clone(), package["state"].clone(), package["private"].clone()),
        (json!("dataset"), json!("active"), json!(false))
    );
    assert_eq!(package["organization"]["name"], json!("stat"));
    assert_eq!(package["organization"]["type"], json!("organization"));
    assert_eq!(package["owner_org"], json!("stat"));
    assert_eq!(package["license_id"], json!("cc-by-4.0"));
    assert_eq!(package["maintainer_email"], json!("opendata@stat.uz"));
    assert_eq!(package["author"], json!("Statistika agentligi"));
    assert_eq!(package["version"], json!("1"));
    assert_eq!(package["url"], json!(format!("http://{addr}/dataset/ds-01")));
    assert_eq!(package["koprik_versions_url"], json!(format!("http://{addr}/dataset/ds-01/versions")));
    assert_eq!(package["num_tags"], json!(3));
    assert_eq!(
        package["tags"][0],
        json!({ "id": "aholi", "name": "aholi", "display_name": "aholi", "state": "active", "vocabulary_id": null })
    );
    let modified = package["metadata_modified"].as_str().expect("a time");
    assert!(
        chrono::NaiveDateTime::parse_from_str(modified, "%Y-%m-%dT%H:%M:%S%.6f").is_ok() && modified.len() == 26,
        "{modified}"
    );
    let resources = package["resources"].as_array().expect("resources");
    assert_eq!(package["num_resources"], json!(4));
    let formats: Vec<&str> = resources.iter().map(|r| r["format"].as_str().expect("format")).collect();
    assert_eq!(formats, vec!["CSV", "JSON", "XML", "XLSX"]);
    let csv = &world.csv["ds-01"];
    let sha = sha256(csv);
    assert_eq!(resources[0]["hash"], json!(format!("sha256:{sha}")));
    assert_eq!(resources[0]["size"], json!(csv.len()));
    assert_eq!(resources[0]["url"], json!(format!("http://{addr}/dataset/ds-01/version/1/data.csv")));
    assert_eq!(resources[0]["package_id"], package["id"]);
    let extras: HashMap<&str, &str> = package["extras"]
        .as_array()
        .expect("extras")
        .iter()
        .map(|e| (e["key"].as_str().expect("key"), e["value"].as_str().expect("value")))
        .collect();
    assert_eq!(extras["update_frequency"], "yearly");
    assert_eq!(extras["overdue"], "false");
    assert_eq!(extras["structure_url"], format!("http://{addr}/dataset/ds-01/structure/1"));
    assert_eq!(extras["previous_version_url"], "");
    assert_eq!(package["tracking_summary"], json!({ "total": 1, "recent": 1 }), "this view was counted");

    let by_id = result(addr, "package_show", json!({ "id": package["id"] })).await;
    assert_eq!(by_id["name"], json!("ds-01"));
    assert_eq!(by_id["tracking_summary"]["total"], json!(2));
    let old_style = result(addr, "package_show", json!({ "name_or_id": "ds-01" })).await;
    assert_eq!(old_style["tracking_summary"]["total"], json!(3));
}

#[tokio::test]
async fn errors_have_ckans_shapes() {
    let world = world(0).await;
    let addr = world.addr;
    for id in ["nope", "draft"] {
        let reply = ckanapi(addr, "package_show", json!({ "id": id })).await;
        assert_eq!(reply.status, 404, "{id}");
        let body = reply.json();
        assert_eq!(body["success"], json!(false));
        assert_eq!(body["help"], json!(format!("http://{addr}/api/3/action/help_show?name=package_show")));
        assert_eq!(body["error"]["__type"], json!("Not Found Error"));
        assert!(body["error"]["message"].as_str().expect("message").starts_with("Not found: "));
    }

    let reply = get(addr, "/api/3/action/package_search?sort=popularity+desc").await;
    assert_eq!(reply.status, 409);
    let error = reply.json()["error"].clone();
    assert_eq!(error["__type"], json!("Validation Error"));
    assert!(error["sort"][0].as_str().expect("a message").contains("popularity"), "{error}");

    let reply = get(addr, "/api/3/action/package_search?rows=-1").await;
    assert_eq!((reply.status, reply.json()["error"]["rows"].clone()), (409, json!(["Must be a natural number"])));
    let reply = ckanapi(addr, "package_search", json!({ "fq": "maintainer:x" })).await;
    assert_eq!(reply.status, 409);
    assert!(reply.json()["error"]["fq"][0].as_str().expect("message").contains("\"maintainer\""));

    let reply = ckanapi(addr, "package_create", json!({ "name": "x" })).await;
    assert_eq!((reply.status, reply.json()), (400, json!("Bad request - Action name not known: package_create")));
    let reply =
        request(addr, "POST", "/api/3/action/package_list", &[], Some(("application/json", b"{".to_vec()))).await;
    assert_eq!(reply.status, 400);
    assert!(reply.json().as_str().expect("a string").starts_with("Bad request - JSON Error"));
}

#[tokio::test]
async fn organizations_tags_resources_and_status() {
    let world = world(0).await;
    let addr = world.addr;
    assert_eq!(result(addr, "organization_list", json!({})).await, json!(["mehnat", "stat"]), "by title");
    let full = result(addr, "organization_list", json!({ "all_fields": true, "sort": "package_count desc" })).await;
    assert_eq!(full[0]["name"], json!("stat"));
    assert_eq!(full[0]["package_count"], json!(7));
    assert_eq!(full[1]["package_count"], json!(6));
    assert_eq!(full[0]["is_organization"], json!(true));

    let reply = get(addr, "/api/3/action/organization_show?id=mehnat&include_datasets=true").await;
    let organization = reply.json()["result"].clone();
    assert_eq!(organization["title"], json!("Bandlik vazirligi"));
    assert_eq!(organization["package_count"], json!(6));
    assert_eq!(organization["packages"].as_array().expect("packages").len(), 6);
    assert_eq!(ckanapi(addr, "organization_show", json!({ "id": "nope" })).await.status, 404);

    let tags = result(addr, "tag_list", json!({})).await;
    assert_eq!(tags, json!(["aholi", "ish o'rinlari", "population", "население"]));
    assert_eq!(result(addr, "tag_list", json!({ "query": "ish" })).await, json!(["ish o'rinlari"]));

    let package = result(addr, "package_show", json!({ "id": "ds-02" })).await;
    let xlsx = &package["resources"][3];
    let resource = result(addr, "resource_show", json!({ "id": xlsx["id"] })).await;
    assert_eq!(resource["format"], json!("XLSX"));
    assert_eq!(resource["package_id"], package["id"]);
    assert_eq!(resource["url"], json!(format!("http://{addr}/dataset/ds-02/version/1/data.xlsx")));
    assert_eq!(ckanapi(addr, "resource_show", json!({ "id": "nope" })).await.status, 404);

    let status = result(addr, "status_show", json!({})).await;
    assert!(status["ckan_version"].as_str().expect("a version").starts_with("2.10"));
    assert_eq!(status["site_url"], json!(format!("http://{addr}")));
    assert_eq!(get(addr, "/api/3").await.json(), json!({ "version": 3 }));

    let recent = result(addr, "current_package_list_with_resources", json!({ "limit": 3 })).await;
    assert_eq!(names(&recent), vec!["ds-13", "ds-12", "ds-11"]);
    assert_eq!(recent[0]["resources"].as_array().expect("resources").len(), 4);
    let next = result(addr, "current_package_list_with_resources", json!({ "limit": 3, "offset": 3 })).await;
    assert_eq!(names(&next), vec!["ds-10", "ds-09", "ds-08"]);
}

// ---------------------------------------------------------------------------------------------------------------
// Downloads, versions, structures.

#[tokio::test]
async fn every_format_downloads_and_each_download_is_counted() {
    let world = world(0).await;
    let addr = world.addr;
    let upload = &world.csv["ds-03"];

    let csv = get(addr, "/dataset/ds-03/version/1/data.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(&csv.body, upload, "the canonical CSV, byte for byte");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.header("content-length"), Some(upload.len().to_string().as_str()));
    assert_eq!(csv.header("content-disposition"), Some("attachment; filename=\"ds-03-v1.csv\""));
    let etag = csv.header("etag").expect("an etag").to_owned();
    let sha = sha256(upload);
    assert_eq!(etag, format!("\"{sha}-csv\""));
    let stored = std::fs::read(world.publisher.store().path(&sha)).expect("the stored version");
    assert_eq!(&stored, upload);

    let latest = get(addr, "/dataset/ds-03/data.csv").await;
    assert_eq!(&latest.body, upload);

    let json = get(addr, "/dataset/ds-03/version/1/data.json").await;
    assert_eq!(json.header("content-type"), Some("application/json"));
    let document = json.json();
    assert_eq!(document["records"].as_array().expect("records").len(), 3);
    assert_eq!(document["records"][0]["region"], json!("Toshkent"));

    let xml = get(addr, "/dataset/ds-03/version/1/data.xml").await;
    assert_eq!(xml.status, 200);
    assert!(xml.text().starts_with("<?xml") && xml.text().contains("Samarqand, viloyat"));

    let xlsx = get(addr, "/dataset/ds-03/data.xlsx").await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.header("content-disposition"), Some("attachment; filename=\"ds-03-v1.xlsx\""));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx.body.clone())).expect("a zip archive");
    let mut sheet = String::new();
    archive.by_name("xl/worksheets/sheet1.xml").expect("a worksheet").read_to_string(&mut sheet).expect("read");
    assert!(sheet.contains("Toshkent"), "{sheet}");

    let revalidated =
        request(addr, "GET", "/dataset/ds-03/version/1/data.csv", &[("If-None-Match", &etag)], None).await;
    assert_eq!((revalidated.status, revalidated.body.len()), (304, 0));
    assert_eq!(get(addr, "/dataset/ds-03/version/1/data.pdf").await.status, 404);
    assert_eq!(get(addr, "/dataset/ds-03/version/9/data.csv").await.status, 404);
    assert_eq!(get(addr, "/dataset/draft/data.csv").await.status, 404);

    let statistics = get(addr, "/api/koprik/v1/statistics").await.json();
    let row = statistics["datasets"].as_array().expect("rows").iter().find(|r| r["dataset"] == json!("ds-03")).cloned();
    let row = row.expect("ds-03 has a row");
    assert_eq!(row["downloads"], json!(5), "csv twice, json, xml, xlsx; not the 304");
    assert_eq!(statistics["datasets"].as_array().expect("rows").len(), 13);
}

#[tokio::test]
async fn versions_and_structures_have_their_own_links() {
    let world = world(0).await;
    let addr = world.addr;
    publish(&world.publisher, "ds-02", b"region,year,population\nToshkent,2027,1.5\n").await;

    let structure = get(addr, "/dataset/ds-02/structure/1").await.json();
    let fields: Vec<&str> =
        structure["fields"].as_array().expect("fields").iter().map(|f| f["name"].as_str().expect("name")).collect();
    assert_eq!(fields, vec!["region", "year", "population"]);
    assert_eq!(structure["fields"][1]["type"], json!("integer"));
    assert_eq!(get(addr, "/dataset/ds-02/structure/2").await.status, 404);

    let versions = get(addr, "/dataset/ds-02/versions").await.json();
    assert_eq!(versions["current"], json!(2));
    let list = versions["versions"].as_array().expect("versions");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["previous_version_url"], json!(format!("http://{addr}/dataset/ds-02/version/1")));
    assert_eq!(list[1]["resources"][0]["url"], json!(format!("http://{addr}/dataset/ds-02/version/1/data.csv")));
    let first = get(addr, "/dataset/ds-02/version/1").await.json();
    assert_eq!(first["rows"], json!(3));

    let old = get(addr, "/dataset/ds-02/version/1/data.csv").await;
    assert_eq!(&old.body, &world.csv["ds-02"], "earlier versions stay available");
    let latest = get(addr, "/dataset/ds-02/data.csv").await;
    assert_eq!(latest.text(), "region,year,population\nToshkent,2027,1.5\n");
    let package = result(addr, "package_show", json!({ "id": "ds-02" })).await;
    assert_eq!(package["version"], json!("2"));
    assert!(package["extras"].as_array().expect("extras").contains(
        &json!({ "key": "previous_version_url", "value": format!("http://{addr}/dataset/ds-02/version/1") })
    ));
}

#[tokio::test]
async fn dcat_documents_list_published_data_sets() {
    let world = world(0).await;
    let addr = world.addr;
    let turtle = get(addr, "/catalog.ttl").await;
    assert_eq!(turtle.header("content-type"), Some("text/turtle; charset=utf-8"));
    let text = turtle.text();
    assert!(text.contains(&format!("<http://{addr}/dataset/ds-01>")), "{text}");
    assert!(text.contains(&format!("dcat:downloadURL <http://{addr}/dataset/ds-13/version/1/data.xlsx>")));
    assert!(!text.contains("/dataset/draft"));

    let jsonld = get(addr, "/catalog.jsonld").await;
    assert_eq!(jsonld.header("content-type"), Some("application/ld+json"));
    assert!(jsonld.json()["@graph"].as_array().expect("a graph").len() > 13);

    let one = get(addr, "/dataset/ds-05.ttl").await;
    assert_eq!(one.status, 200);
    assert!(one.text().contains(&format!("<http://{addr}/dataset/ds-05>")) && !one.text().contains("ds-06"));
    assert_eq!(get(addr, "/dataset/ds-05.jsonld").await.status, 200);
    assert_eq!(get(addr, "/dataset/draft.ttl").await.status, 404);
    assert_eq!(get(addr, "/dataset/ds-05").await.json()["name"], json!("ds-05"));
}

// ---------------------------------------------------------------------------------------------------------------
// Feedback and statistics.

#[tokio::test]
async fn messages_and_proposals_are_validated_stored_and_forwarded() {
    let world = world(0).await;
    let addr = world.addr;
    let notifications = outbox_count(&world.repository, OPENDATA_NOTIFICATIONS).await;
    let message = json!({ "author": "Aziz", "contact": "aziz@example.uz", "body": "2024 yil ma'lumotlari yo'q" });
    let reply = post_json(addr, "/api/koprik/v1/datasets/ds-01/messages", &message).await;
    assert_eq!(reply.status, 201);
    let stored = reply.json();
    assert_eq!((stored["dataset"].clone(), stored["body"].clone()), (json!("ds-01"), message["body"].clone()));
    assert!(stored["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(
        outbox_count(&world.repository, OPENDATA_NOTIFICATIONS).await,
        notifications + 1,
        "the supplier is notified"
    );

    assert_eq!(post_json(addr, "/api/koprik/v1/datasets/draft/messages", &message).await.status, 404);
    for (bad, field) in [
        (json!({ "author": "A", "contact": "a@b.uz", "body": "" }), "body"),
        (json!({ "author": "A", "contact": "a@b.uz", "body": "x".repeat(5001) }), "body"),
        (json!({ "author": "A", "body": "x" }), "contact"),
        (json!({ "author": "A", "contact": 5, "body": "x" }), "contact"),
        (json!({ "author": "A", "contact": "a@b.uz", "body": "x", "spam": true }), "spam"),
        (json!([1, 2]), "body"),
    ] {
        let reply = post_json(addr, "/api/koprik/v1/datasets/ds-01/messages", &bad).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.json()["error"]["field"], json!(field), "{bad}");
    }
    let garbage =
        request(addr, "POST", "/api/koprik/v1/proposals", &[], Some(("application/json", vec![0xff, 0x00]))).await;
    assert_eq!((garbage.status, garbage.json()["error"]["field"].clone()), (400, json!("body")));

    let proposal = json!({
        "title": "Maktablar ro'yxati",
        "description": "Har bir tuman bo'yicha",
        "suggested_supplier": "stat",
        "author": "Aziz",
        "contact": "+998901234567",
    });
    let reply = post_json(addr, "/api/koprik/v1/proposals", &proposal).await;
    assert_eq!(reply.status, 201);
    let stored = reply.json();
    assert_eq!(stored["forwarded_to"], json!("stat"));
    let received =
        chrono::DateTime::parse_from_rfc3339(stored["received"].as_str().expect("a time")).expect("rfc 3339");
    let due = chrono::DateTime::parse_from_rfc3339(stored["forward_due"].as_str().expect("a time")).expect("rfc 3339");
    assert_eq!(due - received, chrono::Duration::days(1), "forwarded within one day (OD Annex 3)");
    let unknown = post_json(
        addr,
        "/api/koprik/v1/proposals",
        &json!({ "title": "T", "description": "D", "author": "A", "contact": "a@b.uz" }),
    )
    .await;
    assert_eq!((unknown.status, unknown.json()["forwarded_to"].clone()), (201, Value::Null));
}

#[tokio::test]
async fn statistics_are_published_as_json_and_csv() {
    let world = world(0).await;
    let addr = world.addr;
    result(addr, "package_show", json!({ "id": "ds-04" })).await;
    get(addr, "/dataset/ds-04/data.csv").await;
    let csv = get(addr, "/api/koprik/v1/statistics.csv").await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("dataset,title,supplier,views,downloads,recent_views,recent_downloads"));
    assert!(text.lines().any(|l| l == "ds-04,Ma'lumot 04,mehnat,1,1,1,1"), "{text}");
    assert_eq!(text.lines().count(), 14);
}

// ---------------------------------------------------------------------------------------------------------------
// Access (OD §8, §21).

#[tokio::test]
async fn bad_api_keys_are_refused_and_keyed_use_is_metered() {
    let world = world(0).await;
    let addr = world.addr;
    let reply =
        request(addr, "GET", "/api/3/action/package_list", &[("Authorization", "koprik_od_forged")], None).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["error"]["__type"], json!("Authorization Error"));
    assert_eq!(reply.json()["success"], json!(false));
    let reply = request(addr, "GET", "/catalog.ttl", &[("Authorization", "Bearer koprik_od_forged")], None).await;
    assert_eq!(reply.status, 403);
    assert!(reply.json()["error"]["message"].is_string());

    let metered = outbox_count(&world.repository, EXCHANGE_USAGE).await;
    let reply = request(addr, "GET", "/api/3/action/package_list", &[("Authorization", &world.secret)], None).await;
    assert_eq!(reply.status, 200);
    let request_id = reply.header("x-request-id").expect("the metered request's id").to_owned();
    let bearer = format!("Bearer {}", world.secret);
    let download = request(addr, "GET", "/dataset/ds-01/data.csv", &[("Authorization", &bearer)], None).await;
    assert_eq!(download.status, 200);
    assert_eq!(
        outbox_count(&world.repository, EXCHANGE_USAGE).await,
        metered + 2,
        "one usage record per keyed request"
    );

    let rows = koprik_outbox::store::Entity::find()
        .filter(koprik_outbox::store::Column::Topic.eq(EXCHANGE_USAGE))
        .all(world.repository.db())
        .await
        .expect("the outbox is read");
    let records: Vec<UsageRecord> =
        rows.iter().map(|row| UsageRecord::decode(row.payload.as_slice()).expect("a usage record")).collect();
    let record = records.iter().find(|r| r.request_id == request_id).expect("the record of the first request");
    assert_eq!(record.contract_reference, "OD-2026/0001");
    assert_eq!(record.gateway, "od-test");
    let consumer = record.consumer.as_ref().expect("a consumer");
    assert_eq!(consumer.subsystem_code, "analytics");
    assert_eq!(rows.iter().find(|r| r.event_id == record.event_id).map(|r| r.key.as_str()), Some("UZ/COM/207028220"));

    let key = world.repository.api_keys().await.expect("keys").remove(0);
    world.repository.revoke_api_key(&key.id, "operator:a.karimov", Utc::now()).await.expect("revoked");
    let reply = request(addr, "GET", "/api/3/action/package_list", &[("Authorization", &world.secret)], None).await;
    assert_eq!(reply.status, 403, "a revoked key is refused");
}

#[tokio::test]
async fn anonymous_clients_over_the_limit_get_429_and_keyed_clients_do_not() {
    let world = world(3).await;
    let addr = world.addr;
    for _ in 0..3 {
        assert_eq!(get(addr, "/api/3/action/status_show").await.status, 200);
    }
    let limited = get(addr, "/api/3/action/status_show").await;
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=20).contains(&retry), "{retry}");
    let body = limited.json();
    assert_eq!(body["success"], json!(false));
    assert_eq!(body["help"], json!(format!("http://{addr}/api/3/action/help_show?name=status_show")));
    assert!(body["error"]["message"].as_str().expect("message").contains("3 requests per minute"));

    let plain = get(addr, "/catalog.ttl").await;
    assert_eq!(plain.status, 429);
    assert!(plain.json()["error"]["message"].is_string());

    let keyed = request(addr, "GET", "/api/3/action/status_show", &[("Authorization", &world.secret)], None).await;
    assert_eq!(keyed.status, 200, "contract use is not rate-limited");

    // Behind the ingress (a loopback peer here) the client is the last X-Forwarded-For address.
    let other =
        request(addr, "GET", "/api/3/action/status_show", &[("X-Forwarded-For", "6.6.6.6, 203.0.113.5")], None).await;
    assert_eq!(other.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_beyond_the_limit_are_told_to_retry_and_csv_is_never_limited() {
    let world = world(0).await;
    let addr = world.addr;
    let held = Arc::clone(&world.conversions).acquire_many_owned(2).await.expect("every permit");

    let busy = get(addr, "/dataset/ds-03/version/1/data.json").await;
    assert_eq!(busy.status, 503);
    assert_eq!(busy.header("retry-after"), Some("5"));
    let csv = get(addr, "/dataset/ds-03/version/1/data.csv").await;
    assert_eq!(csv.status, 200, "CSV is served without a conversion");

    drop(held);
    let json = get(addr, "/dataset/ds-03/version/1/data.json").await;
    assert_eq!(json.status, 200);
    // The converting thread lets go of its permit right after the last chunk.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while world.conversions.available_permits() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(world.conversions.available_permits(), 2, "a finished conversion gives its permit back");
}

/// Issue 15: a `package_search` of about a thousand ordinary words (4 KB of URL) overflowed the stack and aborted
/// the portal. Every public request beyond a bound is now answered with the bound it broke, and the portal goes on.
#[tokio::test]
async fn no_public_request_however_long_or_odd_stops_the_portal() {
    use koprik_opendata::ckan::search_query::MAX_TERMS;
    use koprik_opendata::http::limits::{MAX_BODY_BYTES, MAX_URL_BYTES};
    let world = world(0).await;
    let addr = world.addr;
    let words = |n: usize| (0..n).map(|i| format!("soz{i:04}")).collect::<Vec<_>>();

    let thousand = format!("/api/3/action/package_search?q={}", words(1000).join("+"));
    assert!(thousand.len() < MAX_URL_BYTES, "the URL of the report, within the URL bound");
    let reply = get(addr, &thousand).await;
    assert_eq!(reply.status, 409);
    let message = reply.json()["error"]["q"][0].as_str().expect("a message naming q").to_owned();
    assert!(message.contains("at most"), "{message}");
    // A hundred words fit the text bound, and meet the bound on terms.
    let reply = get(addr, &format!("/api/3/action/package_search?q={}", words(100).join("+"))).await;
    assert_eq!(reply.status, 409);
    let message = reply.json()["error"]["q"][0].as_str().expect("a message naming q").to_owned();
    assert!(message.contains(&format!("at most {MAX_TERMS} are allowed")), "{message}");
    let reply = ckanapi(addr, "package_search", json!({ "fq": words(1000).join(" AND ") })).await;
    assert_eq!(reply.status, 409);
    assert!(reply.json()["error"]["fq"][0].is_string());

    // As many terms as allowed are searched (and find nothing here); a word that is there still finds.
    let mut allowed = words(MAX_TERMS - 1);
    allowed.push("aholi".into());
    let reply = get(addr, &format!("/api/3/action/package_search?q={}", allowed.join("+"))).await;
    assert_eq!((reply.status, reply.json()["result"]["count"].clone()), (200, json!(0)));
    assert_eq!(result(addr, "package_search", json!({ "q": "aholi" })).await["count"], json!(13));

    let reply = get(addr, &format!("/api/3/action/package_search?q={}", "a".repeat(MAX_URL_BYTES))).await;
    assert_eq!(reply.status, 414);
    assert!(reply.json()["error"]["url"][0].as_str().expect("a message naming the url").contains("at most"));
    let reply = get(addr, &format!("/dataset/{}", "d".repeat(MAX_URL_BYTES))).await;
    assert_eq!((reply.status, reply.json()["error"]["field"].clone()), (414, json!("url")));

    let big = json!({ "q": "x".repeat(MAX_BODY_BYTES) });
    let reply = ckanapi(addr, "package_search", big).await;
    assert_eq!(reply.status, 413);
    assert!(reply.json()["error"]["body"][0].is_string());
    // Nesting deeper than the JSON parser goes is a bad request, not a stack overflow.
    let deep = "[".repeat(MAX_BODY_BYTES / 2).into_bytes();
    let reply = request(addr, "POST", "/api/3/action/package_search", &[], Some(("application/json", deep))).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let many = (0..1000).map(|i| format!("p{i}=1")).collect::<Vec<_>>().join("&");
    let reply = get(addr, &format!("/api/3/action/package_list?{many}")).await;
    assert_eq!(reply.status, 409);
    assert!(reply.json()["error"]["parameters"][0].is_string());

    // After all that, the portal still answers.
    assert_eq!(result(addr, "package_search", json!({ "q": "TOSHKENT aholi" })).await["count"], json!(3));
}
