{{/*
Shared pieces of every workload. Most take a context dict:
  root          the chart's top-level context ($)
  component     registry, gateway, billing, opendata, adapter-<name> (or topics, for the topic Job and KafkaTopics)
  grpcPort, metricsPort
  extraPorts    more container and Service ports: list of {name, port}
  tls           the workload's `tls` values (secretName, clientAuth)
  authorizes    true for the services whose gRPC APIs are behind the authorization policy (registry, gateway,
                billing, opendata): they refuse clientAuth none
  authz         true for the services that follow the registry's certificates from registry.events (gateway,
                billing, opendata): the chart writes their [authz] section from values.authz
  kafkaUser     the Secret of the workload's Strimzi KafkaUser (authentication type tls)
  toml, file    the workload's configuration file and its name, once built (koprik.configToml)
  extraSecrets  Secrets the workload mounts besides TLS and Kafka ones (for the checksum annotation)
*/}}

{{/* The name of a component's objects: <release>-<component>. */}}
{{- define "koprik.fullname" -}}
{{ .root.Release.Name }}-{{ .component }}
{{- end }}

{{/* Labels shared by every object of a component. */}}
{{- define "koprik.labels" -}}
app.kubernetes.io/name: koprik
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{/* Selector labels of a component. */}}
{{- define "koprik.selector" -}}
app.kubernetes.io/name: koprik
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
A TOML document from a dict: the scalars and arrays of a table first, then its sub-tables as [a.b] sections, keys
sorted. Helm's own toToml writes every number as a float ("50051.0"), which the services' integer settings refuse,
hence this. Call with (dict "table" $dict "path" ""). Null values are left out (TOML has no null).
*/}}
{{- define "koprik.toml" -}}
{{- $table := .table }}
{{- $path := .path }}
{{- range $key := keys $table | sortAlpha }}
{{- $value := index $table $key }}
{{- if and (not (kindIs "map" $value)) (not (kindIs "invalid" $value)) }}
{{ include "koprik.tomlKey" $key }} = {{ include "koprik.tomlValue" $value }}
{{- end }}
{{- end }}
{{- range $key := keys $table | sortAlpha }}
{{- $value := index $table $key }}
{{- if kindIs "map" $value }}
{{- $sub := ternary (include "koprik.tomlKey" $key) (printf "%s.%s" $path (include "koprik.tomlKey" $key)) (eq $path "") }}

[{{ $sub }}]
{{- include "koprik.toml" (dict "table" $value "path" $sub) }}
{{- end }}
{{- end }}
{{- end }}

{{/* A TOML key: bare when it can be, quoted otherwise (librdkafka properties have dots). */}}
{{- define "koprik.tomlKey" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toJson . }}{{ end }}
{{- end }}

{{/* A TOML value: strings as JSON strings (a subset of TOML basic strings), whole numbers as integers. */}}
{{- define "koprik.tomlValue" -}}
{{- if kindIs "string" . }}{{ toJson . }}
{{- else if kindIs "bool" . }}{{ . }}
{{- else if kindIs "float64" . }}{{ if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else if or (kindIs "int" .) (kindIs "int64" .) }}{{ . }}
{{- else if kindIs "slice" . }}[{{ range $i, $v := . }}{{ if $i }}, {{ end }}{{ include "koprik.tomlValue" $v }}{{ end }}]
{{- else }}{{ fail (printf "koprik: cannot write %v (%s) as TOML" . (kindOf .)) }}
{{- end }}
{{- end }}

{{/* Sets every key of .src into .dst, descending into tables both have: the chart's settings win over `config`. */}}
{{- define "koprik.deepSet" -}}
{{- $dst := .dst }}
{{- range $key, $value := .src }}
{{- if and (kindIs "map" $value) (kindIs "map" (index $dst $key)) }}
{{- include "koprik.deepSet" (dict "dst" (index $dst $key) "src" $value) }}
{{- else }}
{{- $_ := set $dst $key $value }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where Secrets and the configuration are mounted in every container. */}}
{{- define "koprik.paths" -}}
config: /etc/koprik/config
tls: /etc/koprik/tls
clientCa: /etc/koprik/client-ca
kafkaCa: /etc/koprik/kafka-ca
kafkaUser: /etc/koprik/kafka-user
{{- end }}

