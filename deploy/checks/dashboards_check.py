"""Checks Ko'prik's Grafana dashboards against a live Prometheus: every panel's query must return data.

Run by tests/interop/run (make interop) after its clients and the onboarding walkthrough, against a Prometheus that
scraped the `koprik up` stack every second. Standard library only (Python 3.11):

    python3 deploy/checks/dashboards_check.py --prometheus http://127.0.0.1:21090 \
        --dashboards deploy/grafana/dashboards [--expect-up koprik-registry koprik-gateway ...]

First the structure, without Prometheus: every dashboard has a unique uid, schemaVersion and the `datasource`
variable (type datasource, Prometheus); panel ids are unique; every panel (rows aside) and every target names that
variable as its datasource; every target has an expr and a unique refId; every `$variable` an expr uses is defined;
the dashboard provisioning file (provisioning/dashboards/koprik.yaml next to the dashboards' directory) is a file
provider whose path, inside the Grafana container, is this very directory; a Prometheus datasource is provisioned.
Any problem here stops the check before a query is sent.

Then every target's expr is evaluated with /api/v1/query at one instant, after substituting Grafana's variables the
way Grafana would: `$__rate_interval` and `$__interval` by --rate-interval and --interval, `$__range` by the
dashboard's own time range, a multi-value variable by its "All" value (allValue, else `.*`), any other by its
current value. A query fails when Prometheus refuses it, returns no series, returns only NaN (a quantile or ratio
with no observations in its window), or lacks a label its legend shows (`{{label}}`). Variable queries
(`label_values(selector, label)`) must return at least one value. With --expect-up, each named scrape job must also
be up. Exits 1 listing dashboard, panel, expr and why for each failure; 0 with a summary otherwise.
"""

