//! Suppliers publish data sets over gRPC: passports, structure versions with their own links, immutable versions
//! linked to the previous one, and the publication checks that refuse personal data and files that do not match
//! their structure, naming the column and the row.

mod common;

use common::*;
use koprik_proto::opendata::{
    DefineStructureRequest, FieldType, GetDatasetRequest, ListVersionsRequest, RegisterSupplierRequest, UpdateFrequency,
};
use koprik_proto::tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_immutable_linked_and_offered_in_every_format() {
    let portal = start().await;
    portal.register_statistics_agency().await;
    portal.create_population_dataset("aholi-soni", UpdateFrequency::Yearly).await;

    let first = portal.publish("aholi-soni", 1, POPULATION_CSV).await.expect("first version");
    assert_eq!((first.number, first.rows, first.structure_version), (1, 3, 1));
    assert!(first.previous_version_id.is_empty());
    let formats: Vec<_> = first.resources.iter().map(|r| r.format.as_str()).collect();
    assert_eq!(formats, ["CSV", "JSON", "XML", "XLSX"]);
    assert!(first.resources[0].url.ends_with("/dataset/aholi-soni/version/1/data.csv"), "{}", first.resources[0].url);

    let second = portal
        .publish("aholi-soni", 1, "region,year,population\nToshkent shahri,2026,3100.2\n")
        .await
        .expect("second version");
    assert_eq!(second.number, 2);
    assert_eq!(second.previous_version_id, first.id, "each version links to the one it replaces");

    // The stored file of the first version is untouched by the second.
    let stored =
        std::fs::read_to_string(portal.storage.path().join(&first.sha256[..2]).join(format!("{}.csv", first.sha256)))
            .expect("first version's file");
    assert_eq!(stored, POPULATION_CSV);

    let dataset = portal
        .datasets(STAT)
        .get_dataset(GetDatasetRequest { name: "aholi-soni".into() })
        .await
        .expect("data set")
        .into_inner();
    assert_eq!(dataset.version, 2);
    assert_eq!(dataset.last_change, "test figures");
    assert!(dataset.first_published_at.is_some() && dataset.next_update_due.is_some());

    let versions = portal
        .datasets(STAT)
        .list_versions(ListVersionsRequest { dataset: "aholi-soni".into() })
        .await
        .expect("versions")
        .into_inner()
        .versions;
    assert_eq!(versions.iter().map(|v| v.number).collect::<Vec<_>>(), [2, 1]);
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_structure_change_is_a_new_structure_version_and_old_files_must_follow_the_new_one() {
    let portal = start().await;
    portal.register_statistics_agency().await;
    portal.create_population_dataset("aholi-soni", UpdateFrequency::Yearly).await;

    // The same structure again is not a new version.
    let same = portal
        .datasets(STAT)
        .define_structure(DefineStructureRequest { dataset: "aholi-soni".into(), fields: population_fields() })
        .await
        .expect("same structure")
        .into_inner();
    assert_eq!(same.number, 1);

    let mut fields = population_fields();
    fields.push(field("counted_on", FieldType::Date, false));
    let changed = portal
        .datasets(STAT)
        .define_structure(DefineStructureRequest { dataset: "aholi-soni".into(), fields })
        .await
        .expect("changed structure")
        .into_inner();
    assert_eq!(changed.number, 2);
    assert!(changed.url.ends_with("/dataset/aholi-soni/structure/2"), "its own link: {}", changed.url);

    let stale = portal.publish("aholi-soni", 1, POPULATION_CSV).await.expect_err("old structure refused");
    assert_eq!(stale.code(), Code::FailedPrecondition);
    assert!(stale.message().contains("current structure version 2"), "{}", stale.message());

    let missing_column = portal.publish("aholi-soni", 2, POPULATION_CSV).await.expect_err("header refused");
    assert_eq!(missing_column.code(), Code::FailedPrecondition);
    assert!(missing_column.message().contains("counted_on"), "names the missing column: {}", missing_column.message());

    let published = portal
        .publish("aholi-soni", 2, "region,year,population,counted_on\nXorazm,2026,1950.3,2026-01-01\n")
        .await
        .expect("new structure");
    assert_eq!((published.number, published.structure_version), (1, 2));
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_personal_numbers_is_refused_naming_the_column_and_row_and_nothing_is_published() {
    let portal = start().await;
    portal.register_statistics_agency().await;
    portal.create_population_dataset("aholi-soni", UpdateFrequency::Yearly).await;
    let mut fields = population_fields();
    fields.push(field("jshshir", FieldType::String, false));
    portal
        .datasets(STAT)
        .define_structure(DefineStructureRequest { dataset: "aholi-soni".into(), fields })
        .await
        .expect("structure");

    let csv = "region,year,population,jshshir\nXorazm,2025,1950.3,\nNavoiy,2025,1050.0,31203851230046\n";
    let refused = portal.publish("aholi-soni", 2, csv).await.expect_err("personal data refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let message = refused.message();
    assert!(message.contains("jshshir") && message.contains("row 2"), "names column and row: {message}");
    assert!(!message.contains("31203851230046"), "never echoes the personal number: {message}");

    let wrong_type = portal
        .publish("aholi-soni", 2, "region,year,population,jshshir\nXorazm,two thousand,1.0,\n")
        .await
        .expect_err("type refused");
    assert!(wrong_type.message().contains("year"), "{}", wrong_type.message());

    let dataset = portal
        .datasets(STAT)
        .get_dataset(GetDatasetRequest { name: "aholi-soni".into() })
        .await
        .expect("data set")
        .into_inner();
    assert_eq!(dataset.version, 0, "a refused file publishes nothing");
    let leftovers = std::fs::read_dir(portal.storage.path().join("tmp")).expect("tmp").count();
    assert_eq!(leftovers, 0, "refused uploads leave no files behind");
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_suppliers_and_passports_are_refused_naming_the_field() {
    let portal = start().await;
    let mut supplier = statistics_agency();
    supplier.responsible.as_mut().expect("person").email = "karimov@gmail.com".into();
    let refused = portal
        .suppliers(OPERATOR)
        .register_supplier(RegisterSupplierRequest { supplier: Some(supplier) })
        .await
        .expect_err("e-mail off the domain");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("supplier.responsible.email"), "{}", refused.message());

    portal.register_statistics_agency().await;
    let again = portal
        .suppliers(OPERATOR)
        .register_supplier(RegisterSupplierRequest { supplier: Some(statistics_agency()) })
        .await
        .expect_err("twice");
    assert_eq!(again.code(), Code::AlreadyExists);

    let mut passport = passport("aholi-soni", "stat", UpdateFrequency::Yearly);
    passport.title.as_mut().expect("title").en.clear();
    let refused = portal
        .datasets(STAT)
        .create_dataset(koprik_proto::opendata::CreateDatasetRequest { passport: Some(passport) })
        .await
        .expect_err("title in English missing");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("passport.title.en"), "{}", refused.message());

    // An unknown supplier: the operator is told so; a supplier is refused as for another's, learning nothing.
    let unknown = koprik_proto::opendata::CreateDatasetRequest {
        passport: Some(common::passport("aholi-soni", "nobody", UpdateFrequency::Yearly)),
    };
    let refused = portal.datasets(OPERATOR).create_dataset(unknown.clone()).await.expect_err("unknown supplier");
    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    let refused = portal.datasets(STAT).create_dataset(unknown).await.expect_err("unknown supplier");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_words_match_literally_on_every_database() {
    use koprik_opendata::repository::{SearchQuery, SortKey};
    let portal = start().await;
    portal.register_statistics_agency().await;
    portal.create_population_dataset("aholi-soni", UpdateFrequency::Yearly).await;
    portal.publish("aholi-soni", 1, POPULATION_CSV).await.expect("published");
    let repository = portal.repository().await;
    let query = |word: &str| SearchQuery {
        words: vec![word.into()],
        suppliers: Vec::new(),
        tags: Vec::new(),
        format_offered: None,
        sort: SortKey::Name { ascending: true },
        start: 0,
        rows: 10,
    };
    assert_eq!(repository.search(&query("численность")).await.expect("search").count, 1);
    for wildcard in ["_", "%", "\\"] {
        let found = repository.search(&query(wildcard)).await.expect("search").count;
        assert_eq!(found, 0, "{wildcard:?} is a character to find, not a pattern");
    }
    portal.stop().await;
}
