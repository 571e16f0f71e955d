//! `make bench` (open data part): a 1 GB CSV version is checked, stored and served in every format with flat
//! memory. A supplier's file is generated on the fly (never held in memory), published through the same path a
//! gRPC upload takes (check against the structure and for personal data, canonical copy, SHA-256), then downloaded
//! over HTTP as CSV, JSON and XML by a client that discards what it reads; XLSX must be refused up front (too many
//! rows for a sheet), and a one-million-row version is downloaded as XLSX. The process's resident memory is
//! sampled every 10 ms throughout.
//!
//! Target (issue 6): serving the 1 GB version grows resident memory by less than 64 MiB in any format. The bench
//! exits with code 1 when it is missed. `OPENDATA_BENCH_BYTES` changes the size (default 1 GiB).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use koprik_opendata::config::OpendataConfig;
use koprik_opendata::http::{router, HttpState};
use koprik_opendata::multilingual::Multilingual;
use koprik_opendata::passport::{Keywords, Passport};
use koprik_opendata::publishing::Publisher;
use koprik_opendata::repository::Repository;
use koprik_opendata::structure::{Field, FieldType, Structure};
use koprik_opendata::supplier::{ResponsiblePerson, Supplier};
use koprik_opendata::update_frequency::UpdateFrequency;
use koprik_opendata::version_store::VersionStore;
use koprik_opendata::wire::Links;

