"""A consumer agency's client written in Python, generated from proto/ with grpcio-tools.

It calls the gateway like any integrator would (granted and ungranted), over TLS with the development CA and the
client certificate of its subsystem (the gateway identifies callers by certificate), then reads exchange.audit with a generic
Kafka client (confluent-kafka) and decodes the audit records with the same generated classes. Exits non-zero on
any mismatch. Run by tests/interop/run (make interop).
"""

import argparse
import json
import sys
import time
import uuid


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--generated", required=True)
    parser.add_argument("--ca", required=True, help="the CA the gateway's certificate chains to (PEM)")
    parser.add_argument("--clients", required=True, help="directory of <subsystem with '/' as '_'>.pem|key")
    args = parser.parse_args()
    sys.path.insert(0, args.generated)

    import grpc
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    from koprik.common.v1 import common_pb2
    from koprik.events.v1 import events_pb2
    from koprik.exchange.v1 import exchange_pb2, exchange_pb2_grpc

    service = common_pb2.ServiceId(
        subsystem=common_pb2.SubsystemId(
            member=common_pb2.MemberId(instance="UZ", member_class="GOV", member_code="201122919"),
            subsystem_code="civil-registry",
        ),
        service_code="person-by-pinfl",
        version="v1",
    )
    request = exchange_pb2.CallRequest(
        service=service,
        applicants=[common_pb2.ApplicantId(pinfl="31403850260011")],
        data_items=["surname", "birth_date"],
    )
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

    try:
        stub_for("UZ/COM/207028220/loan-origination").Call(request, timeout=10)
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
