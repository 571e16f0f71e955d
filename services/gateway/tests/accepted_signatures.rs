//! The store of accepted signed requests ([`koprik_gateway::replay`]) against a real database — SQLite, and
//! PostgreSQL when `DATABASE_URL` names one (`make test` runs both): a signed request is accepted once, also when
//! two replicas record it at the same instant; a refused (rolled back) acceptance leaves nothing; the first request
//! id is told only to the consumer that sent it; rows go once no replica could accept their signature any more.

use chrono::{DateTime, Duration, Utc};
use koprik_gateway::mandatory_content::MAX_CLOCK_SKEW;
use koprik_gateway::migration::Migrator;
use koprik_gateway::replay::{expires_at, first_request_id, purge, record, Acceptance};
use koprik_testkit::TestDatabase;
use sea_orm::{DatabaseConnection, TransactionTrait};

const CONSUMER: &str = "UZ/GOV/200935935/tax-inspection";

async fn database(test: &TestDatabase) -> DatabaseConnection {
    koprik_runtime::db::connect_and_migrate::<Migrator>(&test.config()).await.expect("migrated")
}

fn acceptance(digest: &str, request_id: &str, signed_at: DateTime<Utc>) -> Acceptance {
    Acceptance {
        digest: digest.into(),
        request_id: request_id.into(),
        consumer: CONSUMER.into(),
        accepted_at: signed_at,
        expires_at: expires_at(signed_at, Duration::minutes(15)),
    }
}

#[tokio::test]
async fn a_signed_request_is_accepted_once_and_only_its_sender_learns_the_first_id() {
    let test = TestDatabase::create().await;
    let db = database(&test).await;
    let now = Utc::now();
    assert!(record(&db, &acceptance("aa", "r-1", now)).await.expect("recorded"), "first use");
    assert!(!record(&db, &acceptance("aa", "r-2", now)).await.expect("checked"), "second use");
    assert!(record(&db, &acceptance("bb", "r-3", now)).await.expect("recorded"), "another request");
    assert_eq!(first_request_id(&db, "aa", CONSUMER).await.expect("read"), Some("r-1".to_owned()));
    // Another consumer is not told whose request it was, nor its id.
    assert_eq!(first_request_id(&db, "aa", "UZ/GOV/200935935/other").await.expect("read"), None);
    assert_eq!(first_request_id(&db, "cc", CONSUMER).await.expect("read"), None, "never accepted");
}

#[tokio::test]
async fn two_replicas_recording_the_same_request_at_once_accept_it_once() {
    let test = TestDatabase::create().await;
    let (first, second) = (database(&test).await, database(&test).await);
    let now = Utc::now();
    // Each in a transaction, as with a quota: on PostgreSQL the second insert waits for the first to commit.
    let accept = |db: DatabaseConnection, digest: String, request_id: &'static str| async move {
        let txn = db.begin().await.expect("transaction");
        let accepted = record(&txn, &acceptance(&digest, request_id, now)).await.expect("recorded");
        txn.commit().await.expect("committed");
        accepted
    };
    for round in 0..20 {
        let digest = format!("digest-{round}");
        let (a, b) =
            tokio::join!(accept(first.clone(), digest.clone(), "r-a"), accept(second.clone(), digest.clone(), "r-b"));
        assert!(a != b, "round {round}: exactly one replica accepts it ({a}, {b})");
    }
}

#[tokio::test]
async fn a_rolled_back_acceptance_leaves_nothing() {
    let test = TestDatabase::create().await;
    let db = database(&test).await;
    let txn = db.begin().await.expect("transaction");
    assert!(record(&txn, &acceptance("aa", "r-1", Utc::now())).await.expect("recorded"));
    txn.rollback().await.expect("rolled back");
    assert!(record(&db, &acceptance("aa", "r-2", Utc::now())).await.expect("recorded"), "not accepted before");
    assert_eq!(first_request_id(&db, "aa", CONSUMER).await.expect("read"), Some("r-2".to_owned()));
}

#[tokio::test]
async fn rows_are_kept_for_the_window_and_the_skew_allowance_then_swept() {
    let test = TestDatabase::create().await;
    let db = database(&test).await;
    let signed_at = Utc::now();
    record(&db, &acceptance("aa", "r-1", signed_at)).await.expect("recorded");
    record(&db, &acceptance("bb", "r-2", signed_at + Duration::minutes(10))).await.expect("recorded");
    let kept_until = signed_at + Duration::minutes(15) + MAX_CLOCK_SKEW;
    assert_eq!(purge(&db, kept_until - Duration::seconds(1)).await.expect("purged"), 0);
    assert_eq!(first_request_id(&db, "aa", CONSUMER).await.expect("read"), Some("r-1".to_owned()));
    assert_eq!(purge(&db, kept_until + Duration::seconds(1)).await.expect("purged"), 1, "only the expired row");
    assert_eq!(first_request_id(&db, "aa", CONSUMER).await.expect("read"), None);
    assert_eq!(first_request_id(&db, "bb", CONSUMER).await.expect("read"), Some("r-2".to_owned()));
}
