"""Checks helm/koprik the way CI does (`make ops-check`), without a cluster or a helm binary.

For each value combination in VARIANTS, and the runbook's example values file (deploy/README.md), the chart is
linted strictly and rendered with Helm's own Go SDK (helm-python-sdk). Every manifest of a built-in kind is validated
against the Kubernetes schemas of the target version (kubernetes-validate, strict: unknown fields are errors), every
custom resource (ServiceMonitor, KafkaTopic, KafkaUser) against the schema of the fields the chart writes in
deploy/checks/schemas/ (jsonschema). Then it asserts what the schemas cannot: every workload has resource requests,
readiness and liveness probes, runs as non-root on a read-only root file system, has a PodDisruptionBudget, and reads
a configuration file whose keys the service knows and which carries its `config` values unchanged; there is one
adapter Deployment per values.adapters entry; every service serves mTLS and is configured as the authorization
policy needs (a client CA, clientAuth as asked, the [authz] section, the registry's bootstrap operators mounted);
Services, ServiceMonitors and the HPA point at what exists; every pod is under a default-deny NetworkPolicy and one
of its own that opens only what its component needs; every workload's KafkaUser carries exactly the runbook's ACLs;
Checkov's findings are none but the ones skipped with a reason; the KafkaTopic resources (mode strimzi) name exactly the
topics the Job (mode job) ensures, with the retention and compaction of crates/kafka/src/topics.rs. Finally, values
the chart must refuse are refused. Exits non-zero on any problem.
"""

import copy
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

CHART = "helm/koprik"
KUBERNETES = "1.30"
RELEASE = "koprik"
NAMESPACE = "koprik"
SCHEMAS = Path("deploy/checks/schemas")
SAMPLE_CONFIGS = Path("deploy/config")
TOPICS_RS = Path("crates/kafka/src/topics.rs")
# The runbook's example values file (the ```yaml block starting "# values-prod.yaml") is one of the value sets.
RUNBOOK = Path("deploy/README.md")

# Checkov (a Kubernetes policy scanner, `make ops-check` installs it in a venv of its own) scans every rendered value
# set; a finding fails the check unless its check id is below, with the reason it does not apply to this chart.
CHECKOV = os.environ.get("CHECKOV", "target/ops/checkov/bin/checkov")
CHECKOV_SKIPPED = {
    "CKV_K8S_11": "no CPU limits, on purpose: a CPU limit throttles a pod even when the node is idle (requests are set)",
    "CKV_K8S_15": "imagePullPolicy IfNotPresent: images are pinned by an immutable version tag (image.tag)",
    "CKV_K8S_21": "the namespace comes from `helm install -n`, so rendered manifests name none",
    "CKV_K8S_35": "the services read their database URL from DATABASE_URL, a secretKeyRef, never written to disk",
    "CKV_K8S_43": "images are pinned by an immutable version tag; a deployer may put a digest in image.tag",
}

# Custom resources have no schema in kubernetes-validate: ours cover the fields the chart writes.
CUSTOM_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.json",
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "kafkatopic.json",
    ("kafka.strimzi.io/v1beta2", "KafkaUser"): "kafkauser.json",
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet")

THREE_ADAPTERS = [
    {
        "name": "civil-registry",
        "provider": "UZ/GOV/201122919",
        "replicas": 2,
        "backend": {"kind": "demo-civil-registry"},
    },
    {
        "name": "tax",
        "provider": "UZ/GOV/200000002",
        "replicas": 1,
        "backend": {
            "kind": "grpc",
            "endpoint": "https://tax.soliq.internal:8443",
            "tls": {"secretName": "tax-backend-tls", "clientCertificate": True, "domain": "tax.soliq.uz"},
        },
        "signing": {"secretName": "tax-signing", "key": "key.pem", "keyId": "tax-adapter-1"},
        "config": {"max_in_flight": 16},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    },
    {
        "name": "cadastre",
        "provider": "UZ/GOV/200000003",
        "backend": {"kind": "grpc", "endpoint": "http://cadastre:8080"},
    },
]

