//! The demo open data of `koprik up`: the statistics agency as a supplier and one data set, the population by
//! region, with its passport, structure and a first version, recorded idempotently. The operator registers the
//! supplier; the supplier (its certificate, [`crate::demo_pki::SUPPLIER`]) publishes its own data set. The platform's
//! own data sets (registry, web services, exchange statistics) are published by the portal itself.

use koprik_proto::ids::MemberId;
use koprik_proto::opendata::datasets_client::DatasetsClient;
use koprik_proto::opendata::suppliers_client::SuppliersClient;
use koprik_proto::opendata::{
    publish_version_request::Part, CreateDatasetRequest, DefineStructureRequest, Field, FieldType, GetDatasetRequest,
    Passport, PublishVersionHeader, PublishVersionRequest, RegisterSupplierRequest, ResponsiblePerson, Supplier, Text,
    UpdateFrequency,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::Code;

/// The demo supplier's URL name.
pub const SUPPLIER: &str = "stat";
/// The demo data set's URL name.
pub const DATASET: &str = "aholi-soni-viloyatlar";

/// Population by region at the start of 2025, thousands (rounded demo figures).
const POPULATION: &str = "region,year,population\n\
Qoraqalpog'iston Respublikasi,2025,2000.5\n\
Andijon viloyati,2025,3426.2\n\
Buxoro viloyati,2025,2044.9\n\
Jizzax viloyati,2025,1500.7\n\
Qashqadaryo viloyati,2025,3566.2\n\
Navoiy viloyati,2025,1067.0\n\
Namangan viloyati,2025,3067.3\n\
Samarqand viloyati,2025,4207.3\n\
Surxondaryo viloyati,2025,2875.3\n\
Sirdaryo viloyati,2025,919.5\n\
Toshkent viloyati,2025,3062.8\n\
Farg'ona viloyati,2025,4057.1\n\
Xorazm viloyati,2025,1982.8\n\
Toshkent shahri,2025,3095.5\n";

fn text(uz: &str, ru: &str, en: &str) -> Option<Text> {
    Some(Text { uz: uz.into(), ru: ru.into(), en: en.into() })
}

fn field(name: &str, kind: FieldType, titles: [&str; 3], unit: &str) -> Field {
    Field {
        name: name.into(),
        r#type: kind.into(),
        required: true,
        title: text(titles[0], titles[1], titles[2]),
        description: None,
        unit: unit.into(),
    }
}

/// Records the demo supplier, with `operator` (an opendata channel presenting the operator's certificate), and its
/// data set, with `supplier` (presenting the statistics agency's supplier certificate); returns the data set's
/// name and version for the banner.
pub async fn seed(operator: Channel, supplier: Channel) -> anyhow::Result<String> {
    let member: MemberId = crate::demo::STATISTICS_AGENCY.parse()?;
    let record = Supplier {
        member: Some((&member).into()),
        name: SUPPLIER.into(),
        title: text("O'zbekiston Respublikasi Statistika agentligi", "Агентство статистики", "Statistics Agency"),
        domain: "stat.uz".into(),
        responsible: Some(ResponsiblePerson {
            full_name: "Ochiq ma'lumotlar bo'limi".into(),
            position: "Bo'lim boshlig'i".into(),
            phone: "+998712391234".into(),
            email: "opendata@stat.uz".into(),
        }),
        registered_at: None,
    };
    match SuppliersClient::new(operator).register_supplier(RegisterSupplierRequest { supplier: Some(record) }).await {
        Ok(_) => {}
        Err(status) if status.code() == Code::AlreadyExists => {}
        Err(status) => return Err(anyhow::Error::new(status).context("registering the demo supplier")),
    }
    let mut datasets = DatasetsClient::new(supplier);
    let passport = Passport {
        name: DATASET.into(),
        supplier: SUPPLIER.into(),
        title: text(
            "Doimiy aholi soni (viloyatlar)",
            "Численность постоянного населения по регионам",
            "Resident population by region",
        ),
        description: text(
            "Yil boshidagi doimiy aholi soni, viloyatlar kesimida",
            "Численность постоянного населения на начало года по регионам",
            "Resident population at the start of the year, by region",
        ),
        composition: text(
            "Hudud, yil, aholi soni (ming kishi)",
            "Регион, год, численность (тыс. человек)",
            "Region, year, population (thousands)",
        ),
        methodology: text("Joriy hisob ma'lumotlari", "Данные текущего учёта", "Current population accounting"),
        update_frequency: UpdateFrequency::Yearly.into(),
        unit: "ming kishi".into(),
        related_links: vec!["https://stat.uz/uz/rasmiy-statistika/demography-2".into()],
        keywords_uz: vec!["aholi".into(), "demografiya".into()],
        keywords_ru: vec!["население".into()],
        keywords_en: vec!["population".into(), "demography".into()],
        license_id: String::new(),
    };
    match datasets.create_dataset(CreateDatasetRequest { passport: Some(passport) }).await {
        Ok(_) => {}
        Err(status) if status.code() == Code::AlreadyExists => {}
        Err(status) => return Err(anyhow::Error::new(status).context("creating the demo data set")),
    }
    let fields = vec![
        field("region", FieldType::String, ["Hudud", "Регион", "Region"], ""),
        field("year", FieldType::Integer, ["Yil", "Год", "Year"], ""),
        field("population", FieldType::Decimal, ["Aholi soni", "Численность", "Population"], "ming kishi"),
    ];
    let structure = datasets.define_structure(DefineStructureRequest { dataset: DATASET.into(), fields }).await?;
    let current = datasets.get_dataset(GetDatasetRequest { name: DATASET.into() }).await?.into_inner();
    if current.version == 0 {
        let header = PublishVersionHeader {
            dataset: DATASET.into(),
            structure_version: structure.into_inner().number,
            change_note: "2025 yil boshidagi ma'lumotlar".into(),
        };
        let parts = vec![
            PublishVersionRequest { part: Some(Part::Header(header)) },
            PublishVersionRequest { part: Some(Part::Chunk(POPULATION.as_bytes().to_vec())) },
        ];
        datasets.publish_version(futures::stream::iter(parts)).await?;
    }
    Ok(format!("{DATASET} (version {})", current.version.max(1)))
}
