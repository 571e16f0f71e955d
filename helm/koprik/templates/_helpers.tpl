{{/* Labels shared by every object of a component. */}}
{{- define "koprik.labels" -}}
app.kubernetes.io/name: koprik
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels of a component. */}}
{{- define "koprik.selector" -}}
app.kubernetes.io/name: koprik
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Environment every service reads (see DEVELOPERS.md, Configuration). */}}
{{- define "koprik.commonEnv" -}}
- name: KOPRIK_GRPC__LISTEN
  value: "0.0.0.0:{{ .grpcPort }}"
- name: KOPRIK_METRICS__LISTEN
  value: "0.0.0.0:{{ .metricsPort }}"
- name: KOPRIK_KAFKA__BOOTSTRAP_SERVERS
  value: {{ .root.Values.kafka.bootstrapServers | quote }}
- name: KOPRIK_KAFKA__FETCH_WAIT_MAX
  value: {{ .root.Values.kafka.fetchWaitMax | quote }}
- name: KOPRIK_KAFKA__CREATE_TOPICS
  value: {{ .root.Values.kafka.createTopics | quote }}
- name: KOPRIK_KAFKA__PARTITIONS
  value: {{ .root.Values.kafka.partitions | quote }}
- name: KOPRIK_KAFKA__REPLICATION_FACTOR
  value: {{ .root.Values.kafka.replicationFactor | quote }}
- name: KOPRIK_TELEMETRY__LOG_FILTER
  value: {{ .root.Values.telemetry.logFilter | quote }}
- name: KOPRIK_TELEMETRY__LOG_FORMAT
  value: {{ .root.Values.telemetry.logFormat | quote }}
{{- end }}

{{/* Container ports and gRPC health probes. */}}
{{- define "koprik.portsAndProbes" -}}
ports:
  - name: grpc
    containerPort: {{ .grpcPort }}
  - name: metrics
    containerPort: {{ .metricsPort }}
readinessProbe:
  grpc:
    port: {{ .grpcPort }}
  periodSeconds: 5
livenessProbe:
  grpc:
    port: {{ .grpcPort }}
  initialDelaySeconds: 10
  periodSeconds: 10
{{- end }}

{{/* The ClusterIP Service of a component: its gRPC and metrics ports. */}}
{{- define "koprik.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .root.Release.Name }}-{{ .component }}
  labels:
    {{- include "koprik.labels" . | nindent 4 }}
spec:
  selector:
    {{- include "koprik.selector" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .grpcPort }}
      targetPort: grpc
    - name: metrics
      port: {{ .metricsPort }}
      targetPort: metrics
{{- end }}