{{/* The workload's gRPC TLS Secret: tls.secretName, or <release>-<component>-tls. */}}
{{- define "koprik.tlsSecret" -}}
{{- .tls.secretName | default (printf "%s-%s-tls" .root.Release.Name .component) }}
{{- end }}

{{/* The workload's KafkaUser Secret: kafkaUser, or <release>-<component> (Strimzi names it after the user). */}}
{{- define "koprik.kafkaUserSecret" -}}
{{- .kafkaUser | default (printf "%s-%s" .root.Release.Name .component) }}
{{- end }}

{{/*
The settings the chart manages for every service, as YAML: listeners on the pod's ports, logs, the broker (with TLS
and client certificates from mounted Secrets), the gRPC server's TLS (always on: koprik.checkTls refuses anything
else) and, for the services that have it, how current their view of the registry's certificates must be. They
override the service's `config`.
*/}}
{{- define "koprik.managedConfig" -}}
{{- $values := .root.Values }}
{{- $paths := include "koprik.paths" . | fromYaml }}
{{- $properties := deepCopy ($values.kafka.properties | default dict) }}
{{- if $values.kafka.tls.enabled }}
{{- $_ := set $properties "security.protocol" "ssl" }}
{{- $_ := set $properties "ssl.ca.location" (printf "%s/%s" $paths.kafkaCa $values.kafka.tls.caSecret.key) }}
{{- end }}
{{- if eq $values.kafka.authentication.type "tls" }}
{{- $_ := set $properties "ssl.certificate.location" (printf "%s/user.crt" $paths.kafkaUser) }}
{{- $_ := set $properties "ssl.key.location" (printf "%s/user.key" $paths.kafkaUser) }}
{{- end }}
grpc:
  listen: "0.0.0.0:{{ .grpcPort }}"
  tls:
    enabled: true
    cert: {{ $paths.tls }}/tls.crt
    key: {{ $paths.tls }}/tls.key
    {{- if ne .tls.clientAuth "none" }}
    {{- with $values.tls.clientCaBundle.configMap }}
    client_ca: {{ $paths.clientCa }}/{{ $values.tls.clientCaBundle.key }}
    {{- else }}
    client_ca: {{ $paths.tls }}/ca.crt
    {{- end }}
    client_auth_optional: {{ eq .tls.clientAuth "optional" }}
    {{- end }}
{{- if .authz }}
authz:
  max_staleness: {{ $values.authz.maxStaleness | quote }}
  probe_interval: {{ $values.authz.probeInterval | quote }}
  startup_wait: {{ $values.authz.startupWait | quote }}
{{- end }}
metrics:
  listen: "0.0.0.0:{{ .metricsPort }}"
telemetry:
  log_filter: {{ $values.telemetry.logFilter | quote }}
  log_format: {{ $values.telemetry.logFormat | quote }}
kafka:
  bootstrap_servers: {{ $values.kafka.bootstrapServers | quote }}
  fetch_wait_max: {{ $values.kafka.fetchWaitMax | quote }}
  delivery_timeout: {{ $values.kafka.deliveryTimeout | quote }}
  create_topics: {{ $values.kafka.createTopics }}
  partitions: {{ int64 $values.kafka.partitions }}
  replication_factor: {{ int64 $values.kafka.replicationFactor }}
  properties:
    {{- toYaml $properties | nindent 4 }}
{{- end }}

