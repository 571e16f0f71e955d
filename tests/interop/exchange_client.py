"""A consumer agency's client written in Python, generated from proto/ with grpcio-tools.

It calls the gateway like any integrator would (granted and ungranted), over TLS with the development CA and the
client certificate of its subsystem (role consumer: the gateway identifies callers by certificate). It fills in the
REG-2 p. 14 particulars and signs the canonical request encoding with the officer's Ed25519 key, implemented here
from the specification in proto/koprik/exchange/v1/exchange.proto alone (the `cryptography` package signs), so the Rust and
Python encodings are checked against each other. Then it reads exchange.audit with a generic Kafka client
(confluent-kafka) and decodes the audit records with the same generated classes. With --billing it then acts as a
finance system against billing, each call with the certificate of the role that may make it (operator, consumer,
payment channel), and shows the authorization policy refusing the others. Exits non-zero on any mismatch.
Run by tests/interop/run (make interop).
"""

import argparse
import hashlib
import json
import sys
import time
import uuid

from cryptography.hazmat.primitives.serialization import load_pem_private_key

import roles


def canonical(*fields: str) -> bytes:
    """Each field as a 4-byte big-endian length and its UTF-8 bytes."""
    out = b""
    for field in fields:
        data = field.encode("utf-8")
        out += len(data).to_bytes(4, "big") + data
    return out


def member_text(member) -> str:
    return f"{member.instance}/{member.member_class}/{member.member_code}"


def service_text(service) -> str:
    return f"{member_text(service.subsystem.member)}/{service.subsystem.subsystem_code}/{service.service_code}/{service.version}"


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest() if payload else ""