VARIANTS = {
    "defaults (Kafka over TLS with KafkaUsers and KafkaTopics, TLS from each Secret's ca.crt, gateway autoscaled)": {},
    "topics strimzi, ServiceMonitors, TLS and client certificates to Kafka, three adapters": {
        "tls": {"enabled": True},
        "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
        "telemetry": {"otlpEndpoint": "http://otel-collector.observability:4318"},
        "kafka": {
            "bootstrapServers": "koprik-kafka-bootstrap.kafka:9093",
            "tls": {"enabled": True},
            "authentication": {"type": "tls"},
            "properties": {"compression.type": "zstd", "linger.ms": 5},
            "topics": {"mode": "strimzi", "strimzi": {"cluster": "koprik", "namespace": "kafka"}},
        },
        "adapters": THREE_ADAPTERS,
        "registry": {"config": {"kafka": {"properties": {"linger.ms": "5"}}}},
        "workloadAnnotations": {"secret.reloader.stakater.com/reload": "koprik-gateway-tls"},
        "billing": {
            "config": {"issuer": {"name": 'Operator "EGOV"', "stir": "200000001"}, "metering": {"batch_size": 500}}
        },
        "opendata": {
            "config": {
                "platform": {
                    "supplier": {
                        "title": ["Elektron hukumat", "Центр управления <проектами> & \\ данными", "E-Government"],
                        "responsible_name": "O'ktam \t Ochiq",
                    }
                },
                "storage": {"max_version_bytes": 17179869184},
            }
        },
    },
    "topics job (plaintext Kafka), TLS with a client CA bundle, fixed gateway replicas, no PDBs": {
        "tls": {"enabled": True, "clientCaBundle": {"configMap": "koprik-client-ca", "key": "bundle.pem"}},
        "kafka": {"tls": {"enabled": False}, "authentication": {"type": "none"}, "topics": {"mode": "job"}},
        "gateway": {"autoscaling": {"enabled": False}, "replicas": 3},
        "podDisruptionBudget": {"enabled": False},
        "adapters": THREE_ADAPTERS[:2],
    },
    "bootstrap operators, clientAuth required, an adapter without client certificates, other authz timings": {
        "serviceMonitor": {"enabled": True},
        "authz": {"maxStaleness": "5s", "probeInterval": "250ms", "startupWait": "1m"},
        "registry": {
            "tls": {"clientAuth": "required"},
            "bootstrapOperator": {"secret": "koprik-operator-a-karimov-tls", "key": "tls.crt"},
        },
        "gateway": {"tls": {"clientAuth": "required"}},
        "billing": {"tls": {"clientAuth": "required"}},
        "opendata": {"tls": {"clientAuth": "required"}},
        "adapters": [{**THREE_ADAPTERS[0], "tls": {"clientAuth": "none"}}],
    },
    "topics none, services create them, gateway and one adapter only": {
        "kafka": {"topics": {"mode": "none"}, "createTopics": True},
        "registry": {"enabled": False},
        "billing": {"enabled": False},
        "opendata": {"enabled": False},
        "gateway": {"tls": {"clientAuth": "required"}, "autoscaling": {"enabled": False}, "replicas": 1},
    },
}

# Values the chart must refuse to render, and a word of the message it must give.
REFUSED = {
    "topics job with TLS to Kafka": ({"kafka": {"tls": {"enabled": True}, "topics": {"mode": "job"}}}, "plaintext"),
    "client certificates to Kafka without TLS": ({"kafka": {"tls": {"enabled": False}}}, "kafka.tls.enabled"),
    "an unknown users mode": ({"kafka": {"users": {"mode": "operator"}}}, "kafka.users.mode"),
    "an unknown topics mode": ({"kafka": {"topics": {"mode": "operator"}}}, "kafka.topics.mode"),
    "TLS off": ({"tls": {"enabled": False}}, "tls.enabled must be true"),
    "a gateway without client certificates": ({"gateway": {"tls": {"clientAuth": "none"}}}, "gateway.tls.clientAuth"),
    **{
        f"{service} without client certificates": (
            {service: {"tls": {"clientAuth": "none"}}},
            f"{service}.tls.clientAuth none",
        )
        for service in ("registry", "billing", "opendata")
    },
    "bootstrap operators without a key": (
        {"registry": {"bootstrapOperator": {"secret": "koprik-operators", "key": ""}}},
        "registry.bootstrapOperator.key",
    ),
    "an unknown clientAuth": ({"registry": {"tls": {"clientAuth": "sometimes"}}}, "clientAuth"),
    "a malformed provider": ({"adapters": [{"name": "x", "provider": "201122919"}]}, "provider"),
    "two adapters for one provider": (
        {"adapters": [{"name": "a", "provider": "UZ/GOV/201122919"}, {"name": "b", "provider": "UZ/GOV/201122919"}]},
        "one entry per",
    ),
}

# The platform's topics and how each is created: the constants of crates/kafka/src/topics.rs and every service's
# ensure_topics call (registry, gateway, billing, opendata, adapter). {} = the broker's defaults.
HOUR_MS = 60 * 60 * 1000
FIVE_YEARS_MS = 5 * 365 * 24 * HOUR_MS
FIXED_TOPICS = {
    "registry.events": {"cleanup.policy": "compact"},
    "billing.account-status": {"cleanup.policy": "compact"},
    "billing.account-status.dlq": {},
    "exchange.audit": {"retention.ms": FIVE_YEARS_MS},
    "exchange.usage": {"retention.ms": FIVE_YEARS_MS},
    "exchange.usage.dlq": {},
    "exchange.audit.dlq": {},
    "exchange.replies.async": {"retention.ms": 24 * HOUR_MS},
    "billing.invoices": {},
    "billing.payments": {},
    "billing.contracts": {"cleanup.policy": "compact"},
    "opendata.notifications": {},
}
PER_PROVIDER = {
    "exchange.requests.{}": {"retention.ms": HOUR_MS},
    "exchange.requests.{}.dlq": {"retention.ms": HOUR_MS},
}
PER_GATEWAY = {"exchange.replies.{}": {"retention.ms": HOUR_MS}}

# Settings the chart manages whatever a workload's `config` says (kafka.properties merge: the chart's win).
MANAGED_KEYS = [
    "grpc.*",
    "metrics.*",
    "telemetry.*",
    "kafka.bootstrap_servers",
    "kafka.fetch_wait_max",
    "kafka.delivery_timeout",
    "kafka.create_topics",
    "kafka.partitions",
    "kafka.replication_factor",
    "instance",
    "authz.*",
    "bootstrap_operator",
    "http.listen",
    "storage.dir",
    "public_http.*",
    "provider",
    "backend.*",
    "signing.*",
]

