//! Who may call the portal's gRPC API, held to the platform's authorization policy (`crates/authz/POLICY.md`): the
//! generated matrix over every method and role; what an attacker holding only a consumer's certificate, or another
//! supplier's, cannot do, with the database checked afterwards for anything left behind, nor learn (whether a data
//! set, supplier, API key or contract it names exists, and which company a contract bills); API keys only under the
//! holder's own contract in force (OD §8, §21), as billing publishes contracts on `billing.contracts`, applied
//! exactly once; revocation within a second; and calls refused as unavailable while the portal cannot know which
//! certificates are revoked: the registry's certificates never read, the broker gone, or the registry silent (no
//! heartbeat) for longer than `authz.max_staleness`.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use futures::StreamExt as _;
use koprik_authz::{AuthzConfig, Role};
use koprik_opendata::repository::{ContractState, NewMessage, PositionedContract};
use koprik_opendata::store::{api_key, dataset, supplier, version};
use koprik_proto::ids::SubsystemId;
use koprik_proto::opendata::{
    publish_version_request::Part, CreateDatasetRequest, DefineStructureRequest, GetDatasetRequest, GetSupplierRequest,
    IssueApiKeyRequest, ListApiKeysRequest, ListDatasetsRequest, ListMessagesRequest, ListOverdueDatasetsRequest,
    ListVersionsRequest, PublishVersionHeader, PublishVersionRequest, RegisterSupplierRequest, RevokeApiKeyRequest,
    UpdateFrequency, UpdatePassportRequest,
};
use koprik_proto::tonic::{Code, Status};
use koprik_testkit::authz_matrix::{self, Cast, Fixture};
use koprik_testkit::refusal::{assert_refused, first_refusal};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// The company's contract with billing, and the rival's.
const CONTRACT: &str = "OD-2026/0001";
const RIVAL_CONTRACT: &str = "OD-2026/0002";

/// Principals A and B of the organisation-bound roles: the statistics agency and the labour ministry as suppliers,
/// the company and its rival as consumers; the rest only need to exist.
fn cast() -> Cast {
    Cast::new(&[
        (Role::Consumer, COMPANY_SYSTEM, "UZ/COM/207028221/scoring"),
        (Role::Supplier, "UZ/GOV/201122919", "UZ/GOV/201122920"),
        (Role::Provider, "UZ/GOV/201122919", "UZ/GOV/200935935"),
        (Role::RegistryEditor, "UZ/GOV/200935935/n.aliyeva", "UZ/GOV/201122919/o.rashidov"),
        (Role::AgencyHead, "UZ/GOV/200935935/b.tursunov", "UZ/GOV/201122919/k.saidov"),
    ])
}

fn subsystem(id: &str) -> Option<koprik_proto::common::SubsystemId> {
    Some((&id.parse::<SubsystemId>().expect("subsystem id")).into())
}

fn issue(contract: &str, holder: &str) -> IssueApiKeyRequest {
    IssueApiKeyRequest { contract_reference: contract.into(), consumer: subsystem(holder), label: "analytics".into() }
}

/// Both suppliers registered; the agency's `aholi-soni` with its structure and one version, and a user's message
/// about it; both companies' contracts published by billing.
async fn world(h: &Harness) {
    h.register_statistics_agency().await;
    h.register_labour_ministry().await;
    h.create_population_dataset("aholi-soni", UpdateFrequency::Yearly).await;
    h.publish("aholi-soni", 1, POPULATION_CSV).await.expect("published");
    let message = NewMessage {
        dataset: "aholi-soni".into(),
        author: "Jasur".into(),
        contact: "jasur@example.uz".into(),
        body: "2024 yil ma'lumotlari yo'q".into(),
    };
    h.repository().await.receive_message(message, Utc::now()).await.expect("a message");
    h.billing_contract(CONTRACT, COMPANY_ACCOUNT, "2026-01-01", "2099-12-31").await;
    h.billing_contract(RIVAL_CONTRACT, RIVAL_ACCOUNT, "2026-01-01", "2099-12-31").await;
}

/// A data set of the agency whose next update fell due a week ago (its supplier has not published it since).
const OVERDUE: &str = "muddati-otgan";