{{/*
The service's configuration file: its `config` values, overridden by the managed settings and then by .managed (the
settings only this service has). Call with the context dict plus "config" and "managed".
*/}}
{{- define "koprik.configToml" -}}
{{- $config := deepCopy (.config | default dict) }}
{{- include "koprik.deepSet" (dict "dst" $config "src" (include "koprik.managedConfig" . | fromYaml)) }}
{{- include "koprik.deepSet" (dict "dst" $config "src" (.managed | default dict)) }}
{{- /* librdkafka properties are strings to the services (linger.ms: 5 in YAML is a number). */}}
{{- $properties := $config.kafka.properties }}
{{- range $key, $value := $properties }}
{{- $_ := set $properties $key (toString $value) }}
{{- end }}
{{- include "koprik.toml" (dict "table" $config "path" "") | trim }}
{{- end }}

{{/* The ConfigMap holding a service's configuration file <binary>.toml. Context plus "file" and "toml". */}}
{{- define "koprik.configMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "koprik.fullname" . }}-config
  labels:
    {{- include "koprik.labels" . | nindent 4 }}
data:
  {{ .file }}: |
    # Generated by the koprik Helm chart from values.yaml; environment variables KOPRIK_* override it.
    {{- .toml | nindent 4 }}
{{- end }}

{{/* Annotations of every workload (values.workloadAnnotations, e.g. a reloader's). */}}
{{- define "koprik.workloadAnnotations" -}}
{{- with .root.Values.workloadAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Pod annotations: checksums of the configuration and of the mounted Secrets and client CA bundle, so that
`helm upgrade` rolls the pods when either changed. The Secrets' checksum needs the cluster (lookup); rendered offline
it is constant. Context plus "toml".
*/}}
{{- define "koprik.podAnnotations" -}}
{{- $root := .root }}
{{- $secrets := list }}
{{- range $name := include "koprik.mountedSecrets" . | fromYamlArray }}
{{- $secrets = append $secrets (lookup "v1" "Secret" $root.Release.Namespace $name).data }}
{{- end }}
{{- with $root.Values.tls.clientCaBundle.configMap }}
{{- $secrets = append $secrets (lookup "v1" "ConfigMap" $root.Release.Namespace .).data }}
{{- end }}
annotations:
  checksum/config: {{ .toml | sha256sum }}
  checksum/secrets: {{ toJson $secrets | sha256sum }}
  {{- with $root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The names of the Secrets a workload mounts (for the checksum annotation), as a YAML list. */}}
{{- define "koprik.mountedSecrets" -}}
{{- $values := .root.Values }}
{{- $names := list }}
{{- $names = append $names (include "koprik.tlsSecret" .) }}
{{- if $values.kafka.tls.enabled }}{{ $names = append $names $values.kafka.tls.caSecret.name }}{{ end }}
{{- if eq $values.kafka.authentication.type "tls" }}{{ $names = append $names (include "koprik.kafkaUserSecret" .) }}{{ end }}
{{- toYaml (concat $names (.extraSecrets | default list)) }}
{{- end }}

{{/* Pod-level settings every workload shares. */}}
{{- define "koprik.podSpec" -}}
# Service links would put KOPRIK_<SERVICE>_PORT... variables into every pod of a release named "koprik"; the
# services read every KOPRIK_* variable as configuration and refuse unknown keys.
enableServiceLinks: false
automountServiceAccountToken: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .root.Values.securityContext.runAsUser }}
  runAsGroup: {{ .root.Values.securityContext.runAsGroup }}
  # Mounted Secrets and volumes become readable by the service's group.
  fsGroup: {{ .root.Values.securityContext.fsGroup }}
  seccompProfile:
    type: RuntimeDefault
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Container-level security settings. */}}
{{- define "koprik.containerSecurity" -}}
securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
{{- end }}

{{/* The container image. */}}
{{- define "koprik.image" -}}
image: "{{ .root.Values.image.repository }}:{{ .root.Values.image.tag | default .root.Chart.AppVersion }}"
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
{{- end }}