# Settings a service accepts that its sample in deploy/config/ leaves out (kafka.properties is a free map of librdkafka
# properties, kept whole). Settings the sample comments out (`# key = ...`) count as known (known_keys).
OPTIONAL_KEYS = ["grpc.tls.*", "kafka.properties", "backend.*", "asynchronous.deadline_override"]

# The services behind the authorization policy (mTLS with a client CA, clientAuth none refused) and, of them, those
# that follow the registry's certificates from registry.events and so have an [authz] section.
AUTHORIZING = ("registry", "gateway", "billing", "opendata")
WITH_AUTHZ = ("gateway", "billing", "opendata")
AUTHZ_KEYS = {"max_staleness": "maxStaleness", "probe_interval": "probeInterval", "startup_wait": "startupWait"}
BOOTSTRAP_DIR = "/etc/koprik/bootstrap-operator"


class Check:
    """Collects problems, each printed as it is found, with the variant and object it concerns."""

    def __init__(self) -> None:
        self.problems = 0
        self.context = ""

    def fail(self, message: str) -> None:
        self.problems += 1
        print(f"chart: {self.context}: {message}", file=sys.stderr)

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            self.fail(message)


def merged(base: dict, override: dict) -> dict:
    """`override` laid over `base` the way Helm coalesces values: tables merge, everything else is replaced."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def name_of(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def render(chart: helm.Chart, values: dict) -> list[dict]:
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(manifests.items()):
        if not path.endswith((".yaml", ".yml")):
            continue  # NOTES.txt
        docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def lint(check: Check, values: dict) -> None:
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBERNETES}.0")
    for message in report.get("messages", []):
        if message.get("severity", 0) >= 2:
            check.fail(f"lint: {message}")
    for error in report.get("errors", []):
        check.fail(f"lint: {error}")


def validate_schemas(check: Check, docs: list[dict]) -> None:
    for doc in docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key in CUSTOM_SCHEMAS:
            schema = json.loads((SCHEMAS / CUSTOM_SCHEMAS[key]).read_text())
            for error in jsonschema.Draft202012Validator(schema).iter_errors(doc):
                path = ".".join(map(str, error.absolute_path))
                check.fail(f"{name_of(doc)}: {error.message} at {path or '(top)'}")
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            check.fail(f"{name_of(doc)}: {error.message} at {'.'.join(map(str, error.path))}")
        except Exception as error:  # an unknown kind or version: a real problem too
            check.fail(f"{name_of(doc)}: {error}")


def subset(labels: dict, of: dict) -> bool:
    return bool(labels) and all(of.get(k) == v for k, v in labels.items())


def check_probes(check: Check, doc: dict) -> None:
    """The operations port's /ready for startup and readiness and /live for liveness: the gRPC port speaks only
    mTLS, which the kubelet's gRPC probe cannot."""
    for container in doc["spec"]["template"]["spec"]["containers"]:
        where = f"{name_of(doc)}: container {container['name']}"
        for kind, path in (("startupProbe", "/ready"), ("readinessProbe", "/ready"), ("livenessProbe", "/live")):
            probe = container.get(kind, {})
            got = probe.get("httpGet", {})
            check.expect(
                got.get("path") == path and got.get("port") == "metrics",
                f"{where}: {kind} must be GET {path} on the metrics port, not {probe}",
            )


def check_traces(check: Check, values: dict, doc: dict) -> None:
    """Every service reports spans under its own name, to the configured collector (if any)."""
    endpoint = values["telemetry"].get("otlpEndpoint") or None
    for container in doc["spec"]["template"]["spec"]["containers"]:
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        where = f"{name_of(doc)}: container {container['name']}"
        check.expect(
            str(env.get("OTEL_SERVICE_NAME", "")).startswith("koprik-"), f"{where}: no OTEL_SERVICE_NAME koprik-*"
        )
        check.expect(
            env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == endpoint,
            f"{where}: OTEL_EXPORTER_OTLP_ENDPOINT {env.get('OTEL_EXPORTER_OTLP_ENDPOINT')!r}, want {endpoint!r}",
        )


