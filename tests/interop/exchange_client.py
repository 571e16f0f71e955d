"""A consumer agency's client written in Python, generated from proto/ with grpcio-tools.

It calls the gateway like any integrator would (granted and ungranted), over TLS with the development CA and the
client certificate of its subsystem (the gateway identifies callers by certificate). It fills in the REG-2 p. 14
particulars and signs the canonical request encoding with the officer's Ed25519 key, implemented here from the
specification in proto/koprik/exchange/v1/exchange.proto alone (the `cryptography` package signs), so the Rust and
Python encodings are checked against each other. Then it reads exchange.audit with a generic Kafka client
(confluent-kafka) and decodes the audit records with the same generated classes. Exits non-zero on any mismatch.
Run by tests/interop/run (make interop).
"""

import argparse
import hashlib
import json
import sys
import time
import uuid

from cryptography.hazmat.primitives.serialization import load_pem_private_key


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
    parser.add_argument("--clients", required=True, help="directory of <subsystem with '/' as '_'>.pem|key")
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
        """A gateway stub presenting `subsystem`'s client certificate."""
        stem = f"{args.clients}/{subsystem.replace('/', '_')}"
        with open(args.ca, "rb") as ca, open(f"{stem}.pem", "rb") as cert, open(f"{stem}.key", "rb") as key:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=ca.read(), private_key=key.read(), certificate_chain=cert.read()
            )
        channel = grpc.secure_channel(
            args.gateway, credentials, options=[("grpc.ssl_target_name_override", "localhost")]
        )
        return exchange_pb2_grpc.ExchangeStub(channel)

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

    bank = common_pb2.MemberId(instance="UZ", member_class="COM", member_code="207028220")
    ungranted = signed(person_request(), bank, "loan-origination.officer-1", "Jasur Toshmatov", "Kredit mutaxassisi (loan officer)")
    try:
        stub_for("UZ/COM/207028220/loan-origination").Call(ungranted, timeout=10)
        raise AssertionError("a consumer without a grant was served")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, error
        refused_id = dict(error.trailing_metadata()).get("koprik-request-id")
        print(f"python client: refused {refused_id}: {error.details()}")

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
            print(f"kafka client: audit {record.request_id} {events_pb2.AuditOutcome.Name(record.outcome)}")
    consumer.close()
    assert not wanted, f"audit records not found: {wanted}"
    return 0


if __name__ == "__main__":
    sys.exit(main())