def request_bytes(request, key_id: str) -> bytes:
    fields = ["koprik.exchange.v1.CallRequest/1", service_text(request.service), str(len(request.applicants))]
    for applicant in request.applicants:
        kind = applicant.WhichOneof("kind")
        fields.append(f"{kind}:{getattr(applicant, kind)}")
    fields.append(str(len(request.data_items)))
    fields.extend(request.data_items)
    p = request.particulars
    fields += [
        digest(request.payload),
        request.content_type,
        member_text(p.requesting_body),
        member_text(p.addressee),
        str(p.public_service_number),
        p.applicant_request_ref,
        str(p.signed_at.seconds),
        str(p.signed_at.nanos),
        p.officer_name,
        p.officer_position,
        key_id,
    ]
    return canonical(*fields)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--generated", required=True)
    parser.add_argument("--keys", required=True, help="koprik up's key directory (officer.pem)")
    parser.add_argument("--public-service", type=int, required=True)
    parser.add_argument("--ca", required=True, help="the CA the gateway's certificate chains to (PEM)")
    parser.add_argument(
        "--clients", required=True, help="koprik up's client certificates: <role>_<principal with '/' as '_'>.pem|key"
    )
    parser.add_argument("--billing", help="billing's gRPC address: also check billing as a finance system would")
    args = parser.parse_args()
    sys.path.insert(0, args.generated)

    import grpc
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    from koprik.common.v1 import common_pb2
    from koprik.events.v1 import events_pb2
    from koprik.exchange.v1 import exchange_pb2, exchange_pb2_grpc

    with open(f"{args.keys}/officer.pem", "rb") as pem:
        officer_key = load_pem_private_key(pem.read(), password=None)

    def signed(request, consumer_member, key_id, name, position):
        """The request with its particulars, signed by the officer now."""
        p = request.particulars
        p.requesting_body.CopyFrom(consumer_member)
        p.addressee.CopyFrom(request.service.subsystem.member)
        p.public_service_number = args.public_service
        p.applicant_request_ref = "PY-INTEROP-0001"
        p.signed_at.GetCurrentTime()
        p.officer_name = name
        p.officer_position = position
        request.signature.key_id = key_id
        request.signature.value = officer_key.sign(request_bytes(request, key_id))
        return request

    service = common_pb2.ServiceId(
        subsystem=common_pb2.SubsystemId(
            member=common_pb2.MemberId(instance="UZ", member_class="GOV", member_code="201122919"),
            subsystem_code="civil-registry",
        ),
        service_code="person-by-pinfl",
        version="v1",
    )
    def person_request():
        return exchange_pb2.CallRequest(
            service=service,
            applicants=[common_pb2.ApplicantId(pinfl="31403850260011")],
            data_items=["surname", "birth_date"],
        )

    tax = common_pb2.MemberId(instance="UZ", member_class="GOV", member_code="200935935")
    request = signed(person_request(), tax, "tax-inspection.officer-1", "Dilnoza Rahimova", "Bosh inspektor (chief inspector)")
    def stub_for(subsystem):
        """A gateway stub presenting `subsystem`'s client certificate (role consumer)."""
        return exchange_pb2_grpc.ExchangeStub(roles.channel(args.gateway, args.ca, args.clients, "consumer", subsystem))

    stub = stub_for("UZ/GOV/200935935/tax-inspection")
    response, call = stub.Call.with_call(request, timeout=10)
    person = json.loads(response.payload)
    assert person == {"pinfl": "31403850260011", "surname": "Karimov", "birth_date": "1985-03-14"}, person
    header_id = dict(call.initial_metadata()).get("koprik-request-id")
    assert header_id == response.request_id, (header_id, response.request_id)
    print(f"python client: delivered {response.request_id}: {person}")

    # The same request with one more item after signing: refused, the signature no longer matches.
    tampered = exchange_pb2.CallRequest()
    tampered.CopyFrom(request)
    tampered.data_items.append("address")
    try:
        stub.Call(tampered, timeout=10)
        raise AssertionError("a tampered request was served")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
        print(f"python client: tampered request refused: {error.details()}")

    # The same signed request again: a signed request is accepted once; the refusal names the first request id.
    try:
        stub.Call(request, timeout=10)
        raise AssertionError("a replayed request was served")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS, error
        assert response.request_id in error.details(), error.details()
        print(f"python client: replayed request refused: {error.details()}")

    # Only a consumer's certificate calls web services; without a certificate nothing but the health checks answers.
    as_operator = exchange_pb2_grpc.ExchangeStub(roles.channel(args.gateway, args.ca, args.clients, "operator"))
    details = roles.refused(lambda: as_operator.Call(request, timeout=10), grpc.StatusCode.PERMISSION_DENIED,
                            "the operator's certificate calling a web service")
    print(f"policy: the operator's certificate calling Exchange/Call: PERMISSION_DENIED: {details}")
    anonymous = exchange_pb2_grpc.ExchangeStub(roles.channel(args.gateway, args.ca))
    details = roles.refused(lambda: anonymous.Call(request, timeout=10), grpc.StatusCode.UNAUTHENTICATED,
                            "a call without a certificate")
    print(f"policy: no certificate calling Exchange/Call: UNAUTHENTICATED: {details}")

    bank = common_pb2.MemberId(instance="UZ", member_class="COM", member_code="207028220")
    ungranted = signed(person_request(), bank, "loan-origination.officer-1", "Jasur Toshmatov", "Kredit mutaxassisi (loan officer)")
    try:
        stub_for("UZ/COM/207028220/loan-origination").Call(ungranted, timeout=10)
        raise AssertionError("a consumer without a grant was served")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, error
        refused_id = dict(error.trailing_metadata()).get("koprik-request-id")
        print(f"python client: refused {refused_id}: {error.details()}")

    # A company under a DDP contract: delivered, and billed (a usage record for billing's metering).
    paid = signed(person_request(), bank, "kyc-check.officer-1", "Nilufar Qodirova", "Komplayens mutaxassisi (compliance officer)")
    response = stub_for("UZ/COM/207028220/kyc-check").Call(paid, timeout=10)
    print(f"python client: billed call {response.request_id} delivered under contract DDP-2026/0001")

    consumer = Consumer(
        {
            "bootstrap.servers": args.kafka,
            "group.id": f"interop-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.assign([TopicPartition("exchange.audit", 0, OFFSET_BEGINNING)])
    wanted = {response.request_id: events_pb2.AUDIT_OUTCOME_DELIVERED, refused_id: events_pb2.AUDIT_OUTCOME_REFUSED}
    deadline = time.time() + 20
    while wanted and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        headers = dict(message.headers() or [])
        assert headers.get("koprik-type") == b"koprik.events.v1.AuditRecord", headers
        record = events_pb2.AuditRecord.FromString(message.value())
        if record.request_id in wanted:
            assert record.outcome == wanted.pop(record.request_id), record
            if record.outcome == events_pb2.AUDIT_OUTCOME_DELIVERED:
                # The items asked for, and the items the answer released (declared and signed by the adapter).
                assert list(record.data_items) == ["surname", "birth_date"], record
                assert list(record.released_items) == ["surname", "birth_date"], record
            print(f"kafka client: audit {record.request_id} {events_pb2.AuditOutcome.Name(record.outcome)}")
    consumer.close()
    assert not wanted, f"audit records not found: {wanted}"
    if args.billing:
        billing(args, bank)
    return 0


def billing(args, bank) -> None:
    """A finance system's view of billing: a usage record of two months ago (as the gateway wrote it then) is
    invoiced (by the operator), the invoice is printed (by the bank's own consumer system) and paid (reported by a
    payment channel under its own name), and the InvoiceEvents are read from billing.invoices with a plain Kafka
    consumer and decoded with the classes generated from the published .proto files. Between these steps, the
    authorization policy refuses what each certificate may not do."""
    import datetime

    import grpc
    from confluent_kafka import Consumer, Producer
    from google.protobuf.timestamp_pb2 import Timestamp
    from koprik.billing.v1 import billing_pb2, billing_pb2_grpc
    from koprik.common.v1 import common_pb2
    from koprik.events.v1 import events_pb2

    def stubs(role=None, principal=None):
        channel = roles.channel(args.billing, args.ca, args.clients, role, principal)
        return billing_pb2_grpc.InvoicesStub(channel), billing_pb2_grpc.PaymentsStub(channel)

    invoices, _ = stubs("operator")
    bank_invoices, _ = stubs("consumer", "UZ/COM/207028220/kyc-check")
    tax_invoices, _ = stubs("consumer", "UZ/GOV/200935935/tax-inspection")
    _, channel_payments = stubs("payment-channel")
    payment_channel = roles.principal(args.clients, "payment-channel")
    anonymous_invoices, _ = stubs()

    tashkent = datetime.timezone(datetime.timedelta(hours=5))
    first = datetime.datetime.now(tashkent).date().replace(day=1)
    month = (first.month - 3) % 12 + 1
    year = first.year - (1 if first.month <= 2 else 0)
    received = datetime.datetime(year, month, 10, 10, 0, tzinfo=tashkent)
    period = f"{year:04d}-{month:02d}"
    at = Timestamp()
    at.FromDatetime(received.astimezone(datetime.timezone.utc))
    request_id = str(uuid.uuid4())
    service = common_pb2.ServiceId(
        subsystem=common_pb2.SubsystemId(
            member=common_pb2.MemberId(instance="UZ", member_class="GOV", member_code="201122919"),
            subsystem_code="civil-registry",
        ),
        service_code="person-by-pinfl",
        version="v1",
    )
    usage = events_pb2.UsageRecord(
        event_id=str(uuid.uuid4()),
        request_id=request_id,
        account=bank,
        consumer=common_pb2.SubsystemId(member=bank, subsystem_code="kyc-check"),
        service=service,
        provider=service.subsystem.member,
        contract_reference="DDP-2026/0001",
        received_at=at,
        answered_at=at,
        gateway="gateway-1",
    )
    # Billing bills a request only when the audit trail says it was delivered: the gateway's DELIVERED record of
    # the call, written then too (on a chain of its own here, so the running gateway's chain is untouched).
    audit = events_pb2.AuditRecord(
        event_id=str(uuid.uuid4()),
        request_id=request_id,
        gateway="gateway-1",
        consumer=usage.consumer,
        service=service,
        outcome=events_pb2.AUDIT_OUTCOME_DELIVERED,
        step=events_pb2.AUDIT_STEP_CALL,
        received_at=at,
        completed_at=at,
        chain=f"interop-history-{request_id}",
    )
    producer = Producer({"bootstrap.servers": args.kafka})
    headers = [("koprik-event-id", audit.event_id), ("koprik-type", "koprik.events.v1.AuditRecord")]
    producer.produce("exchange.audit", key=audit.chain, value=audit.SerializeToString(), headers=headers)
    headers = [("koprik-event-id", usage.event_id), ("koprik-type", "koprik.events.v1.UsageRecord")]
    producer.produce("exchange.usage", key="UZ/COM/207028220", value=usage.SerializeToString(), headers=headers)
    assert producer.flush(10) == 0, "the usage and audit records were not delivered"

    deadline = time.time() + 20
    invoice = None
    while invoice is None and time.time() < deadline:
        issued = invoices.IssueInvoices(billing_pb2.IssueInvoicesRequest(period=period), timeout=10).invoices
        invoice = next((i for i in issued if i.contract_reference == "DDP-2026/0001"), None)
        if invoice is None:
            time.sleep(0.2)
    assert invoice is not None, f"no invoice issued for {period}"
    assert len(invoice.number) == 14 and invoice.requests >= 1, invoice
    policy_checks(billing_pb2, invoices, bank_invoices, tax_invoices, anonymous_invoices, channel_payments, invoice,
                  period, payment_channel)
    # The bank's own system prints the bank's invoice: a consumer reads its own organisation's account.
    page = bank_invoices.RenderInvoice(billing_pb2.RenderInvoiceRequest(number=invoice.number), timeout=10)
    assert invoice.number in page.content.decode(), "the printed invoice names its number"
    print(f"billing client: invoice {invoice.number} for {period}: {invoice.requests} request(s), "
          f"{invoice.total_tiyin / 100:.2f} UZS, due {invoice.due_on}")
    paid_at = Timestamp()
    paid_at.GetCurrentTime()
    payment = channel_payments.RecordPayment(
        billing_pb2.RecordPaymentRequest(
            channel=payment_channel, channel_payment_id=f"IB-{invoice.number}", account=bank,
            amount_tiyin=invoice.total_tiyin - invoice.paid_tiyin, invoice_number=invoice.number, paid_at=paid_at,
        ),
        timeout=10,
    )
    print(f"billing client: payment {payment.id} reported by {payment_channel} applied "
          f"{[a.amount_tiyin for a in payment.allocations]}")

    consumer = Consumer(
        {
            "bootstrap.servers": args.kafka,
            "group.id": f"finance-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe(["billing.invoices"])
    wanted = {events_pb2.INVOICE_EVENT_KIND_ISSUED, events_pb2.INVOICE_EVENT_KIND_PAID}
    deadline = time.time() + 30
    while wanted and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        headers = dict(message.headers() or [])
        assert headers.get("koprik-type") == b"koprik.events.v1.InvoiceEvent", headers
        event = events_pb2.InvoiceEvent.FromString(message.value())
        if event.invoice.number == invoice.number:
            wanted.discard(event.kind)
            print(f"kafka client: billing.invoices {events_pb2.InvoiceEventKind.Name(event.kind)} {event.invoice.number}")
    consumer.close()
    assert not wanted, f"invoice events not found: {wanted}"


def policy_checks(billing_pb2, operator, bank, tax, anonymous, channel_payments, invoice, period, payment_channel):
    """What the authorization policy refuses, seen from a generated client: an operator's method called with a
    consumer's certificate, any method without a certificate, another organisation's invoice, a payment reported
    under another channel's name. Nothing refused may leave a record behind."""
    import datetime

    import grpc
    from google.protobuf.timestamp_pb2 import Timestamp

    details = roles.refused(
        lambda: bank.IssueInvoices(billing_pb2.IssueInvoicesRequest(period=period), timeout=10),
        grpc.StatusCode.PERMISSION_DENIED, "a consumer issuing invoices (an operator's method)")
    print(f"policy: a consumer's certificate calling IssueInvoices: PERMISSION_DENIED: {details}")
    details = roles.refused(
        lambda: anonymous.ListInvoices(billing_pb2.ListInvoicesRequest(), timeout=10),
        grpc.StatusCode.UNAUTHENTICATED, "listing invoices without a certificate")
    print(f"policy: no certificate calling ListInvoices: UNAUTHENTICATED: {details}")
    details = roles.refused(
        lambda: tax.RenderInvoice(billing_pb2.RenderInvoiceRequest(number=invoice.number), timeout=10),
        grpc.StatusCode.PERMISSION_DENIED, "another organisation's consumer printing the bank's invoice")
    print(f"policy: the tax inspection printing the bank's invoice: PERMISSION_DENIED: {details}")
    paid_at = Timestamp()
    paid_at.FromDatetime(datetime.datetime.now(datetime.timezone.utc))
    forged = billing_pb2.RecordPaymentRequest(
        channel=f"not-{payment_channel}", channel_payment_id=f"FORGED-{invoice.number}", account=invoice.account,
        amount_tiyin=invoice.total_tiyin, invoice_number=invoice.number, paid_at=paid_at)
    details = roles.refused(lambda: channel_payments.RecordPayment(forged, timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED, "a payment reported under another channel's name")
    print(f"policy: {payment_channel} reporting a payment as not-{payment_channel}: PERMISSION_DENIED: {details}")
    unpaid = operator.GetInvoice(billing_pb2.GetInvoiceRequest(number=invoice.number), timeout=10)
    assert unpaid.paid_tiyin == invoice.paid_tiyin, f"a refused payment left a record: {unpaid}"


if __name__ == "__main__":
    sys.exit(main())