{{/*
Container ports and probes. The probes are plain HTTP on the operations (metrics) port: the gRPC server speaks only
mTLS, which the kubelet's gRPC probe cannot. /ready answers 200 only while the gRPC server serves (after the
database, migrations, the broker and, where a service has one, the first read of the registry's certificates), /live
always.
*/}}
{{- define "koprik.portsAndProbes" -}}
ports:
  - name: grpc
    containerPort: {{ .grpcPort }}
  - name: metrics
    containerPort: {{ .metricsPort }}
  {{- range .extraPorts }}
  - name: {{ .name }}
    containerPort: {{ .port }}
  {{- end }}
{{- $probes := .root.Values.probes }}
{{- range $kind := list "readinessProbe" "livenessProbe" "startupProbe" }}
{{ $kind }}:
  httpGet:
    # The operations port: /ready while the gRPC server serves (503 before and while draining), /live always.
    path: {{ ternary "/live" "/ready" (eq $kind "livenessProbe") }}
    port: metrics
  {{- toYaml (index $probes $kind) | nindent 2 }}
{{- end }}
{{- end }}

{{/* Volume mounts every service has: its configuration, /tmp, its TLS Secret, and the broker Secrets when used. */}}
{{- define "koprik.volumeMounts" -}}
{{- $paths := include "koprik.paths" . | fromYaml -}}
- name: config
  mountPath: {{ $paths.config }}
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: tls
  mountPath: {{ $paths.tls }}
  readOnly: true
{{- if and (ne .tls.clientAuth "none") .root.Values.tls.clientCaBundle.configMap }}
- name: client-ca
  mountPath: {{ $paths.clientCa }}
  readOnly: true
{{- end }}
{{- if .root.Values.kafka.tls.enabled }}
- name: kafka-ca
  mountPath: {{ $paths.kafkaCa }}
  readOnly: true
{{- end }}
{{- if eq .root.Values.kafka.authentication.type "tls" }}
- name: kafka-user
  mountPath: {{ $paths.kafkaUser }}
  readOnly: true
{{- end }}
{{- end }}

{{/* The volumes behind koprik.volumeMounts. Secrets are readable by the service's group only (fsGroup). */}}
{{- define "koprik.volumes" -}}
- name: config
  configMap:
    name: {{ include "koprik.fullname" . }}-config
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
- name: tls
  secret:
    secretName: {{ include "koprik.tlsSecret" . }}
    defaultMode: 0440
    items:
      - { key: tls.crt, path: tls.crt }
      - { key: tls.key, path: tls.key }
      {{- if and (ne .tls.clientAuth "none") (not .root.Values.tls.clientCaBundle.configMap) }}
      - { key: ca.crt, path: ca.crt }
      {{- end }}
{{- if and (ne .tls.clientAuth "none") .root.Values.tls.clientCaBundle.configMap }}
- name: client-ca
  configMap:
    name: {{ .root.Values.tls.clientCaBundle.configMap }}
    items:
      - key: {{ .root.Values.tls.clientCaBundle.key }}
        path: {{ .root.Values.tls.clientCaBundle.key }}
{{- end }}
{{- if .root.Values.kafka.tls.enabled }}
- name: kafka-ca
  secret:
    secretName: {{ .root.Values.kafka.tls.caSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .root.Values.kafka.tls.caSecret.key }}
        path: {{ .root.Values.kafka.tls.caSecret.key }}
{{- end }}
{{- if eq .root.Values.kafka.authentication.type "tls" }}
- name: kafka-user
  secret:
    secretName: {{ include "koprik.kafkaUserSecret" . }}
    defaultMode: 0440
    items:
      - { key: user.crt, path: user.crt }
      - { key: user.key, path: user.key }
{{- end }}
{{- end }}

