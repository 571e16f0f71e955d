"""Renders helm/koprik with Helm's own Go SDK (helm-python-sdk, no helm binary), lints it strictly, and validates
every rendered manifest against the Kubernetes schemas of the target version (kubernetes-validate). Exits non-zero
on any lint error or warning, render error or schema violation. Run by `make ops-check`.
"""

import sys

import helm_python as helm
import kubernetes_validate
import yaml

CHART = "helm/koprik"
KUBERNETES = "1.30"


def main() -> int:
    report = helm.lint(CHART, strict=True, kube_version=f"v{KUBERNETES}.0")
    problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
    for problem in problems:
        print(f"chart: lint: {problem}", file=sys.stderr)

    chart = helm.Chart.load(CHART)
    manifests = chart.render(name="koprik", namespace="koprik", is_install=True)
    documents = 0
    for path, text in sorted(manifests.items()):
        for document in yaml.safe_load_all(text):
            if not document:
                continue
            documents += 1
            kind = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
            try:
                kubernetes_validate.validate(document, KUBERNETES, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(error)
                print(f"chart: {path}: {kind}: {error.message} at {'.'.join(map(str, error.path))}", file=sys.stderr)
            except Exception as error:  # an unknown kind or version: a real problem too
                problems.append(error)
                print(f"chart: {path}: {kind}: {error}", file=sys.stderr)
    if problems:
        print(f"chart: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"chart: lint clean, {documents} manifests valid against Kubernetes {KUBERNETES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
