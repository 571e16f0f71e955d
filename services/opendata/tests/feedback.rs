//! Users' proposals are forwarded to suppliers within one day or show as overdue; suppliers whose updates are
//! overdue are flagged and notified on `opendata.notifications` (OD Annex 3).

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use koprik_kafka::topics::OPENDATA_NOTIFICATIONS;
use koprik_opendata::repository::{NewMessage, NewProposal};
use koprik_opendata::store::dataset;
use koprik_proto::events::{opendata_notification::Kind, OpendataNotification};
use koprik_proto::opendata::{
    ForwardProposalRequest, ListOverdueDatasetsRequest, ListProposalsRequest, UpdateFrequency,
};
use koprik_proto::tonic::Code;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const ONE_DAY: Duration = Duration::from_secs(24 * 3600);

fn proposal(title: &str, supplier: &str) -> NewProposal {
    NewProposal {
        title: title.into(),
        description: "Tumanlar kesimida".into(),
        suggested_supplier: supplier.into(),
        author: "Nodira".into(),
        contact: "nodira@example.uz".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_not_forwarded_within_one_day_shows_as_overdue_until_forwarded() {
    let portal = start().await;
    portal.register_statistics_agency().await;
    let repository = portal.repository().await;
    let now = Utc::now();

    let late = repository
        .receive_proposal(proposal("Maktablar ro'yxati", ""), now - chrono::Duration::hours(25), ONE_DAY)
        .await
        .expect("old proposal");
    let fresh = repository
        .receive_proposal(proposal("Kasalxonalar", ""), now - chrono::Duration::hours(23), ONE_DAY)
        .await
        .expect("recent proposal");
    let named = repository
        .receive_proposal(proposal("Tug'ilish statistikasi", "stat"), now - chrono::Duration::hours(30), ONE_DAY)
        .await
        .expect("proposal naming a supplier");
    assert_eq!(named.forwarded_to.as_deref(), Some("stat"), "a proposal naming a known supplier goes to it at once");

    let overdue = portal
        .feedback(OPERATOR)
        .list_proposals(ListProposalsRequest { overdue_only: true })
        .await
        .expect("proposals")
        .into_inner()
        .proposals;
    assert_eq!(overdue.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [late.id.as_str()]);
    assert!(overdue[0].overdue);
    let all =
        portal.feedback(OPERATOR).list_proposals(ListProposalsRequest { overdue_only: false }).await.expect("all");
    let all = all.into_inner().proposals;
    assert_eq!(all.len(), 3);
    assert!(!all.iter().find(|p| p.id == fresh.id).expect("fresh").overdue);

    let forwarded = portal
        .feedback(OPERATOR)
        .forward_proposal(ForwardProposalRequest { id: late.id.clone(), supplier: "stat".into() })
        .await
        .expect("forwarded")
        .into_inner();
    assert_eq!(forwarded.forwarded_to, "stat");
    assert!(!forwarded.overdue);
    let twice = portal
        .feedback(OPERATOR)
        .forward_proposal(ForwardProposalRequest { id: late.id.clone(), supplier: "stat".into() })
        .await
        .expect_err("already forwarded");
    assert_eq!(twice.code(), Code::FailedPrecondition);

    let notification = koprik_testkit::kafka::wait_for_record::<OpendataNotification, _>(
        &portal.broker.kafka_config(),
        OPENDATA_NOTIFICATIONS,
        Duration::from_secs(20),
        |r| matches!(&r.value.kind, Some(Kind::ProposalForwarded(p)) if p.id == late.id),
    )
    .await;
    assert_eq!(notification.value.supplier, "stat");
    assert_eq!(notification.value.recipient.expect("recipient").email, "opendata@stat.uz");
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_whose_update_is_overdue_is_flagged_and_notified_once() {
    let portal = start().await;
    portal.register_statistics_agency().await;
    portal.create_population_dataset("aholi-soni", UpdateFrequency::Daily).await;
    portal.create_population_dataset("aholi-zichligi", UpdateFrequency::Irregular).await;
    portal.publish("aholi-soni", 1, POPULATION_CSV).await.expect("published");
    portal.publish("aholi-zichligi", 1, POPULATION_CSV).await.expect("published");
    let repository = portal.repository().await;

    // The daily data set's last version is two days old.
    dataset::Entity::update_many()
        .col_expr(dataset::Column::NextUpdateDue, Expr::value(Utc::now() - chrono::Duration::days(1)))
        .filter(dataset::Column::Name.eq("aholi-soni"))
        .exec(repository.db())
        .await
        .expect("backdated");

    let notification = koprik_testkit::kafka::wait_for_record::<OpendataNotification, _>(
        &portal.broker.kafka_config(),
        OPENDATA_NOTIFICATIONS,
        Duration::from_secs(20),
        |r| matches!(&r.value.kind, Some(Kind::UpdateOverdue(u)) if u.dataset == "aholi-soni"),
    )
    .await;
    assert_eq!(notification.value.supplier, "stat");

    let overdue = portal
        .datasets(STAT)
        .list_overdue_datasets(ListOverdueDatasetsRequest {})
        .await
        .expect("overdue")
        .into_inner()
        .datasets;
    assert_eq!(overdue.len(), 1, "only the daily data set is overdue");
    assert_eq!(overdue[0].dataset.as_ref().expect("dataset").passport.as_ref().expect("passport").name, "aholi-soni");
    assert!(overdue[0].notified_at.is_some());
    assert!(
        repository.notify_overdue_updates(Utc::now()).await.expect("second look").is_empty(),
        "one notification per due date"
    );

    // A new version clears the flag.
    portal.publish("aholi-soni", 1, POPULATION_CSV).await.expect("updated");
    let overdue = portal.datasets(STAT).list_overdue_datasets(ListOverdueDatasetsRequest {}).await.expect("overdue");
    assert!(overdue.into_inner().datasets.is_empty());
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_about_a_data_set_reaches_its_supplier() {
    let portal = start().await;
    portal.register_statistics_agency().await;
    portal.create_population_dataset("aholi-soni", UpdateFrequency::Yearly).await;
    let repository = portal.repository().await;
    let message = repository
        .receive_message(
            NewMessage {
                dataset: "aholi-soni".into(),
                author: "Jasur".into(),
                contact: "jasur@example.uz".into(),
                body: "2024 yil ma'lumotlari yo'q".into(),
            },
            Utc::now(),
        )
        .await
        .expect("message");
    let received = koprik_testkit::kafka::wait_for_record::<OpendataNotification, _>(
        &portal.broker.kafka_config(),
        OPENDATA_NOTIFICATIONS,
        Duration::from_secs(20),
        |r| matches!(&r.value.kind, Some(Kind::MessageReceived(m)) if m.id == message.id),
    )
    .await;
    assert_eq!(received.key, "stat");
    let unknown = repository
        .receive_message(
            NewMessage { dataset: "yoq".into(), author: "x".into(), contact: "y".into(), body: "z".into() },
            Utc::now(),
        )
        .await
        .expect_err("unknown data set");
    assert!(unknown.to_string().contains("not found"));
    portal.stop().await;
}