{{/* Trace export of every workload: OTLP/HTTP to telemetry.otlpEndpoint when set, under the workload's name.
Context plus "serviceName". */}}
{{- define "koprik.tracesEnv" -}}
- name: OTEL_SERVICE_NAME
  value: {{ .serviceName | quote }}
{{- with .root.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Environment of a service with a database: its URL from the service's Secret. Context plus "databaseSecret". */}}
{{- define "koprik.databaseEnv" -}}
- name: KOPRIK_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ .databaseSecret.name }}
      key: {{ .databaseSecret.key }}
{{- end }}

{{/* The ClusterIP Service of a component: its gRPC and metrics ports, plus .extraPorts. */}}
{{- define "koprik.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "koprik.fullname" . }}
  labels:
    {{- include "koprik.labels" . | nindent 4 }}
    # The Prometheus job name the alert rules expect (koprik-<service>), whatever the release is called.
    koprik.uz/scrape-job: koprik-{{ .component }}
spec:
  selector:
    {{- include "koprik.selector" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .grpcPort }}
      targetPort: grpc
      appProtocol: grpc
    - name: metrics
      port: {{ .metricsPort }}
      targetPort: metrics
      appProtocol: http
    {{- range .extraPorts }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      appProtocol: http
    {{- end }}
{{- end }}

{{/*
The PodDisruptionBudget of a workload with .replicas pods: minAvailable 1 when there are several, so a drain always
leaves one serving; maxUnavailable 1 for a single pod, so a node drain is never blocked (minAvailable 1 would
forbid evicting the only pod).
*/}}
{{- define "koprik.pdb" -}}
{{- if .root.Values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "koprik.fullname" . }}
  labels:
    {{- include "koprik.labels" . | nindent 4 }}
spec:
  {{- if gt (int .replicas) 1 }}
  minAvailable: 1
  {{- else }}
  maxUnavailable: 1
  {{- end }}
  selector:
    matchLabels:
      {{- include "koprik.selector" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* The ServiceMonitor scraping a component's metrics port (values.serviceMonitor). */}}
{{- define "koprik.serviceMonitor" -}}
{{- $monitor := .root.Values.serviceMonitor }}
{{- if $monitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "koprik.fullname" . }}
  labels:
    {{- include "koprik.labels" . | nindent 4 }}
    {{- with $monitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  jobLabel: koprik.uz/scrape-job
  namespaceSelector:
    matchNames: [{{ .root.Release.Namespace | quote }}]
  selector:
    matchLabels:
      {{- include "koprik.selector" . | nindent 6 }}
  endpoints:
    - port: metrics
      path: /metrics
      scheme: http
      interval: {{ $monitor.interval }}
      scrapeTimeout: {{ $monitor.scrapeTimeout }}
{{- end }}
{{- end }}

{{/*
Refuses what would leave a workload's callers unidentified: tls.enabled false, a `tls.clientAuth` outside
required | optional | none, and none for a service behind the authorization policy (.authorizes). Every caller of
those is identified by its client certificate alone (crates/authz/POLICY.md), and the services themselves refuse to
start without mTLS; the chart says so at render time instead.
*/}}
{{- define "koprik.checkTls" -}}
{{- if not .root.Values.tls.enabled }}
{{- fail "koprik: tls.enabled must be true: the registry, gateway, billing and opendata serve gRPC only over mTLS and identify every caller by its client certificate (crates/authz/POLICY.md); there is no plaintext mode" }}
{{- end }}
{{- if not (has .tls.clientAuth (list "required" "optional" "none")) }}
{{- fail (printf "koprik: %s.tls.clientAuth must be required, optional or none, not %q" .component .tls.clientAuth) }}
{{- end }}
{{- if and .authorizes (eq .tls.clientAuth "none") }}
{{- fail (printf "koprik: %s.tls.clientAuth none: the %s identifies every caller by its TLS client certificate; use optional (a caller without one is refused UNAUTHENTICATED by the authorization policy) or required (refused at the handshake)" .component .component) }}
{{- end }}
{{- end }}