def check_pod(check: Check, doc: dict) -> None:
    """Requests, probes and a locked-down security context (probes: not for Jobs)."""
    pod = doc["spec"]["template"]["spec"]
    where = name_of(doc)
    check.expect(
        pod.get("enableServiceLinks") is False, f"{where}: enableServiceLinks must be false (KOPRIK_* variables)"
    )
    check.expect(pod.get("automountServiceAccountToken") is False, f"{where}: mounts a service account token")
    pod_security = pod.get("securityContext", {})
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for container in pod["containers"]:
        where = f"{name_of(doc)}: container {container['name']}"
        requests = container.get("resources", {}).get("requests", {})
        check.expect("cpu" in requests and "memory" in requests, f"{where}: no cpu and memory requests")
        security = container.get("securityContext", {})
        non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
        check.expect(non_root is True, f"{where}: not runAsNonRoot")
        check.expect(security.get("readOnlyRootFilesystem") is True, f"{where}: root file system not read-only")
        check.expect(security.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation allowed")
        check.expect(security.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities not dropped")
        if doc["kind"] in WORKLOAD_KINDS:
            for probe in ("readinessProbe", "livenessProbe"):
                check.expect(probe in container, f"{where}: no {probe}")
        for mount in container.get("volumeMounts", []):
            check.expect(mount["name"] in volumes, f"{where}: mounts undeclared volume {mount['name']}")


def flatten(table: dict, prefix: str = "") -> dict:
    """Dotted key paths of a TOML document's values (tables descended, arrays kept whole)."""
    out = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not path.startswith("kafka.properties"):
            out.update(flatten(value, path + "."))
            if not value:
                out[path] = value
        else:
            out[path] = value
    return out


def commented_keys(text: str) -> set:
    """Dotted paths of the settings a sample shows commented out (`# key = value`), in the table they stand in."""
    keys = set()
    table = ""
    for line in text.splitlines():
        header = re.match(r"^\s*#?\s*\[([A-Za-z0-9_.-]+)\]\s*$", line)
        if header:
            table = header.group(1) + "."
            continue
        setting = re.match(r"^\s*#\s*([a-z][a-z0-9_]*)\s*=\s*\S", line)
        if setting:
            keys.add(table + setting.group(1))
    return keys


def known_keys(service: str) -> set:
    text = (SAMPLE_CONFIGS / f"{service}.toml").read_text()
    return set(flatten(tomllib.loads(text))) | commented_keys(text)


def mounted_files(pod: dict, container: dict) -> set:
    """The paths of the Secret and ConfigMap keys a container mounts item by item."""
    mounted = set()
    for mount in container.get("volumeMounts", []):
        source = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        for item in (source.get("secret") or source.get("configMap") or {}).get("items", []):
            mounted.add(f"{mount['mountPath']}/{item['path']}")
    return mounted


def port_of(listen: str) -> int:
    return int(listen.rsplit(":", 1)[1])


def check_config(check: Check, doc: dict, config_maps: dict) -> dict | None:
    """The workload's configuration file: mounted, pointed to by --config, parsable, keys known, ports matching."""
    pod = doc["spec"]["template"]["spec"]
    container = pod["containers"][0]
    where = name_of(doc)
    args = container.get("args", [])
    if "--config" not in args:
        check.fail(f"{where}: no --config argument")
        return None
    path = Path(args[args.index("--config") + 1])
    mount = next((m for m in container.get("volumeMounts", []) if m["mountPath"] == str(path.parent)), None)
    volume = next((v for v in pod.get("volumes", []) if mount and v["name"] == mount["name"]), None)
    if not volume or "configMap" not in volume:
        check.fail(f"{where}: --config {path} is not in a mounted ConfigMap")
        return None
    data = config_maps.get(volume["configMap"]["name"], {}).get("data", {})
    if path.name not in data:
        check.fail(f"{where}: ConfigMap {volume['configMap']['name']} has no {path.name}")
        return None
    try:
        config = tomllib.loads(data[path.name])
    except tomllib.TOMLDecodeError as error:
        check.fail(f"{where}: {path.name} is not TOML: {error}")
        return None
    known = known_keys(path.stem)
    for key in flatten(config):
        if key not in known and not any(fnmatch.fnmatch(key, pattern) for pattern in OPTIONAL_KEYS):
            check.fail(f"{where}: {path.name}: unknown setting {key} (the service refuses unknown keys)")
    for key, value in config.get("kafka", {}).get("properties", {}).items():
        check.expect(isinstance(value, str), f"{where}: kafka.properties.{key} is not a string")
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    check.expect(port_of(config["grpc"]["listen"]) == ports.get("grpc"), f"{where}: grpc.listen is not port grpc")
    check.expect(
        port_of(config["metrics"]["listen"]) == ports.get("metrics"), f"{where}: metrics.listen is not port metrics"
    )
    tls = config["grpc"].get("tls", {})
    mounted = mounted_files(pod, container)
    check.expect(tls.get("enabled") is True, f"{where}: grpc.tls.enabled is {tls.get('enabled')}, not true")
    for setting in ("cert", "key", "client_ca"):
        if setting in tls or setting != "client_ca":
            check.expect(
                tls.get(setting) in mounted, f"{where}: grpc.tls.{setting} {tls.get(setting)} is not a mounted key"
            )
    if "bootstrap_operator" in config:
        check.expect(
            config["bootstrap_operator"] in mounted,
            f"{where}: bootstrap_operator {config['bootstrap_operator']} is not a mounted key",
        )
    return config


def check_authorization(check: Check, values: dict, configs: dict, workloads: list[dict]) -> None:
    """Every service serves mTLS with the client CA and clientAuth its values ask for (none only for an adapter);
    the gateway, billing and the portal carry values.authz as their [authz] section; the registry reads its bootstrap
    operators from the Secret named in its values, and only from there."""
    wanted = {name: values[name]["tls"]["clientAuth"] for name in AUTHORIZING if values[name]["enabled"]}
    for adapter in values["adapters"]:
        wanted[f"adapter-{adapter['name']}"] = (adapter.get("tls") or {}).get("clientAuth", "optional")
    for component, client_auth in wanted.items():
        config = configs.get(f"{RELEASE}-{component}") or {}
        tls = config.get("grpc", {}).get("tls", {})
        if client_auth == "none":
            check.expect(
                component.startswith("adapter-") and "client_ca" not in tls,
                f"{component}: clientAuth none rendered as grpc.tls {tls}",
            )
        else:
            check.expect(
                bool(tls.get("client_ca")) and tls.get("client_auth_optional") == (client_auth == "optional"),
                f"{component}: clientAuth {client_auth} rendered as grpc.tls {tls}",
            )
        authz = config.get("authz")
        if component in WITH_AUTHZ:
            expected = {key: values["authz"][value] for key, value in AUTHZ_KEYS.items()}
            check.expect(authz == expected, f"{component}: [authz] {authz}, expected {expected}")
        else:
            check.expect(authz is None, f"{component}: has an [authz] section {authz}, which it does not read")
    if values["registry"]["enabled"]:
        bootstrap = values["registry"].get("bootstrapOperator") or {}
        config = configs.get(f"{RELEASE}-registry") or {}
        expected = f"{BOOTSTRAP_DIR}/{bootstrap['key']}" if bootstrap.get("secret") else None
        check.expect(
            config.get("bootstrap_operator") == expected,
            f"registry: bootstrap_operator {config.get('bootstrap_operator')}, expected {expected}",
        )
        registry = next((w for w in workloads if w["metadata"]["name"] == f"{RELEASE}-registry"), None)
        if registry and bootstrap.get("secret"):
            secrets = {
                (v["secret"]["secretName"], tuple(i["key"] for i in v["secret"].get("items", [])))
                for v in registry["spec"]["template"]["spec"]["volumes"]
                if "secret" in v
            }
            check.expect(
                (bootstrap["secret"], (bootstrap["key"],)) in secrets,
                f"registry: Secret {bootstrap['secret']} is not mounted with only its key {bootstrap['key']}",
            )


def check_release(check: Check, values: dict, docs: list[dict]) -> None:
    by_kind: dict[str, list[dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    workloads = [d for k in WORKLOAD_KINDS for d in by_kind.get(k, [])]
    config_maps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    services = by_kind.get("Service", [])

    for doc in workloads + by_kind.get("Job", []):
        check_pod(check, doc)
    for doc in workloads:
        check_traces(check, values, doc)
        check_probes(check, doc)
    configs = {}
    for doc in workloads:
        configs[doc["metadata"]["name"]] = check_config(check, doc, config_maps)
        labels = doc["spec"]["template"]["metadata"]["labels"]
        check.expect(
            subset(doc["spec"]["selector"]["matchLabels"], labels), f"{name_of(doc)}: selector misses its pods"
        )
        if values["podDisruptionBudget"]["enabled"]:
            budgets = [
                p
                for p in by_kind.get("PodDisruptionBudget", [])
                if subset(p["spec"]["selector"]["matchLabels"], labels)
            ]
            check.expect(len(budgets) == 1, f"{name_of(doc)}: {len(budgets)} PodDisruptionBudgets, expected 1")
            replicas = doc["spec"].get("replicas")
            hpa = [
                h
                for h in by_kind.get("HorizontalPodAutoscaler", [])
                if h["spec"]["scaleTargetRef"]["name"] == doc["metadata"]["name"]
            ]
            if hpa:
                replicas = hpa[0]["spec"]["minReplicas"]
            for budget in budgets:
                rule = "minAvailable" if replicas > 1 else "maxUnavailable"
                check.expect(budget["spec"].get(rule) == 1, f"{name_of(budget)}: {replicas} replica(s) want {rule}: 1")
        check.expect(any(subset(s["spec"]["selector"], labels) for s in services), f"{name_of(doc)}: no Service")

    for service in services:
        targets = [
            w for w in workloads if subset(service["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])
        ]
        check.expect(len(targets) == 1, f"{name_of(service)}: selects {len(targets)} workloads")
        for target in targets:
            names = {p["name"] for c in target["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
            for port in service["spec"]["ports"]:
                check.expect(
                    port["targetPort"] in names,
                    f"{name_of(service)}: targetPort {port['targetPort']} not a container port",
                )

    for monitor in by_kind.get("ServiceMonitor", []):
        matched = [s for s in services if subset(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
        check.expect(len(matched) == 1, f"{name_of(monitor)}: selects {len(matched)} Services")
        for service in matched:
            check.expect(
                any(p["name"] == "metrics" for p in service["spec"]["ports"]), f"{name_of(monitor)}: no metrics port"
            )
            check.expect(
                service["metadata"]["labels"].get(monitor["spec"]["jobLabel"], "").startswith("koprik-"),
                f"{name_of(monitor)}: job label not koprik-<service> (alert rules)",
            )
    if values["serviceMonitor"]["enabled"]:
        check.expect(len(by_kind.get("ServiceMonitor", [])) == len(services), "not one ServiceMonitor per Service")

    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = hpa["spec"]["scaleTargetRef"]
        found = [w for w in workloads if w["kind"] == target["kind"] and w["metadata"]["name"] == target["name"]]
        check.expect(len(found) == 1, f"{name_of(hpa)}: no {target['kind']}/{target['name']}")
        for workload in found:
            check.expect(
                "replicas" not in workload["spec"], f"{name_of(workload)}: sets replicas although the HPA owns them"
            )

    # Every setting of a workload's `config` reaches its file unchanged, unless the chart manages it.
    wanted = {
        f"{RELEASE}-{name}": values[name].get("config") or {} for name in ("registry", "gateway", "billing", "opendata")
    }
    wanted.update({f"{RELEASE}-adapter-{a['name']}": a.get("config") or {} for a in values["adapters"]})
    for name, config in wanted.items():
        rendered = flatten(configs.get(name) or {})
        for key, value in flatten(config).items():
            if name in configs and not any(fnmatch.fnmatch(key, pattern) for pattern in MANAGED_KEYS):
                got = rendered.get(key)
                same = type(got) is type(value) and got == value  # 1.7e10 (a float) is not the integer 17000000000
                if isinstance(value, dict) and isinstance(got, dict):  # kafka.properties: merged with the chart's
                    same = all(key in got and got[key] == item for key, item in value.items())
                check.expect(same, f"{name}: config {key} = {value!r} rendered as {got!r}")

    # One adapter Deployment per values.adapters entry, serving that entry's provider.
    adapters = {f"{RELEASE}-adapter-{a['name']}": a for a in values["adapters"]}
    deployed = {
        d["metadata"]["name"]: d
        for d in by_kind.get("Deployment", [])
        if d["metadata"]["name"].startswith(f"{RELEASE}-adapter-")
    }
    check.expect(
        set(deployed) == set(adapters), f"adapter Deployments {sorted(deployed)} != values.adapters {sorted(adapters)}"
    )
    for name, adapter in adapters.items():
        config = configs.get(name) or {}
        check.expect(
            config.get("provider") == adapter["provider"],
            f"{name}: serves {config.get('provider')}, not {adapter['provider']}",
        )
        if name in deployed:
            check.expect(deployed[name]["spec"]["replicas"] == adapter.get("replicas", 1), f"{name}: replicas")

    check_authorization(check, values, configs, workloads)
    check_network(check, values, by_kind, workloads)
    check_kafka_users(check, values, by_kind, workloads)

    mode = values["kafka"]["topics"]["mode"]
    jobs = [j for j in by_kind.get("Job", []) if j["metadata"]["name"] == f"{RELEASE}-topics"]
    check.expect(len(jobs) == (mode == "job"), f"topics mode {mode}: {len(jobs)} topic Jobs")
    check.expect(
        bool(by_kind.get("KafkaTopic")) == (mode == "strimzi"),
        f"topics mode {mode}: {len(by_kind.get('KafkaTopic', []))} KafkaTopics",
    )
    for job in jobs:
        hooks = job["metadata"].get("annotations", {}).get("helm.sh/hook", "")
        check.expect(
            {"pre-install", "pre-upgrade"} <= set(hooks.split(",")),
            f"{name_of(job)}: not a pre-install,pre-upgrade hook",
        )
    for topic in by_kind.get("KafkaTopic", []):
        config = topic["spec"].get("config", {})
        expected = expected_topic_config(topic["spec"]["topicName"])
        check.expect(config == expected, f"{name_of(topic)}: config {config}, expected {expected}")
        check.expect(
            topic["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep",
            f"{name_of(topic)}: deleted on uninstall",
        )


def expected_topic_config(topic: str) -> dict | None:
    if topic in FIXED_TOPICS:
        return FIXED_TOPICS[topic]
    for table in (PER_PROVIDER, PER_GATEWAY):
        for pattern, config in table.items():
            regex = "^" + re.escape(pattern).replace(r"\{\}", "[a-z0-9-]+") + "$"
            if re.match(regex, topic):
                return config
    return None


def job_topics(docs: list[dict]) -> tuple[set, dict]:
    """The topics `koprik topics ensure` creates from the Job's flags, and the flags with their values."""
    job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == f"{RELEASE}-topics")
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    flags: dict[str, list[str]] = {}
    rest = command[command.index("ensure") + 1 :]
    for flag, value in zip(rest[::2], rest[1::2]):
        flags.setdefault(flag, []).append(value)
    topics = set(FIXED_TOPICS)
    for provider in flags.get("--provider", []):
        topics |= {pattern.format(provider) for pattern in PER_PROVIDER}
    for instance in flags.get("--gateway-instance", []):
        topics |= {pattern.format(instance) for pattern in PER_GATEWAY}
    return topics, flags


def check_topics(check: Check, chart: helm.Chart, values: dict) -> None:
    """The same values in mode job and in mode strimzi create the same topics, of the same shape."""
    plain = merged(values, {"kafka": {"tls": {"enabled": False}, "authentication": {"type": "none"}}})
    job_docs = render(chart, merged(plain, {"kafka": {"topics": {"mode": "job"}}}))
    strimzi_docs = render(chart, merged(plain, {"kafka": {"topics": {"mode": "strimzi"}}}))
    from_job, flags = job_topics(job_docs)
    kafka_topics = [d for d in strimzi_docs if d["kind"] == "KafkaTopic"]
    from_strimzi = {d["spec"]["topicName"] for d in kafka_topics}
    check.expect(len(from_strimzi) == len(kafka_topics), "two KafkaTopics for one topic")
    check.expect(
        from_job == from_strimzi,
        f"Job topics != KafkaTopics: only Job {sorted(from_job - from_strimzi)}, "
        f"only KafkaTopic {sorted(from_strimzi - from_job)}",
    )
    merged_values = chart.merge_values(values)
    kafka = merged_values["kafka"]
    check.expect(
        flags.get("--partitions") == [str(kafka["partitions"])], f"Job --partitions {flags.get('--partitions')}"
    )
    check.expect(
        flags.get("--replication-factor") == [str(kafka["replicationFactor"])],
        f"Job --replication-factor {flags.get('--replication-factor')}",
    )
    for topic in kafka_topics:
        check.expect(topic["spec"]["partitions"] == kafka["partitions"], f"{name_of(topic)}: partitions")
        check.expect(topic["spec"]["replicas"] == kafka["replicationFactor"], f"{name_of(topic)}: replicas")
    providers = sorted(a["provider"].rsplit("/", 1)[1] for a in merged_values["adapters"])
    check.expect(
        sorted(flags.get("--provider", [])) == providers, f"Job --provider {flags.get('--provider')} != {providers}"
    )
    gateway = merged_values["gateway"]
    count = 0
    if gateway["enabled"]:
        count = gateway["autoscaling"]["maxReplicas"] if gateway["autoscaling"]["enabled"] else gateway["replicas"]
    instances = [f"{RELEASE}-gateway-{i}" for i in range(count)]
    check.expect(
        flags.get("--gateway-instance", []) == instances,
        f"Job --gateway-instance {flags.get('--gateway-instance')} != {instances}",
    )


def check_topic_constants(check: Check) -> None:
    """Every topic constant of crates/kafka/src/topics.rs is one the chart creates."""
    constants = re.findall(r'pub const [A-Z_]+: &str = "([a-z0-9.-]+\.[a-z0-9.-]+)";', TOPICS_RS.read_text())
    check.expect(bool(constants), f"no topic constants found in {TOPICS_RS}")
    for topic in constants:
        check.expect(topic in FIXED_TOPICS, f"{TOPICS_RS}: topic {topic} is not created by the chart (FIXED_TOPICS)")


def check_network(check: Check, values: dict, by_kind: dict, workloads: list[dict]) -> None:
    """Every pod is denied all traffic but its component's (templates/networkpolicies.yaml): selected by the
    release's default deny and by exactly one policy of its own; ingress only on its own container ports; egress only
    to the peers networkPolicy names (DNS, Kafka, PostgreSQL for the services with a database, the collector), and an
    adapter's agency system only on its endpoint's port."""
    network = values["networkPolicy"]
    policies = by_kind.get("NetworkPolicy", [])
    if not network["enabled"]:
        check.expect(not policies, "networkPolicy.enabled is false, but NetworkPolicies were rendered")
        return
    pods = [(d["metadata"]["name"], d["spec"]["template"]) for d in workloads + by_kind.get("Job", [])]
    deny = [p for p in policies if p["metadata"]["name"] == f"{RELEASE}-default-deny"]
    check.expect(len(deny) == 1, f"{len(deny)} default-deny NetworkPolicies, expected 1")
    for policy in deny:
        check.expect(
            sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
            and not policy["spec"].get("ingress")
            and not policy["spec"].get("egress"),
            f"{name_of(policy)}: not a deny of both directions",
        )
    allowed_peers = [network[k]["peers"] for k in ("dns", "kafka", "postgres", "otlpCollector")]
    allowed_peers += [(a.get("backend") or {}).get("networkPeers") or [] for a in values["adapters"]]
    allowed = [peer for peers in allowed_peers for peer in peers]
    adapters = {f"{RELEASE}-adapter-{a['name']}": a for a in values["adapters"]}
    for name, template in pods:
        labels = template["metadata"]["labels"]
        selecting = [p for p in policies if subset(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
        check.expect(any(p in deny for p in selecting), f"{name}: not under the default deny")
        own = [p for p in selecting if p not in deny]
        check.expect(len(own) == 1, f"{name}: {len(own)} NetworkPolicies of its own, expected 1")
        if len(own) != 1:
            continue
        spec = own[0]["spec"]
        ports = {p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        for rule in spec.get("ingress") or []:
            for port in rule.get("ports", []):
                check.expect(port["port"] in ports, f"{name}: ingress on port {port['port']}, not one of its own")
        egress_ports = set()
        for rule in spec.get("egress") or []:
            rule_ports = {p["port"] for p in rule.get("ports", [])}
            check.expect(bool(rule_ports), f"{name}: an egress rule open on every port")
            egress_ports |= rule_ports
            peers = rule.get("to")
            if peers is None:
                # Only an adapter's own agency system, on its endpoint's one port, may be anywhere.
                backend = (adapters.get(name) or {}).get("backend") or {}
                endpoint = backend.get("endpoint", "")
                port = re.search(r":(\d+)(/|$)", endpoint.split("//", 1)[-1])
                expected = int(port.group(1)) if port else (443 if endpoint.startswith("https") else 80)
                check.expect(
                    backend.get("kind") == "grpc" and rule_ports == {expected},
                    f"{name}: egress to anywhere on {sorted(rule_ports)}",
                )
                continue
            for peer in peers:
                check.expect(peer in allowed, f"{name}: egress to {peer}, not a configured peer")
        database = name.removeprefix(f"{RELEASE}-") in ("registry", "gateway", "billing", "opendata")
        for port in network["postgres"]["ports"]:
            check.expect((port in egress_ports) == database, f"{name}: PostgreSQL egress {port in egress_ports}")
        for port in network["kafka"]["ports"]:
            check.expect(port in egress_ports, f"{name}: no Kafka egress on {port}")


# A row of the runbook's ACL table: | `koprik-<who>` | read topics | written topics | consumer groups |
ACL_ROW = re.compile(r"^\| `koprik-(?P<who>[a-z<>-]+)` \| (?P<read>[^|]*) \| (?P<write>[^|]*) \| (?P<groups>[^|]*) \|$", re.M)


def runbook_acls() -> dict:
    """The runbook's ACL table (deploy/README.md, section 1) as {who: {(kind, pattern, name, operation)}}."""
    def items(cell: str, kind: str, operation: str) -> set:
        cell = re.sub(r"\([^)]*\)", "", cell)  # notes in parentheses
        return {
            (kind, "prefix" if prefix else "literal", name, operation)
            for prefix, name in re.findall(r"(prefix )?`([^`]+)`", cell)
        }

    return {
        row["who"]: items(row["read"], "topic", "Read")
        | items(row["write"], "topic", "Write")
        | items(row["groups"], "group", "Read")
        for row in ACL_ROW.finditer(RUNBOOK.read_text())
    }


def check_kafka_users(check: Check, values: dict, by_kind: dict, workloads: list[dict]) -> None:
    """With client certificates to Kafka and kafka.users.mode strimzi, every workload has the KafkaUser whose Secret
    it mounts, and each user's ACLs are exactly the runbook's table (plus Create with kafka.createTopics)."""
    users = {u["metadata"]["name"]: u for u in by_kind.get("KafkaUser", [])}
    if values["kafka"]["authentication"]["type"] != "tls" or values["kafka"]["users"]["mode"] != "strimzi":
        check.expect(not users, "KafkaUsers rendered without kafka.users.mode strimzi and client certificates")
        return
    table = runbook_acls()
    check.expect(len(table) == 5, f"the runbook's ACL table has {len(table)} rows, expected 5")
    adapters = {f"adapter-{a['name']}": a["provider"].rsplit("/", 1)[-1] for a in values["adapters"]}
    for workload in workloads:
        volumes = workload["spec"]["template"]["spec"].get("volumes", [])
        secret = next((v["secret"]["secretName"] for v in volumes if v["name"] == "kafka-user"), None)
        check.expect(secret in users, f"{name_of(workload)}: mounts KafkaUser Secret {secret}, but no such KafkaUser")
    for name, user in users.items():
        component = user["metadata"]["labels"]["app.kubernetes.io/component"]
        who = "adapter-<name>" if component in adapters else component
        expected = {
            (kind, pattern, acl_name.replace("<STIR>", adapters.get(component, "<STIR>")), operation)
            for kind, pattern, acl_name, operation in table.get(who, set())
        }
        rendered = set()
        for acl in user["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            for operation in acl["operations"]:
                if operation == "Create":
                    check.expect(values["kafka"]["createTopics"], f"KafkaUser/{name}: Create without createTopics")
                    continue
                rendered.add((resource["type"], resource["patternType"], resource["name"], operation))
            if values["kafka"]["createTopics"] and resource["type"] == "topic":
                check.expect("Create" in acl["operations"], f"KafkaUser/{name}: no Create on {resource['name']}")
        check.expect(
            rendered == expected,
            f"KafkaUser/{name}: ACLs differ from the runbook's table: extra {sorted(rendered - expected)}, "
            f"missing {sorted(expected - rendered)}",
        )


def scan(check: Check, docs: list[dict]) -> int:
    """Runs Checkov over `docs`; every failed check not in CHECKOV_SKIPPED is a problem. Returns the checks passed."""
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "release.yaml").write_text(yaml.safe_dump_all(docs))
        run = subprocess.run(
            [CHECKOV, "--directory", directory, "--framework", "kubernetes", "--output", "json", "--quiet", "--skip-download",
             "--skip-check", ",".join(CHECKOV_SKIPPED)],
            capture_output=True, text=True, check=False,
        )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        check.fail(f"checkov did not report (exit {run.returncode}): {run.stderr.strip()[-500:]}")
        return 0
    results = report.get("results", {})
    for failed in results.get("failed_checks", []):
        check.fail(f"checkov {failed['check_id']} ({failed['check_name']}): {failed['resource']}")
    return report.get("summary", {}).get("passed", 0)


def runbook_values(check: Check) -> dict:
    blocks = re.findall(r"```yaml\n(# values-prod\.yaml\n.*?)```", RUNBOOK.read_text(), re.S)
    check.expect(len(blocks) == 1, f"{len(blocks)} values-prod.yaml blocks, expected 1")
    return yaml.safe_load(blocks[0]) if blocks else {}


def main() -> int:
    check = Check()
    chart = helm.Chart.load(CHART)
    check.context = str(RUNBOOK)
    variants = {**VARIANTS, f"{RUNBOOK}: values-prod.yaml": runbook_values(check)}
    check.context = TOPICS_RS.name
    check_topic_constants(check)
    documents = 0
    scanned = 0
    for variant, values in variants.items():
        check.context = variant
        lint(check, values)
        try:
            docs = render(chart, values)
            documents += len(docs)
            validate_schemas(check, docs)
            scanned += scan(check, docs)
            check_release(check, chart.merge_values(values), docs)
            check_topics(check, chart, values)
        except (helm.HelmError, yaml.YAMLError, KeyError, StopIteration) as error:
            # A template that fails or renders something that is not YAML, or a manifest without a field the
            # assertions rely on.
            check.fail(f"render: {type(error).__name__}: {error}")
    for case, (values, word) in REFUSED.items():
        check.context = f"refused: {case}"
        try:
            render(chart, values)
            check.fail("rendered, but the chart must refuse these values")
        except helm.HelmError as error:
            check.expect(word in str(error), f"refused without naming {word!r}: {error}")
    if check.problems:
        print(f"chart: {check.problems} problem(s)", file=sys.stderr)
        return 1
    print(
        f"chart: {len(variants)} value sets lint clean, {documents} manifests valid against Kubernetes {KUBERNETES} "
        f"and the custom resource schemas, workload, network, Kafka user and topic assertions hold, checkov passes {scanned} "
        f"checks ({len(CHECKOV_SKIPPED)} skipped with reasons), {len(REFUSED)} bad value sets refused"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
