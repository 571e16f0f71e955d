#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver and the check that one exchange call is one trace (make interop).

`serve` listens like an OpenTelemetry collector (POST /v1/traces, protobuf), decodes each export with the
OpenTelemetry project's own protobuf definitions (`opentelemetry-proto`) and appends every span as one JSON line
to a file. `check` reads that file and finds the trace of one call by its request id: the gateway's exchange span
carries `koprik.request_id`, and the same trace id must hold spans of the gateway, the provider's adapter and
billing's metering of the call's usage record, each process reporting under its own `service.name`. Spans must
never carry payloads: the check also fails on any attribute whose value contains the call's personal number.
"""

import argparse
import http.server
import json
import sys
import time

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


def attribute_value(value) -> str:
    kind = value.WhichOneof("value")
    return str(getattr(value, kind)) if kind else ""


def spans_of(request: trace_service_pb2.ExportTraceServiceRequest):
    for resource_spans in request.resource_spans:
        resource = {a.key: attribute_value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "service": resource.get("service.name", ""),
                    "name": span.name,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "attributes": {a.key: attribute_value(a.value) for a in span.attributes},
                    "links": [link.trace_id.hex() for link in span.links],
                }


def serve(args) -> int:
    out = open(args.spans, "a", encoding="utf-8")

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/v1/traces":
                self.send_error(404, "only /v1/traces")
                return
            request = trace_service_pb2.ExportTraceServiceRequest()
            try:
                request.ParseFromString(body)
            except Exception as error:  # a malformed export is the exporter's bug: say so
                self.send_error(400, f"not an ExportTraceServiceRequest: {error}")
                return
            for span in spans_of(request):
                out.write(json.dumps(span) + "\n")
            out.flush()
            reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Receiver).serve_forever()
    return 0


def load(path: str) -> list:
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def check(args) -> int:
    wanted = {"koprik-gateway", "koprik-adapter", "koprik-billing"}
    deadline = time.monotonic() + args.wait
    while True:
        spans = load(args.spans)
        calls = [s for s in spans if s["attributes"].get("koprik.request_id") == args.request_id]
        trace_ids = {s["trace_id"] for s in calls if s["service"] == "koprik-gateway"}
        trace = [s for s in spans if s["trace_id"] in trace_ids]
        services = {s["service"] for s in trace}
        if len(trace_ids) == 1 and wanted <= services:
            break
        if time.monotonic() > deadline:
            print(
                f"traces: FAILED: call {args.request_id}: gateway trace ids {sorted(trace_ids)}, services in the "
                f"trace {sorted(services)}, want {sorted(wanted)}; {len(spans)} spans received",
                file=sys.stderr,
            )
            return 1
        time.sleep(1)
    leaks = [s for s in spans for v in s["attributes"].values() if args.forbidden and args.forbidden in v]
    if leaks:
        print(f"traces: FAILED: a span carries personal data: {leaks[0]}", file=sys.stderr)
        return 1
    by_id = {s["span_id"]: s for s in trace}
    orphans = [s for s in trace if s["parent_span_id"] and s["parent_span_id"] not in by_id]
    names = sorted({f'{s["service"]}:{s["name"]}' for s in trace})
    print(
        f"traces: call {args.request_id} is trace {trace_ids.pop()}: {len(trace)} spans across "
        f"{sorted(services)} ({', '.join(names)}); {len(orphans)} with a parent outside the collected spans"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_args = commands.add_parser("serve", help="receive OTLP/HTTP exports and append the spans to a file")
    serve_args.add_argument("--port", type=int, required=True)
    serve_args.add_argument("--spans", required=True)
    check_args = commands.add_parser("check", help="one call, one trace across gateway, adapter and billing")
    check_args.add_argument("--spans", required=True)
    check_args.add_argument("--request-id", required=True)
    check_args.add_argument("--forbidden", default="", help="a value no span attribute may contain")
    check_args.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the exports")
    args = parser.parse_args()
    return serve(args) if args.command == "serve" else check(args)


if __name__ == "__main__":
    sys.exit(main())
