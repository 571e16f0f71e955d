"""Open data users' tools against the Open Data Portal of a running `koprik up` stack.

- ckanapi (the CKAN project's own client library), unchanged, against /api/3/action: status, listing, search with
  q, fq, rows, start and sort, organisations, tags, resources, and CKAN's NotFound and ValidationError.
- Every download format opened by the library made for it: csv, json, xml.etree, openpyxl (XLSX) and rdflib
  (DCAT as Turtle and JSON-LD).
- A supplier's system in Python (grpcio, generated from proto/) publishing a version with the supplier's certificate;
  a file with a PINFL column is refused naming the column; a proposal goes through the public API and the operator
  (its certificate) sees it. The authorization policy refuses a consumer publishing into the supplier's data set,
  the supplier reading the operator's proposals, and any call without a certificate.
- The platform's own data: the web-services catalogue data set lists the registry's demo service.
Exits non-zero on any mismatch. Run by tests/interop/run (make interop).
"""

import argparse
import csv
import io
import json
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

import ckanapi
import openpyxl
import rdflib

import roles


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"opendata client: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def ckan_checks(portal: str, dataset: str) -> dict:
    ckan = ckanapi.RemoteCKAN(portal, user_agent="koprik-interop/1.0")
    status = ckan.action.status_show()
    check("ckan_version" in status, f"status_show: {status}")
    names = ckan.action.package_list()
    check(dataset in names, f"package_list has {dataset}: {names}")

    found = ckan.action.package_search(q="aholi", fq="organization:stat", rows=5)
    check(found["count"] >= 1 and found["results"][0]["name"] == dataset, f"package_search q+fq: {found}")
    check(ckan.action.package_search(fq="organization:nobody")["count"] == 0, "fq on an unknown organisation")
    # The platform data sets are published by background loops while this runs; paging is only comparable
    # with a catalogue that did not change in between, so a page walk that saw a publication is repeated.
    for _attempt in range(10):
        everything = sorted(p["name"] for p in ckan.action.package_search(rows=1000)["results"])
        paged = []
        for start in range(0, len(everything), 2):
            paged += [p["name"] for p in ckan.action.package_search(rows=2, start=start, sort="name asc")["results"]]
        after = sorted(p["name"] for p in ckan.action.package_search(rows=1000)["results"])
        if everything == after:
            break
        time.sleep(1)
    check(everything == after, f"the catalogue kept changing during paging: {everything} then {after}")
    check(paged == everything, f"paging by 2 covers all once: {paged} against {everything}")
    by_tag = ckan.action.package_search(fq='tags:"aholi" res_format:CSV')
    check(dataset in [p["name"] for p in by_tag["results"]], "fq tags and res_format")
    try:
        ckan.action.package_search(sort="popularity desc")
        check(False, "an unknown sort must be refused")
    except ckanapi.ValidationError as error:
        print(f"opendata client: bad sort refused as CKAN does: {error}")
    try:
        ckan.action.package_show(id="no-such-dataset")
        check(False, "a missing data set must be NotFound")
    except ckanapi.NotFound:
        pass

    package = ckan.action.package_show(id=dataset)
    check(package["organization"]["name"] == "stat", "package_show organisation")
    check(set(package["title_translated"]) == {"uz", "ru", "en"}, "titles in three languages")
    formats = sorted(r["format"] for r in package["resources"])
    check(formats == ["CSV", "JSON", "XLSX", "XML"], f"resources: {formats}")
    resource = ckan.action.resource_show(id=package["resources"][0]["id"])
    check(resource["package_id"] == package["id"], "resource_show")
    orgs = ckan.action.organization_list(all_fields=True)
    check(any(o["name"] == "stat" for o in orgs), f"organization_list: {orgs}")
    check(ckan.action.organization_show(id="stat")["name"] == "stat", "organization_show")
    check("aholi" in ckan.action.tag_list(), "tag_list")
    recent = ckan.action.current_package_list_with_resources(limit=10)
    check(any(p["name"] == dataset for p in recent), "current_package_list_with_resources")
    print(f"opendata client: ckanapi {len(names)} data sets, search/paging/filters/sort/errors behave like CKAN")
    return package