/// Creates [`OVERDUE`] as the agency and moves its due date a week into the past.
async fn overdue_dataset(h: &Harness) {
    h.create_population_dataset(OVERDUE, UpdateFrequency::Monthly).await;
    let repository = h.repository().await;
    dataset::Entity::update_many()
        .col_expr(
            dataset::Column::NextUpdateDue,
            sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::days(7)),
        )
        .filter(dataset::Column::Name.eq(OVERDUE))
        .exec(repository.db())
        .await
        .expect("due date moved");
    let listed = h.datasets(AUDITOR).list_overdue_datasets(ListOverdueDatasetsRequest {}).await.expect("overdue");
    let names: Vec<_> =
        listed.into_inner().datasets.into_iter().filter_map(|d| d.dataset?.passport).map(|p| p.name).collect();
    assert_eq!(names, [OVERDUE], "the agency's data set is overdue, and only it");
}

async fn rows<E: EntityTrait<Model: Sync>>(h: &Harness) -> u64 {
    let repository = h.repository().await;
    E::find().count(repository.db()).await.expect("counted")
}

/// A version upload of `dataset` that sends its header and then never ends: the answer can only come from the
/// header.
fn endless_upload(dataset: &str) -> impl futures::Stream<Item = PublishVersionRequest> + Send + 'static {
    let header = PublishVersionRequest {
        part: Some(Part::Header(PublishVersionHeader {
            dataset: dataset.into(),
            structure_version: 1,
            change_note: "overwritten".into(),
        })),
    };
    futures::stream::iter([header]).chain(futures::stream::pending())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_portal_method_answers_every_role_as_the_policy_says() {
    let cast = cast();
    let h = start_with(Setup { more_identities: cast.identities(), ..Setup::default() }).await;
    world(&h).await;
    overdue_dataset(&h).await;
    let key = h.api_keys(COMPANY).issue_api_key(issue(CONTRACT, COMPANY_SYSTEM)).await.expect("a key").into_inner();
    // The marker of the company's own keys in ListApiKeys: its key's id, in the company's answer and not the rival's.
    let key_id = key.key.expect("key").id;
    let (s, c) = (Role::Supplier, Role::Consumer);
    let header = PublishVersionRequest {
        part: Some(Part::Header(PublishVersionHeader {
            dataset: "aholi-soni".into(),
            structure_version: 1,
            change_note: "matrix".into(),
        })),
    };
    let fixtures = vec![
        Fixture::new("/koprik.opendata.v1.Suppliers/GetSupplier", s, &GetSupplierRequest { name: "stat".into() }),
        Fixture::new(
            "/koprik.opendata.v1.Datasets/CreateDataset",
            s,
            &CreateDatasetRequest { passport: Some(passport("matrix-new", "stat", UpdateFrequency::Yearly)) },
        ),
        Fixture::new(
            "/koprik.opendata.v1.Datasets/UpdatePassport",
            s,
            &UpdatePassportRequest { passport: Some(passport("aholi-soni", "stat", UpdateFrequency::Yearly)) },
        ),
        Fixture::new("/koprik.opendata.v1.Datasets/GetDataset", s, &GetDatasetRequest { name: "aholi-soni".into() }),
        Fixture::new("/koprik.opendata.v1.Datasets/ListDatasets", s, &ListDatasetsRequest { supplier: "stat".into() }),
        Fixture::new(
            "/koprik.opendata.v1.Datasets/DefineStructure",
            s,
            &DefineStructureRequest { dataset: "aholi-soni".into(), fields: population_fields() },
        ),
        Fixture::new("/koprik.opendata.v1.Datasets/PublishVersion", s, &header),
        Fixture::new(
            "/koprik.opendata.v1.Datasets/ListVersions",
            s,
            &ListVersionsRequest { dataset: "aholi-soni".into() },
        ),
        Fixture::own_only(
            "/koprik.opendata.v1.Datasets/ListOverdueDatasets",
            s,
            &ListOverdueDatasetsRequest {},
            OVERDUE,
        ),
        Fixture::new(
            "/koprik.opendata.v1.Feedback/ListMessages",
            s,
            &ListMessagesRequest { dataset: "aholi-soni".into() },
        ),
        Fixture::new("/koprik.opendata.v1.ApiKeys/IssueApiKey", c, &issue(CONTRACT, COMPANY_SYSTEM)),
        Fixture::new("/koprik.opendata.v1.ApiKeys/RevokeApiKey", c, &RevokeApiKeyRequest { id: key_id.clone() }),
        Fixture::own_only("/koprik.opendata.v1.ApiKeys/ListApiKeys", c, &ListApiKeysRequest {}, key_id.clone()),
    ];
    let calls = authz_matrix::run_server(&h.pki, h.grpc, "opendata", &cast, &fixtures).await;
    assert!(calls > 300, "{calls} calls");
    // The company's issue through the matrix added a key; the rival's attempt added none.
    let company_keys = h.api_keys(COMPANY).list_api_keys(ListApiKeysRequest {}).await.expect("own").into_inner().keys;
    assert_eq!(company_keys.len(), 2, "the key issued first and the matrix's");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_only_a_consumer_certificate_no_supplier_data_set_version_or_foreign_key_is_made() {
    let h = start().await;
    world(&h).await;
    let (suppliers, datasets, versions) =
        (rows::<supplier::Entity>(&h).await, rows::<dataset::Entity>(&h).await, rows::<version::Entity>(&h).await);

    let mut fake = labour_ministry();
    fake.name = "soxta".into();
    fake.member = Some(koprik_proto::common::MemberId {
        instance: "UZ".into(),
        member_class: "COM".into(),
        member_code: "207028220".into(),
    });
    let registered = h
        .suppliers(COMPANY)
        .register_supplier(RegisterSupplierRequest { supplier: Some(fake) })
        .await
        .expect_err("a consumer registers no supplier");
    assert_refused(&registered, Code::PermissionDenied, "koprik.opendata.v1.Suppliers/RegisterSupplier", "operator");

    let created = h
        .datasets(COMPANY)
        .create_dataset(CreateDatasetRequest { passport: Some(passport("soxta", "stat", UpdateFrequency::Yearly)) })
        .await
        .expect_err("a consumer creates no data set");
    assert_refused(&created, Code::PermissionDenied, "koprik.opendata.v1.Datasets/CreateDataset", "supplier");

    let published = h.publish_as(COMPANY, "aholi-soni", 1, POPULATION_CSV).await.expect_err("no publication");
    assert_refused(&published, Code::PermissionDenied, "koprik.opendata.v1.Datasets/PublishVersion", "supplier");

    // A key billed to another company: for the rival's system, or for its own system under the rival's contract.
    let foreign_holder = h
        .api_keys(COMPANY)
        .issue_api_key(issue(RIVAL_CONTRACT, "UZ/COM/207028221/scoring"))
        .await
        .expect_err("not its subsystem");
    assert_refused(
        &foreign_holder,
        Code::PermissionDenied,
        "koprik.opendata.v1.ApiKeys/IssueApiKey",
        "may reach only its own subsystem's API keys",
    );
    let foreign_contract =
        h.api_keys(COMPANY).issue_api_key(issue(RIVAL_CONTRACT, COMPANY_SYSTEM)).await.expect_err("not its contract");
    assert_eq!(foreign_contract.code(), Code::FailedPrecondition, "{foreign_contract:?}");
    assert!(
        foreign_contract
            .message()
            .starts_with("contract_reference: no contract \"OD-2026/0002\" of UZ/COM/207028220 is in force"),
        "{}",
        foreign_contract.message()
    );
    assert!(!foreign_contract.message().contains(RIVAL_ACCOUNT), "{}", foreign_contract.message());

    // Nothing was left behind.
    assert_eq!(rows::<supplier::Entity>(&h).await, suppliers);
    assert_eq!(rows::<dataset::Entity>(&h).await, datasets);
    assert_eq!(rows::<version::Entity>(&h).await, versions);
    assert_eq!(rows::<api_key::Entity>(&h).await, 0);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_reaches_only_its_own_data_sets_and_is_refused_on_the_header_of_anothers_upload() {
    let h = start_with(Setup { more_identities: vec!["supplier:UZ/GOV/201122999".into()], ..Setup::default() }).await;
    world(&h).await;
    let own = "may reach only its own organisation's data sets";

    // The upload is refused on its header, though the rest of the stream never comes.
    let started = Instant::now();
    let refused =
        tokio::time::timeout(Duration::from_secs(10), h.datasets(MEHNAT).publish_version(endless_upload("aholi-soni")))
            .await
            .expect("answered without waiting for the file")
            .expect_err("another supplier's data set");
    assert_refused(&refused, Code::PermissionDenied, "koprik.opendata.v1.Datasets/PublishVersion", own);
    assert!(started.elapsed() < Duration::from_secs(5));
    // The agency's own upload of the same shape waits for its file: nothing answers it early.
    let waiting = tokio::time::timeout(
        Duration::from_millis(500),
        h.datasets(STAT).publish_version(endless_upload("aholi-soni")),
    )
    .await;
    assert!(waiting.is_err(), "the owner's upload is being received");

    let updated = h
        .datasets(MEHNAT)
        .update_passport(UpdatePassportRequest {
            passport: Some(passport("aholi-soni", "stat", UpdateFrequency::Daily)),
        })
        .await
        .expect_err("not its data set");
    assert_refused(&updated, Code::PermissionDenied, "koprik.opendata.v1.Datasets/UpdatePassport", own);
    let mut fields = population_fields();
    fields.push(field("extra", koprik_proto::opendata::FieldType::String, false));
    let defined = h
        .datasets(MEHNAT)
        .define_structure(DefineStructureRequest { dataset: "aholi-soni".into(), fields })
        .await
        .expect_err("not its data set");
    assert_refused(&defined, Code::PermissionDenied, "koprik.opendata.v1.Datasets/DefineStructure", own);
    let created = h
        .datasets(MEHNAT)
        .create_dataset(CreateDatasetRequest { passport: Some(passport("soxta", "stat", UpdateFrequency::Yearly)) })
        .await
        .expect_err("not its supplier");
    assert_refused(&created, Code::PermissionDenied, "koprik.opendata.v1.Datasets/CreateDataset", own);
    let listed = h
        .datasets(MEHNAT)
        .list_datasets(ListDatasetsRequest { supplier: "stat".into() })
        .await
        .expect_err("not its supplier");
    assert_refused(&listed, Code::PermissionDenied, "koprik.opendata.v1.Datasets/ListDatasets", own);
    let messages = h
        .feedback(MEHNAT)
        .list_messages(ListMessagesRequest { dataset: String::new() })
        .await
        .expect_err("a supplier names its data set");
    assert_refused(&messages, Code::PermissionDenied, "koprik.opendata.v1.Feedback/ListMessages", "name one");

    // Without a filter a supplier lists its own: the ministry has none, the agency its one.
    let mine = h.datasets(MEHNAT).list_datasets(ListDatasetsRequest::default()).await.expect("own").into_inner();
    assert!(mine.datasets.is_empty());
    let agency = h.datasets(STAT).list_datasets(ListDatasetsRequest::default()).await.expect("own").into_inner();
    assert_eq!(agency.datasets.len(), 1);
    let all = h.datasets(AUDITOR).list_datasets(ListDatasetsRequest::default()).await.expect("all").into_inner();
    assert_eq!(all.datasets.len(), 1);
    let stat_messages = h
        .feedback(STAT)
        .list_messages(ListMessagesRequest { dataset: "aholi-soni".into() })
        .await
        .expect("its own data set's")
        .into_inner();
    assert_eq!(stat_messages.messages.len(), 1);
    // A supplier certificate whose organisation is no registered supplier is told so.
    let stranger = h.pki.channel(h.grpc, Some("supplier:UZ/GOV/201122999")).await;
    let unregistered = koprik_proto::opendata::datasets_client::DatasetsClient::new(stranger)
        .list_datasets(ListDatasetsRequest::default())
        .await
        .expect_err("no supplier record");
    assert_eq!(unregistered.code(), Code::FailedPrecondition);
    assert!(unregistered.message().contains("no supplier is registered for UZ/GOV/201122999"), "{unregistered:?}");

    // Nothing changed: one version, the structure and the passport as they were, published by the agency.
    let repository = h.repository().await;
    let versions = version::Entity::find().all(repository.db()).await.expect("versions");
    assert_eq!(versions.iter().map(|v| v.published_by.as_deref()).collect::<Vec<_>>(), [Some(STAT)]);
    let stored = repository.dataset("aholi-soni").await.expect("data set");
    assert_eq!(
        (stored.structure_version, stored.passport.update_frequency),
        (1, koprik_opendata::update_frequency::UpdateFrequency::Yearly)
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_issued_only_under_the_holders_own_contract_in_force() {
    let h = start().await;
    h.billing_contract(CONTRACT, COMPANY_ACCOUNT, "2026-01-01", "2099-12-31").await;
    h.billing_contract(RIVAL_CONTRACT, RIVAL_ACCOUNT, "2026-01-01", "2099-12-31").await;
    h.billing_contract("OD-2020/0001", COMPANY_ACCOUNT, "2020-01-01", "2020-12-31").await;

    // The company for its own system under its own contract; the operator for any holder, under that holder's.
    let own = h.api_keys(COMPANY).issue_api_key(issue(CONTRACT, COMPANY_SYSTEM)).await.expect("own").into_inner();
    assert!(own.secret.starts_with("koprik_od_"));
    let by_operator =
        h.api_keys(OPERATOR).issue_api_key(issue(RIVAL_CONTRACT, "UZ/COM/207028221/scoring")).await.expect("issued");
    let by_operator = by_operator.into_inner().key.expect("key");

    for (contract, holder, rule) in [
        (RIVAL_CONTRACT, COMPANY_SYSTEM, "no contract \"OD-2026/0002\" of UZ/COM/207028220 is in force"),
        ("OD-2020/0001", COMPANY_SYSTEM, "is in force from 2020-01-01 through 2020-12-31"),
        ("OD-2099/0404", COMPANY_SYSTEM, "no contract \"OD-2099/0404\" of UZ/COM/207028220 is in force"),
    ] {
        for who in [OPERATOR, COMPANY] {
            let refused = h.api_keys(who).issue_api_key(issue(contract, holder)).await.expect_err("refused");
            assert_eq!(refused.code(), Code::FailedPrecondition, "{who} {contract}: {refused:?}");
            assert!(refused.message().starts_with("contract_reference: "), "{}", refused.message());
            assert!(refused.message().contains(rule), "{}", refused.message());
            assert!(!refused.message().contains(RIVAL_ACCOUNT), "{}", refused.message());
        }
    }
    // The rival's contract and a reference no contract has are refused in the same words: references cannot be
    // mapped to the companies they bill.
    let refusal = |contract: &'static str| {
        let mut client = h.api_keys(COMPANY);
        async move {
            let refused = client.issue_api_key(issue(contract, COMPANY_SYSTEM)).await.expect_err("refused");
            (refused.code(), refused.message().replace(contract, "X"))
        }
    };
    assert_eq!(refusal(RIVAL_CONTRACT).await, refusal("OD-2099/0404").await);

    // A company revokes and lists only its own organisation's keys.
    let revoked = h
        .api_keys(COMPANY)
        .revoke_api_key(RevokeApiKeyRequest { id: by_operator.id.clone() })
        .await
        .expect_err("the rival's key");
    assert_refused(
        &revoked,
        Code::PermissionDenied,
        "koprik.opendata.v1.ApiKeys/RevokeApiKey",
        "may reach only its own organisation's API keys",
    );
    let listed = h.api_keys(COMPANY).list_api_keys(ListApiKeysRequest {}).await.expect("own").into_inner().keys;
    assert_eq!(listed.iter().map(|k| k.contract_reference.as_str()).collect::<Vec<_>>(), [CONTRACT]);
    let all = h.api_keys(AUDITOR).list_api_keys(ListApiKeysRequest {}).await.expect("all").into_inner().keys;
    assert_eq!(all.len(), 2);
    let own_id = own.key.expect("key").id;
    h.api_keys(COMPANY).revoke_api_key(RevokeApiKeyRequest { id: own_id.clone() }).await.expect("own key");

    // Each key names who issued it and who revoked it.
    let repository = h.repository().await;
    let key = repository.api_key(&own_id).await.expect("stored");
    assert_eq!((key.issued_by.as_deref(), key.revoked_by.as_deref()), (Some(COMPANY), Some(COMPANY)));
    let other = repository.api_key(&by_operator.id).await.expect("stored");
    assert_eq!((other.issued_by.as_deref(), other.revoked_at), (Some(OPERATOR), None));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_read_again_is_applied_once_and_the_latest_state_wins() {
    let h = start().await;
    let repository = h.repository().await;
    let state = |until: &str, event: &str| ContractState {
        reference: CONTRACT.into(),
        account: COMPANY_ACCOUNT.into(),
        valid_from: "2026-01-01".into(),
        valid_until: until.into(),
        event_id: event.into(),
        occurred_at: None,
    };
    // Another topic name than the portal's own consumer reads, so the two never meet.
    let at = |offset: i64, contract: Option<ContractState>| PositionedContract {
        topic: "billing.contracts.test".into(),
        partition: 0,
        offset,
        contract,
    };
    let first = repository
        .apply_contracts(&[at(0, Some(state("2026-06-30", "e0"))), at(1, None)], Utc::now())
        .await
        .expect("applied");
    assert_eq!((first.applied, first.replayed), (1, 0));
    // After a crash before the offsets were committed, the batch comes again with what followed.
    let again = repository
        .apply_contracts(
            &[at(0, Some(state("2026-06-30", "e0"))), at(1, None), at(2, Some(state("2026-12-31", "e2")))],
            Utc::now(),
        )
        .await
        .expect("applied");
    assert_eq!((again.applied, again.replayed), (1, 2));
    let stored = repository.contract(CONTRACT).await.expect("read").expect("stored");
    assert_eq!((stored.valid_until.as_str(), stored.event_id.as_str()), ("2026-12-31", "e2"));
    // An older state read again does not come back.
    let replay =
        repository.apply_contracts(&[at(0, Some(state("2026-06-30", "e0")))], Utc::now()).await.expect("applied");
    assert_eq!((replay.applied, replay.replayed), (0, 1));
    assert_eq!(repository.contract(CONTRACT).await.expect("read").expect("stored").event_id, "e2");

    // Through the broker: billing's later state of a contract replaces the earlier one.
    h.billing_contract(CONTRACT, COMPANY_ACCOUNT, "2026-01-01", "2027-12-31").await;
    assert_eq!(repository.contract(CONTRACT).await.expect("read").expect("stored").valid_until, "2027-12-31");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_or_consumer_cannot_tell_what_does_not_exist_from_what_is_anothers() {
    let h = start().await;
    world(&h).await;
    let key = h.api_keys(COMPANY).issue_api_key(issue(CONTRACT, COMPANY_SYSTEM)).await.expect("a key").into_inner();
    let key_id = key.key.expect("key").id;
    let unknown_key = uuid::Uuid::now_v7().to_string();

    // Each pair: the call on the agency's (or the company's) own thing, and on a name or id that names nothing. The
    // ministry (or the rival) gets the same refusal for both.
    let (mut datasets, mut suppliers) = (h.datasets(MEHNAT), h.suppliers(MEHNAT));
    let (mut feedback, mut keys) = (h.feedback(MEHNAT), h.api_keys(RIVAL));
    let mut pairs: Vec<(&str, Status, Status)> = Vec::new();
    for (method, theirs, none) in [("GetDataset", "aholi-soni", "yoq-toplam"), ("ListVersions", "aholi-soni", "yoq")] {
        let answer = |name: &str| {
            let name = name.to_owned();
            let mut client = datasets.clone();
            async move {
                if method == "GetDataset" {
                    client.get_dataset(GetDatasetRequest { name }).await.map(|_| ())
                } else {
                    client.list_versions(ListVersionsRequest { dataset: name }).await.map(|_| ())
                }
            }
        };
        let (theirs, none) = (answer(theirs).await, answer(none).await);
        pairs.push((method, theirs.expect_err("refused"), none.expect_err("refused")));
    }
    let update = |name: &str| UpdatePassportRequest { passport: Some(passport(name, "stat", UpdateFrequency::Daily)) };
    let theirs = datasets.update_passport(update("aholi-soni")).await.expect_err("refused");
    let none = datasets.update_passport(update("yoq-toplam")).await.expect_err("refused");
    pairs.push(("UpdatePassport", theirs, none));
    let theirs = datasets.publish_version(endless_upload("aholi-soni")).await.expect_err("refused");
    let none = datasets.publish_version(endless_upload("yoq-toplam")).await.expect_err("refused");
    pairs.push(("PublishVersion", theirs, none));
    let create =
        |supplier: &str| CreateDatasetRequest { passport: Some(passport("soxta", supplier, UpdateFrequency::Yearly)) };
    let theirs = datasets.create_dataset(create("stat")).await.expect_err("refused");
    let none = datasets.create_dataset(create("yoq")).await.expect_err("refused");
    pairs.push(("CreateDataset", theirs, none));
    let theirs = datasets.list_datasets(ListDatasetsRequest { supplier: "stat".into() }).await.expect_err("refused");
    let none = datasets.list_datasets(ListDatasetsRequest { supplier: "yoq".into() }).await.expect_err("refused");
    pairs.push(("ListDatasets", theirs, none));
    let theirs = suppliers.get_supplier(GetSupplierRequest { name: "stat".into() }).await.expect_err("refused");
    let none = suppliers.get_supplier(GetSupplierRequest { name: "yoq".into() }).await.expect_err("refused");
    pairs.push(("GetSupplier", theirs, none));
    let theirs =
        feedback.list_messages(ListMessagesRequest { dataset: "aholi-soni".into() }).await.expect_err("refused");
    let none = feedback.list_messages(ListMessagesRequest { dataset: "yoq-toplam".into() }).await.expect_err("refused");
    pairs.push(("ListMessages", theirs, none));
    let theirs = keys.revoke_api_key(RevokeApiKeyRequest { id: key_id.clone() }).await.expect_err("refused");
    let none = keys.revoke_api_key(RevokeApiKeyRequest { id: unknown_key.clone() }).await.expect_err("refused");
    pairs.push(("RevokeApiKey", theirs, none));
    for (method, theirs, none) in &pairs {
        assert_refused(none, Code::PermissionDenied, method, "may reach only its own");
        assert_eq!((none.code(), none.message()), (theirs.code(), theirs.message()), "{method}");
    }

    // The operator and auditors reach everything, so they are told what is not there.
    let missing = h.datasets(AUDITOR).get_dataset(GetDatasetRequest { name: "yoq-toplam".into() }).await;
    assert_eq!(missing.expect_err("none").code(), Code::NotFound);
    let missing = h.suppliers(AUDITOR).get_supplier(GetSupplierRequest { name: "yoq".into() }).await;
    assert_eq!(missing.expect_err("none").code(), Code::NotFound);
    let missing = h.api_keys(OPERATOR).revoke_api_key(RevokeApiKeyRequest { id: unknown_key }).await;
    assert_eq!(missing.expect_err("none").code(), Code::NotFound);
    let missing = h.feedback(OPERATOR).list_messages(ListMessagesRequest { dataset: "yoq-toplam".into() }).await;
    assert_eq!(missing.expect_err("none").code(), Code::NotFound);

    // Nothing changed: the key is in force, no data set was made.
    let repository = h.repository().await;
    assert_eq!(repository.api_key(&key_id).await.expect("stored").revoked_at, None);
    assert_eq!(rows::<dataset::Entity>(&h).await, 1);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_supplier_certificate_is_refused_within_a_second() {
    let h = start().await;
    h.register_statistics_agency().await;
    let read = || {
        let mut client = h.suppliers(STAT);
        async move { client.get_supplier(GetSupplierRequest { name: "stat".into() }).await }
    };
    read().await.expect("the agency reads its record");
    // The clock starts when the registry's record of the revocation is on registry.events.
    h.revoke(STAT).await;
    let revoked_at = Instant::now();
    let refused = first_refusal(revoked_at, Duration::from_secs(1), Duration::from_millis(20), read).await;
    assert!(revoked_at.elapsed() < Duration::from_secs(1), "refused only after {:?}", revoked_at.elapsed());
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(refused.message().contains("is revoked: key lost"), "{}", refused.message());
    h.suppliers(OPERATOR).get_supplier(GetSupplierRequest { name: "stat".into() }).await.expect("operator");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_unavailable_while_the_registrys_certificates_were_never_read() {
    let authz = AuthzConfig { startup_wait: Duration::from_millis(300), ..AuthzConfig::default() };
    let h = start_with(Setup { publish: false, authz, ..Setup::default() }).await;
    for who in [OPERATOR, STAT, COMPANY] {
        let refused = h
            .datasets(who)
            .list_datasets(ListDatasetsRequest::default())
            .await
            .expect_err("revocations cannot be confirmed");
        assert_refused(
            &refused,
            Code::Unavailable,
            "koprik.opendata.v1.Datasets/ListDatasets",
            "certificate revocations cannot be confirmed now",
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_unavailable_once_the_broker_is_gone_for_longer_than_max_staleness() {
    let authz = AuthzConfig {
        max_staleness: Duration::from_secs(1),
        probe_interval: Duration::from_millis(100),
        ..AuthzConfig::default()
    };
    let mut h = start_with(Setup { authz, ..Setup::default() }).await;
    h.datasets(OPERATOR).list_datasets(ListDatasetsRequest::default()).await.expect("admitted");
    h.kill_broker().await;
    let killed = Instant::now();
    let refused = first_refusal(killed, Duration::from_secs(5), Duration::from_millis(50), || {
        let mut client = h.datasets(OPERATOR);
        async move { client.list_datasets(ListDatasetsRequest::default()).await }
    })
    .await;
    assert_refused(
        &refused,
        Code::Unavailable,
        "koprik.opendata.v1.Datasets/ListDatasets",
        "certificate revocations cannot be confirmed now",
    );
    // Without a broker the portal cannot stop gracefully (its relay has nowhere to publish): kill it.
    h.crash().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_unavailable_while_the_registry_is_silent_and_admitted_again_once_it_beats() {
    // The broker stays up and the portal reads registry.events to its end all along; only the heartbeats stop, as
    // when the registry is down or its relay is wedged, so revocations it records may not be arriving.
    let authz = AuthzConfig {
        max_staleness: Duration::from_secs(1),
        probe_interval: Duration::from_millis(100),
        ..AuthzConfig::default()
    };
    let mut h = start_with(Setup { authz, ..Setup::default() }).await;
    let list = |h: &Harness, who: &'static str| {
        let mut client = h.datasets(who);
        async move { client.list_datasets(ListDatasetsRequest::default()).await }
    };
    h.register_statistics_agency().await;
    list(&h, STAT).await.expect("admitted while the registry beats");
    h.stop_heartbeats();
    let silent = Instant::now();
    let refused =
        first_refusal(silent, Duration::from_millis(1_200), Duration::from_millis(50), || list(&h, OPERATOR)).await;
    assert_refused(
        &refused,
        Code::Unavailable,
        "koprik.opendata.v1.Datasets/ListDatasets",
        "certificate revocations cannot be confirmed now",
    );
    assert!(refused.message().contains("the registry's latest heartbeat is"), "{}", refused.message());
    for who in [STAT, COMPANY] {
        let status = list(&h, who).await.expect_err("every caller is refused");
        assert_eq!(status.code(), Code::Unavailable, "{who}: {status:?}");
    }
    // The public HTTP API needs no certificate and goes on serving.
    let page = koprik_testkit::net::http_get(h.http, "/api/3/action/package_list").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");

    // The registry beats again: calls are admitted again, with no restart.
    h.resume_heartbeats().await;
    let resumed = Instant::now();
    loop {
        match list(&h, OPERATOR).await {
            Ok(_) => break,
            Err(status) => {
                assert!(
                    resumed.elapsed() < Duration::from_secs(5),
                    "still refused after the beats resumed: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    list(&h, STAT).await.expect("the agency too");
    h.stop().await;
}