import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Where deploy/grafana is mounted in the Grafana container; provisioning/dashboards/koprik.yaml says so too.
GRAFANA_MOUNT = "/etc/koprik/grafana"
DATASOURCE_VARIABLE = "datasource"
DATASOURCE_REFERENCES = {"${datasource}", "$datasource"}
# Grafana's global variables an expr may use, beside the dashboard's own (substituted in `builtins` below).
BUILTIN_VARIABLES = {
    "__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
}
# `${name}`, `${name:format}`, `[[name]]`, `[[name:format]]` and `$name`, as Grafana accepts them.
VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
LEGEND_LABEL = re.compile(r"\{\{\s*([a-zA-Z_]\w*)\s*\}\}")
LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_]\w*)\s*\)\s*$", re.S)
QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)
DURATION = re.compile(r"^now-(\d+)([smhdwy])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


@dataclass
class Query:
    """One expr to evaluate, with what to call it in a failure."""

    where: str
    expr: str
    legend: str = ""
    # A dashboard variable's query rather than a panel's.
    variable: bool = False
    # A variable query (label_values(label) without a selector) is answered by the label-values endpoint instead.
    label: str | None = None


@dataclass
class Dashboard:
    file: str
    data: dict
    variables: dict[str, str] = field(default_factory=dict)
    queries: list[Query] = field(default_factory=list)
    panels: int = 0


def reference(datasource) -> str | None:
    """The datasource uid a panel or target names (a dict in current Grafana, a bare name in old dashboards)."""
    if isinstance(datasource, dict):
        return datasource.get("uid")
    return datasource


def flat_panels(panels: list) -> list:
    """Every panel, with those inside collapsed rows."""
    out = []
    for panel in panels:
        out.append(panel)
        out.extend(panel.get("panels") or [])
    return out


def range_of(data: dict) -> tuple[str, int]:
    """The dashboard's default time range, as `$__range` and in seconds (1h when it is not `now-<n><unit>`)."""
    match = DURATION.match(str(data.get("time", {}).get("from", "")))
    if not match:
        return "1h", 3600
    n, unit = int(match.group(1)), match.group(2)
    return f"{n}{unit}", n * SECONDS[unit]


def variable_value(variable: dict) -> str:
    """What Grafana puts in place of a dashboard variable when the dashboard opens with its defaults."""
    kind = variable.get("type")
    options = [o.get("value") for o in variable.get("options") or [] if isinstance(o, dict)]
    if variable.get("includeAll"):
        if variable.get("allValue"):
            return variable["allValue"]
        # Grafana's "All" for a custom variable is the regex of its options; for a query variable we do not
        # know the options without Grafana, and `.*` matches what they would.
        if kind == "custom" and options:
            return "(" + "|".join(re.escape(str(o)) for o in options) + ")"
        return ".*"
    current = (variable.get("current") or {}).get("value")
    if isinstance(current, list):
        current = current[0] if current else None
    if current not in (None, "", "$__all"):
        return str(current)
    if options:
        return str(options[0])
    query = variable.get("query")
    if kind in ("constant", "textbox") and isinstance(query, str):
        return query
    if kind in ("custom", "interval") and isinstance(query, str) and query:
        return query.split(",")[0].strip()
    return ".*"


def substitute(expr: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return values.get(name, match.group(0))

    return VARIABLE.sub(one, expr)


def used_variables(expr: str) -> set[str]:
    return {m.group(1) or m.group(2) or m.group(3) for m in VARIABLE.finditer(expr)}


def check_provisioning(dashboards_dir: Path, provisioning: Path, problems: list[str]) -> None:
    """The provider file is YAML; the standard library has no parser, so the few keys that matter are read by line."""
    if not provisioning.is_file():
        problems.append(f"{provisioning}: missing (the dashboard provisioning file)")
        return
    text = provisioning.read_text()
    if not re.search(r"^apiVersion:\s*1\s*$", text, re.M):
        problems.append(f"{provisioning}: no `apiVersion: 1`")
    if not re.search(r"^\s*type:\s*file\s*$", text, re.M):
        problems.append(f"{provisioning}: no provider of `type: file`")
    paths = re.findall(r"^\s*path:\s*['\"]?([^'\"\s#]+)", text, re.M)
    if len(paths) != 1:
        problems.append(f"{provisioning}: expected one `path:`, found {len(paths)}")
        return
    path = paths[0].rstrip("/")
    if not path.startswith(GRAFANA_MOUNT + "/"):
        problems.append(f"{provisioning}: path {path} is not under {GRAFANA_MOUNT}, where deploy/grafana is mounted")
        return
    # provisioning/dashboards/koprik.yaml lies three levels below the directory mounted at GRAFANA_MOUNT.
    on_disk = provisioning.resolve().parents[2] / path[len(GRAFANA_MOUNT) + 1:]
    if on_disk.resolve() != dashboards_dir.resolve():
        problems.append(f"{provisioning}: path {path} is {on_disk} here, not the dashboards at {dashboards_dir}")

    datasources = provisioning.resolve().parents[1] / "datasources"
    texts = [p.read_text() for p in sorted(datasources.glob("*.y*ml"))] if datasources.is_dir() else []
    if not any(re.search(r"^\s*type:\s*prometheus\s*$", t, re.M) for t in texts):
        problems.append(f"{datasources}: no provisioned datasource of `type: prometheus`")


def load(path: Path, options: argparse.Namespace, problems: list[str]) -> Dashboard | None:
    name = path.name
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        problems.append(f"{name}: not readable JSON: {e}")
        return None
    dashboard = Dashboard(file=name, data=data)
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in data:
            problems.append(f"{name}: no `{key}`")
    if not isinstance(data.get("schemaVersion"), int) or data.get("schemaVersion", 0) < 36:
        problems.append(f"{name}: schemaVersion {data.get('schemaVersion')!r}, expected 36 or later")

    variables = (data.get("templating") or {}).get("list") or []
    by_name = {v.get("name"): v for v in variables}
    ds = by_name.get(DATASOURCE_VARIABLE)
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append(f"{name}: no variable `{DATASOURCE_VARIABLE}` of type datasource with query prometheus")

    range_text, range_seconds = range_of(data)
    values = {
        "__rate_interval": options.rate_interval,
        "__interval": options.interval,
        "__interval_ms": str(parse_seconds(options.interval) * 1000),
        "__range": range_text,
        "__range_s": str(range_seconds),
        "__range_ms": str(range_seconds * 1000),
    }
    for variable in variables:
        if variable.get("name") != DATASOURCE_VARIABLE:
            values[variable.get("name")] = variable_value(variable)
    dashboard.variables = values

    for variable in variables:
        if variable.get("type") != "query":
            continue
        where = f"{name} / variable ${variable.get('name')}"
        if reference(variable.get("datasource")) not in DATASOURCE_REFERENCES:
            problems.append(f"{where}: datasource is not ${DATASOURCE_VARIABLE}")
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        undefined = used_variables(text) - values.keys()
        if undefined:
            problems.append(f"{where}: uses undefined variables {sorted(undefined)}")
        if m := LABEL_VALUES.match(text):
            selector, label = m.group(1), m.group(2)
            if selector:
                expr = f"count by ({label}) ({substitute(selector, values)})"
                dashboard.queries.append(Query(where, expr, variable=True))
            else:
                dashboard.queries.append(Query(where, "", variable=True, label=label))
        elif m := QUERY_RESULT.match(text):
            dashboard.queries.append(Query(where, substitute(m.group(1), values), variable=True))
        else:
            problems.append(f"{where}: query {text!r} is neither label_values(...) nor query_result(...)")

    seen_ids: set = set()
    for panel in flat_panels(data.get("panels") or []):
        title = panel.get("title") or "(untitled)"
        where = f"{name} / {title!r}"
        panel_id = panel.get("id")
        if panel_id is None:
            problems.append(f"{where}: no id")
        elif panel_id in seen_ids:
            problems.append(f"{where}: id {panel_id} is not unique")
        seen_ids.add(panel_id)
        grid = panel.get("gridPos") or {}
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            problems.append(f"{where}: no complete gridPos")
        if panel.get("type") == "row":
            continue
        dashboard.panels += 1
        if reference(panel.get("datasource")) not in DATASOURCE_REFERENCES:
            problems.append(f"{where}: datasource is {panel.get('datasource')!r}, not ${DATASOURCE_VARIABLE}")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: no targets")
        ref_ids: set = set()
        for target in targets:
            ref = target.get("refId")
            if not ref or ref in ref_ids:
                problems.append(f"{where}: target refId {ref!r} missing or repeated")
            ref_ids.add(ref)
            if "datasource" in target and reference(target["datasource"]) not in DATASOURCE_REFERENCES:
                problems.append(f"{where} [{ref}]: datasource is {target['datasource']!r}, not ${DATASOURCE_VARIABLE}")
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                problems.append(f"{where} [{ref}]: no expr")
                continue
            undefined = used_variables(expr) - values.keys()
            if undefined:
                problems.append(f"{where} [{ref}]: uses undefined variables {sorted(undefined)}")
                continue
            legend = target.get("legendFormat") or ""
            dashboard.queries.append(Query(f"{where} [{ref}]", substitute(expr, values), legend))
    return dashboard


def parse_seconds(duration: str) -> int:
    m = re.fullmatch(r"(\d+)([smhdwy])", duration)
    if not m:
        raise SystemExit(f"dashboards: {duration!r} is not a duration like 1m")
    return int(m.group(1)) * SECONDS[m.group(2)]


class Prometheus:
    def __init__(self, url: str, at: float | None):
        self.url = url.rstrip("/")
        # One instant for every query, so that all panels see the same moment.
        self.time = f"{time.time() if at is None else at:.3f}"

    def get(self, path: str, params: dict | None = None) -> dict:
        url = f"{self.url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            # Prometheus answers a bad query with 400 and a JSON body naming the error.
            try:
                return json.load(e)
            except json.JSONDecodeError:
                return {"status": "error", "errorType": f"HTTP {e.code}", "error": e.reason}

    def query(self, expr: str) -> dict:
        return self.get("/api/v1/query", {"query": expr, "time": self.time})


def why_no_data(answer: dict, legend: str) -> str | None:
    """None when the answer has data the panel can show, else why not."""
    if answer.get("status") != "success":
        return f"error: {answer.get('errorType', '?')}: {answer.get('error', '?')}"
    data = answer.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar" or kind == "string":
        return None if kind == "string" or not is_nan(result[1]) else "the scalar is NaN"
    if not result:
        return "empty result: no series"
    if kind == "vector":
        numbers = [s["value"][1] for s in result]
        if all(is_nan(v) for v in numbers):
            return f"all {len(numbers)} series are NaN (no observations in the window)"
    labels = set().union(*(s.get("metric", {}).keys() for s in result))
    missing = [label for label in LEGEND_LABEL.findall(legend) if label not in labels]
    if missing:
        return f"legend {legend!r} shows labels the result does not have: {missing} (result labels: {sorted(labels)})"
    return None


def summary(answer: dict) -> str:
    """A query's answer in one line, for --verbose."""
    data = answer.get("data") or {}
    if answer.get("status") != "success" or data.get("resultType") != "vector":
        return json.dumps(data or answer)[:300]
    shown = [f"{{{', '.join(f'{k}={v}' for k, v in s['metric'].items())}}} {s['value'][1]}" for s in data["result"]]
    return f"{len(shown)} series: " + "; ".join(shown[:6]) + (" ..." if len(shown) > 6 else "")


def is_nan(value: str) -> bool:
    try:
        return math.isnan(float(value))
    except ValueError:
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", required=True, help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    parser.add_argument("--dashboards", required=True, type=Path, help="directory of dashboard JSON files")
    parser.add_argument(
        "--provisioning", type=Path,
        help="dashboard provisioning file (default: <dashboards>/../provisioning/dashboards/koprik.yaml)",
    )
    parser.add_argument("--rate-interval", default="1m", help="what $__rate_interval becomes (default 1m)")
    parser.add_argument("--interval", default="15s", help="what $__interval becomes (default 15s)")
    parser.add_argument("--expect-up", nargs="*", default=[], metavar="JOB", help="scrape jobs that must be up")
    parser.add_argument("--time", type=float, help="evaluate at this Unix time instead of now (stored data)")
    parser.add_argument("--verbose", action="store_true", help="print every query with what it returned")
    options = parser.parse_args()
    parse_seconds(options.rate_interval)

    problems: list[str] = []
    files = sorted(options.dashboards.glob("*.json"))
    if not files:
        problems.append(f"{options.dashboards}: no dashboards (*.json)")
    provisioning = options.provisioning or options.dashboards.parent / "provisioning/dashboards/koprik.yaml"
    check_provisioning(options.dashboards, provisioning, problems)
    dashboards = [d for d in (load(f, options, problems) for f in files) if d]
    uids: dict[str, str] = {}
    for d in dashboards:
        uid = d.data.get("uid")
        if uid in uids:
            problems.append(f"{d.file}: uid {uid!r} is also {uids[uid]}'s")
        uids[uid] = d.file
    if problems:
        print("dashboards: FAILED (structure; no query sent):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    prometheus = Prometheus(options.prometheus, options.time)
    failures: list[str] = []
    try:
        for job in options.expect_up:
            answer = prometheus.query(f'up{{job="{job}"}}')
            result = (answer.get("data") or {}).get("result") or []
            if answer.get("status") != "success" or not result:
                failures.append(f"scrape job {job}: not scraped at all (no up{{job={job!r}}})")
            elif any(s["value"][1] != "1" for s in result):
                failures.append(f"scrape job {job}: down on {[s['metric'].get('instance') for s in result]}")
        counts = {"panel": 0, "variable": 0}
        for d in dashboards:
            for q in d.queries:
                counts["variable" if q.variable else "panel"] += 1
                if q.label is not None:
                    answer = prometheus.get(f"/api/v1/label/{urllib.parse.quote(q.label)}/values")
                    why = None if answer.get("data") else f"label {q.label!r} has no values"
                else:
                    answer = prometheus.query(q.expr)
                    why = why_no_data(answer, q.legend)
                    if options.verbose:
                        print(f"{q.where}\n  {q.expr}\n  -> {summary(answer)}")
                if why:
                    failures.append(f"{q.where}: {why}\n      expr: {q.expr or q.label}")
    except (urllib.error.URLError, OSError) as e:
        print(f"dashboards: FAILED: cannot reach Prometheus at {options.prometheus}: {e}", file=sys.stderr)
        return 1

    panels = sum(d.panels for d in dashboards)
    if failures:
        print(f"dashboards: FAILED: {len(failures)} of {counts['panel'] + counts['variable']} checks against "
              f"{options.prometheus}:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"dashboards: {len(dashboards)} dashboards, {panels} panels, {counts['panel']} panel queries and "
          f"{counts['variable']} variable queries against {options.prometheus}: all returned data"
          + (f"; scrape jobs up: {', '.join(options.expect_up)}" if options.expect_up else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