const TARGET_GROWTH_BYTES: u64 = 64 << 20;
/// A version that fits one worksheet, downloaded as XLSX.
const XLSX_ROWS: u64 = 1_000_000;

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Samples resident memory every 10 ms and keeps the peak since the last reset.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Sampler {
    fn start() -> Self {
        let (peak, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let (p, s) = (Arc::clone(&peak), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(resident_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self { peak, stop }
    }

    fn reset(&self) -> u64 {
        let now = resident_bytes();
        self.peak.store(now, Ordering::Relaxed);
        now
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed).max(resident_bytes())
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn field(name: &str, field_type: FieldType) -> Field {
    Field {
        name: name.into(),
        field_type,
        required: true,
        title: Multilingual::new(name, name, name),
        description: Multilingual::default(),
        unit: String::new(),
    }
}

fn structure() -> Structure {
    Structure {
        fields: vec![
            field("id", FieldType::Integer),
            field("region", FieldType::String),
            field("day", FieldType::Date),
            field("amount", FieldType::Decimal),
            field("paid", FieldType::Boolean),
            field("note", FieldType::String),
        ],
    }
}

/// One generated row, about 100 bytes.
fn row(i: u64, out: &mut Vec<u8>) {
    const REGIONS: [&str; 4] = ["Toshkent shahri", "\"Samarqand, viloyat\"", "Xorazm viloyati", "Андижан"];
    let _ = writeln!(
        out,
        "{i},{},2026-{:02}-{:02},{}.{:02},{},tuman hokimligi hisobotidagi izoh {}",
        REGIONS[(i % 4) as usize],
        i % 12 + 1,
        i % 28 + 1,
        i % 100_000,
        i % 100,
        i % 2 == 0,
        i % 977
    );
}

/// GETs `path` and discards the body; returns (status, body bytes).
fn download(addr: SocketAddr, path: &str) -> (u16, u64) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").expect("request");
    let mut buffer = vec![0u8; 1 << 16];
    let mut head = Vec::new();
    let mut total = 0u64;
    loop {
        let n = stream.read(&mut buffer).expect("read");
        if n == 0 {
            break;
        }
        if head.len() < 4096 {
            head.extend_from_slice(&buffer[..n.min(4096)]);
        }
        total += n as u64;
    }
    let text = String::from_utf8_lossy(&head);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let header_len = text.find("\r\n\r\n").map_or(0, |i| i + 4) as u64;
    (status, total.saturating_sub(header_len))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let target_bytes: u64 = std::env::var("OPENDATA_BENCH_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(1 << 30);
    let sampler = Sampler::start();
    let storage = tempfile::tempdir().expect("storage");
    let database = tempfile::tempdir().expect("database");
    let config =
        koprik_runtime::config::DatabaseConfig::with_url(format!("sqlite://{}/od.db", database.path().display()));
    let db =
        koprik_runtime::db::connect_and_migrate::<koprik_opendata::migration::Migrator>(&config).await.expect("db");
    let repository = Repository::new(db, Arc::new(tokio::sync::Notify::new()));
    let store = VersionStore::open(storage.path()).expect("store");
    let publisher = Publisher::new(repository.clone(), store.clone());
    let supplier = Supplier {
        name: "stat".into(),
        member: "UZ/GOV/201122919".into(),
        title: Multilingual::new("Statistika", "Статистика", "Statistics"),
        domain: "stat.uz".into(),
        responsible: ResponsiblePerson {
            full_name: "Bench".into(),
            position: "Bench".into(),
            phone: "+998712391234".into(),
            email: "bench@stat.uz".into(),
        },
    };
    repository.register_supplier(&supplier, Utc::now()).await.expect("supplier");
    let passport = Passport {
        name: "katta".into(),
        supplier: "stat".into(),
        title: Multilingual::new("Katta", "Большой", "Large"),
        description: Multilingual::new("Katta", "Большой", "Large"),
        composition: Multilingual::new("Katta", "", ""),
        methodology: Multilingual::new("Katta", "", ""),
        update_frequency: UpdateFrequency::Irregular,
        unit: String::new(),
        related_links: Vec::new(),
        keywords: Keywords::default(),
        license_id: "cc-by-4.0".into(),
    };
    repository.create_dataset(&passport, false, Utc::now()).await.expect("dataset");
    repository.define_structure("katta", &structure(), Utc::now()).await.expect("structure");
    let sheet = Passport { name: "jadval".into(), ..passport.clone() };
    repository.create_dataset(&sheet, false, Utc::now()).await.expect("dataset");
    repository.define_structure("jadval", &structure(), Utc::now()).await.expect("structure");
    let mut upload = store.begin_upload().await.expect("upload");
    let mut chunk = b"id,region,day,amount,paid,note\n".to_vec();
    for i in 0..XLSX_ROWS {
        row(i, &mut chunk);
        if chunk.len() >= 1 << 20 {
            upload.write(&chunk).await.expect("write");
            chunk.clear();
        }
    }
    upload.write(&chunk).await.expect("write");
    publisher.publish("jadval", 1, "bench", upload, "supplier:UZ/GOV/201122919").await.expect("sheet-sized version");

    // 1. Upload and publish, generated on the fly in 1 MiB chunks.
    let baseline = sampler.reset();
    let started = Instant::now();
    let mut upload = store.begin_upload().await.expect("upload");
    let mut chunk = Vec::with_capacity(2 << 20);
    chunk.extend_from_slice(b"id,region,day,amount,paid,note\n");
    let mut rows = 0u64;
    while upload.bytes() + (chunk.len() as u64) < target_bytes {
        row(rows, &mut chunk);
        rows += 1;
        if chunk.len() >= 1 << 20 {
            upload.write(&chunk).await.expect("write");
            chunk.clear();
        }
    }
    upload.write(&chunk).await.expect("write");
    let uploaded = upload.bytes();
    let received = started.elapsed();
    let version = publisher.publish("katta", 1, "bench", upload, "supplier:UZ/GOV/201122919").await.expect("published");
    let publish_time = started.elapsed() - received;
    let publish_growth = sampler.peak().saturating_sub(baseline);
    println!(
        "publish   {:>6.0} MiB, {rows} rows: received {:.1} s, checked and stored {:.1} s ({:.0} MiB/s); resident +{:.1} MiB",
        uploaded as f64 / 1048576.0,
        received.as_secs_f64(),
        publish_time.as_secs_f64(),
        uploaded as f64 / 1048576.0 / publish_time.as_secs_f64(),
        publish_growth as f64 / 1048576.0
    );
    assert_eq!(version.rows, rows);

    // 2. Serve it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = listener.local_addr().expect("addr");
    let defaults = OpendataConfig::default();
    let state = HttpState {
        demand: koprik_opendata::http::DemandMetrics::default(),
        repository,
        publisher,
        links: Links::new(&format!("http://{addr}")),
        access: koprik_opendata::config::AccessConfig { anonymous_per_minute: 0, ..defaults.access },
        feedback: defaults.feedback,
        replica: Arc::from("bench"),
        conversions: Arc::new(tokio::sync::Semaphore::new(4)),
    };
    tokio::spawn(async move {
        axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve")
    });

    let mut worst = publish_growth;
    for (dataset, extension) in
        [("katta", "csv"), ("katta", "json"), ("katta", "xml"), ("katta", "xlsx"), ("jadval", "xlsx")]
    {
        let path = format!("/dataset/{dataset}/version/1/data.{extension}");
        let baseline = sampler.reset();
        let started = Instant::now();
        let (status, bytes) = tokio::task::spawn_blocking(move || download(addr, &path)).await.expect("download");
        let elapsed = started.elapsed();
        let growth = sampler.peak().saturating_sub(baseline);
        if dataset == "katta" && extension == "xlsx" {
            println!("xlsx      refused with HTTP {status} before streaming ({rows} rows > 1 048 575)");
            assert!(status >= 400, "XLSX of {rows} rows must be refused");
            continue;
        }
        assert_eq!(status, 200, "{extension}");
        worst = worst.max(growth);
        println!(
            "download  {extension:<4} {dataset:<6} {:>6.0} MiB in {:>5.1} s ({:>4.0} MiB/s); resident +{:.1} MiB",
            bytes as f64 / 1048576.0,
            elapsed.as_secs_f64(),
            bytes as f64 / 1048576.0 / elapsed.as_secs_f64(),
            growth as f64 / 1048576.0
        );
    }
    let met = worst < TARGET_GROWTH_BYTES;
    println!(
        "target    resident growth < {} MiB while checking and serving a {:.0} MiB version: {} (worst +{:.1} MiB)",
        TARGET_GROWTH_BYTES >> 20,
        uploaded as f64 / 1048576.0,
        if met { "met" } else { "MISSED" },
        worst as f64 / 1048576.0
    );
    if !met {
        std::process::exit(1);
    }
}