def format_checks(portal: str, package: dict) -> None:
    urls = {r["format"]: r["url"] for r in package["resources"]}
    rows = list(csv.DictReader(io.StringIO(fetch(urls["CSV"]).decode("utf-8"))))
    check(len(rows) >= 10 and rows[0]["region"], f"CSV rows: {rows[:2]}")
    document = json.loads(fetch(urls["JSON"]))
    records = document["records"]
    check(len(records) == len(rows) and isinstance(records[0]["year"], int), f"JSON typed records: {records[:1]}")
    root = ET.fromstring(fetch(urls["XML"]))
    check(len(root.findall("record")) == len(rows), "XML records")
    workbook = openpyxl.load_workbook(io.BytesIO(fetch(urls["XLSX"])), read_only=True)
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    check(sheet_rows[0][0] == "region" and len(sheet_rows) == len(rows) + 1, f"XLSX rows: {sheet_rows[:2]}")
    check(isinstance(sheet_rows[1][1], int), "XLSX numbers are numbers")
    graph = rdflib.Graph().parse(data=fetch(f"{portal}/catalog.ttl"), format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    datasets = list(graph.subjects(rdflib.RDF.type, dcat.Dataset))
    check(len(datasets) >= 1, "DCAT Turtle has datasets")
    jsonld = rdflib.Graph().parse(data=fetch(f"{portal}/dataset/{package['name']}.jsonld"), format="json-ld")
    check(len(list(jsonld.subjects(rdflib.RDF.type, dcat.Dataset))) == 1, "DCAT JSON-LD of one data set")
    print(f"opendata client: CSV, JSON, XML, XLSX (openpyxl), DCAT Turtle and JSON-LD (rdflib) all open; {len(rows)} rows")


def supplier_checks(args, portal: str) -> None:
    sys.path.insert(0, args.generated)
    import grpc
    from koprik.opendata.v1 import opendata_pb2 as od, opendata_pb2_grpc as od_grpc
    from koprik.common.v1 import common_pb2

    # The statistics agency's system publishes with its supplier certificate; the operator reads proposals with its own.
    supplier = roles.channel(args.opendata, args.ca, args.clients, "supplier")
    operator = roles.channel(args.opendata, args.ca, args.clients, "operator")
    consumer = roles.channel(args.opendata, args.ca, args.clients, "consumer", "UZ/GOV/200935935/tax-inspection")
    datasets = od_grpc.DatasetsStub(supplier)
    text = lambda uz, ru, en: od.Text(uz=uz, ru=ru, en=en)
    name = f"maktablar-{int(time.time())}"
    create = od.CreateDatasetRequest(passport=od.Passport(
        name=name, supplier="stat", title=text("Maktablar", "Школы", "Schools"),
        description=text("Maktablar ro'yxati", "Список школ", "List of schools"),
        composition=text("Nomi, tuman", "", ""), methodology=text("Ma'muriy ma'lumotlar", "", ""),
        update_frequency=od.UPDATE_FREQUENCY_YEARLY, keywords_uz=["maktab"]))
    details = roles.refused(lambda: od_grpc.DatasetsStub(consumer).CreateDataset(create, timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED, "a consumer creating a data set of the supplier")
    print(f"opendata client: policy: a consumer's certificate calling CreateDataset: PERMISSION_DENIED: {details}")
    anonymous = od_grpc.DatasetsStub(roles.channel(args.opendata, args.ca))
    details = roles.refused(
        lambda: anonymous.ListDatasets(od.ListDatasetsRequest(), timeout=10), grpc.StatusCode.UNAUTHENTICATED,
        "listing data sets over gRPC without a certificate")
    print(f"opendata client: policy: no certificate calling ListDatasets: UNAUTHENTICATED: {details}")
    datasets.CreateDataset(create, timeout=10)
    field = lambda n, t: od.Field(name=n, type=t, required=False, title=text(n, n, n))
    datasets.DefineStructure(od.DefineStructureRequest(dataset=name, fields=[
        field("school", od.FIELD_TYPE_STRING), field("director_pinfl", od.FIELD_TYPE_STRING)]), timeout=10)

    def publish(body: str):
        header = od.PublishVersionHeader(dataset=name, structure_version=1, change_note="2026")
        parts = [od.PublishVersionRequest(header=header), od.PublishVersionRequest(chunk=body.encode())]
        return datasets.PublishVersion(iter(parts), timeout=30)

    try:
        publish("school,director_pinfl\n1-maktab,31203851230046\n")
        check(False, "a file with a PINFL must be refused")
    except grpc.RpcError as error:
        check(error.code() == grpc.StatusCode.FAILED_PRECONDITION, f"refusal code {error.code()}")
        check("director_pinfl" in error.details() and "row 1" in error.details(), error.details())
        print(f"opendata client: PINFL refused: {error.details()}")
    version = publish("school,director_pinfl\n1-maktab,\n")
    check(version.number == 1 and version.rows == 1, f"published {version}")

    request = urllib.request.Request(
        f"{portal}/api/koprik/v1/proposals", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"title": "Bolalar bog'chalari", "description": "Tumanlar kesimida", "suggested_supplier": "",
                         "author": "Interop", "contact": "interop@example.uz"}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        proposal = json.loads(response.read())
    check(response.status == 201 and proposal.get("forward_due"), f"proposal: {proposal}")
    details = roles.refused(
        lambda: od_grpc.FeedbackStub(supplier).ListProposals(od.ListProposalsRequest(), timeout=10),
        grpc.StatusCode.PERMISSION_DENIED, "a supplier reading the operator's proposals")
    print(f"opendata client: policy: the supplier's certificate calling ListProposals: PERMISSION_DENIED: {details}")
    listed = od_grpc.FeedbackStub(operator).ListProposals(od.ListProposalsRequest(), timeout=10).proposals
    check(any(p.title == "Bolalar bog'chalari" and not p.overdue for p in listed), "the operator sees the proposal")
    print(f"opendata client: supplier published {name} v{version.number} over gRPC; proposal received")


def platform_checks(portal: str) -> None:
    ckan = ckanapi.RemoteCKAN(portal)
    deadline = time.time() + 60
    while True:
        try:
            package = ckan.action.package_show(id="web-services-catalogue")
            url = next(r["url"] for r in package["resources"] if r["format"] == "CSV")
            body = fetch(url).decode("utf-8")
            if "person-by-pinfl" in body:
                break
        except ckanapi.NotFound:
            pass
        check(time.time() < deadline, "the web-services catalogue data set lists the demo service within 60 s")
        time.sleep(1)
    print("opendata client: the registry's web services are published as open data")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--portal", required=True, help="the portal's public base URL")
    parser.add_argument("--opendata", required=True, help="the portal's gRPC address")
    parser.add_argument("--generated", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument(
        "--clients", required=True, help="koprik up's client certificates: <role>_<principal with '/' as '_'>.pem|key"
    )
    parser.add_argument("--dataset", default="aholi-soni-viloyatlar")
    args = parser.parse_args()
    package = ckan_checks(args.portal, args.dataset)
    format_checks(args.portal, package)
    supplier_checks(args, args.portal)
    platform_checks(args.portal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
