{{/* Names and labels in the `helm create` style. */}}

{{- define "faultline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated at 63 characters (the DNS label limit); the release name alone when it
already contains the chart name.
*/}}
{{- define "faultline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "faultline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one part of the release: "<fullname>-<component>", e.g. faultline-order, faultline-kafka. */}}
{{- define "faultline.componentName" -}}
{{- printf "%s-%s" (include "faultline.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. Call with (dict "root" $ "component" "order"). */}}
{{- define "faultline.labels" -}}
helm.sh/chart: {{ include "faultline.chart" .root }}
{{ include "faultline.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: faultline
{{- end }}

{{/* Selector labels: stable across upgrades, so never the version. */}}
{{- define "faultline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "faultline.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Image reference "repository:tag"; an empty tag means the chart's appVersion. */}}
{{- define "faultline.image" -}}
{{- printf "%s:%s" .repository (toString (default .appVersion .tag)) }}
{{- end }}

{{/* The settings of one service: the `default` block deep-merged under its `components` entry. */}}
{{- define "faultline.componentValues" -}}
{{- $component := index .root.Values.components .name | default dict }}
{{- toYaml (mustMergeOverwrite (deepCopy .root.Values.default) (deepCopy $component)) }}
{{- end }}

{{/* Host names of the infrastructure, in-cluster or external. */}}
{{- define "faultline.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled }}
{{- printf "%s:9092" (include "faultline.componentName" (dict "root" . "component" "kafka")) }}
{{- else }}
{{- required "kafka.external.bootstrapServers is required when kafka.enabled=false" .Values.kafka.external.bootstrapServers }}
{{- end }}
{{- end }}

{{- define "faultline.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s:6379/0" (include "faultline.componentName" (dict "root" . "component" "redis")) }}
{{- else }}
{{- required "redis.external.url is required when redis.enabled=false" .Values.redis.external.url }}
{{- end }}
{{- end }}

{{/* The Sentinels' host:port list (the HA Redis), empty without them. */}}
{{- define "faultline.redisSentinels" -}}
{{- if and .Values.redis.enabled .Values.redis.sentinel.enabled }}
{{- $name := include "faultline.componentName" (dict "root" . "component" "redis-sentinel") }}
{{- $addresses := list }}
{{- range $i := until 3 }}
{{- $addresses = append $addresses (printf "%s-%d.%s.%s.svc.cluster.local:26379" $name $i $name $.Release.Namespace) }}
{{- end }}
{{- join "," $addresses }}
{{- end }}
{{- end }}

{{- define "faultline.smtpHost" -}}
{{- if .Values.mailpit.enabled }}
{{- include "faultline.componentName" (dict "root" . "component" "mailpit") }}
{{- else }}
{{- required "mailpit.external.smtpHost is required when mailpit.enabled=false" .Values.mailpit.external.smtpHost }}
{{- end }}
{{- end }}

{{- define "faultline.smtpPort" -}}
{{- if .Values.mailpit.enabled }}1025{{ else }}{{ .Values.mailpit.external.smtpPort }}{{ end }}
{{- end }}

{{- define "faultline.otlpEndpoint" -}}
{{- if .Values.otelCollector.enabled }}
{{- printf "http://%s:4318" (include "faultline.componentName" (dict "root" . "component" "otel-collector")) }}
{{- else }}
{{- .Values.otelCollector.external.endpoint }}
{{- end }}
{{- end }}

{{- define "faultline.adminSecretName" -}}
{{- default (printf "%s-admin" (include "faultline.fullname" .)) .Values.adminToken.existingSecret }}
{{- end }}

{{/* Pod-level securityContext meeting the Pod Security "restricted" profile. Call with the uid/gid. */}}
{{- define "faultline.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level securityContext for the "restricted" profile. Call with (dict "readOnly" true|false). */}}
{{- define "faultline.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .readOnly }}
capabilities:
  drop: ["ALL"]
{{- end }}

{{/*
The topics one-liner, run with a service image (which carries faultline_kit): create the missing topics,
retrying until Kafka answers or 5 minutes pass. Reads FAULTLINE_KAFKA_BOOTSTRAP and FAULTLINE_TOPIC_PARTITIONS.
*/}}
{{- define "faultline.topicsScript" -}}
import os, time
from faultline_kit.topology import all_topics, ensure_topics
deadline = time.monotonic() + 300
while True:
    try:
        created = ensure_topics(os.environ["FAULTLINE_KAFKA_BOOTSTRAP"], int(os.environ["FAULTLINE_TOPIC_PARTITIONS"]))
        print("topics present:", ", ".join(all_topics()), "| created now:", ", ".join(created) or "none", flush=True)
        break
    except Exception as error:
        if time.monotonic() > deadline:
            raise
        print("waiting for Kafka:", error, flush=True)
        time.sleep(3)
{{- end }}

{{/*
An off-the-shelf tool run as one pod (Prometheus, Grafana): its ClusterIP Service and Deployment, with what every
pod of the chart has: pinned image, restricted securityContext and a read-only root, no API token, no service
links, startup/liveness/readiness probes, requests and limits. Writable paths are emptyDirs. Call with a dict:
  root, component, values (the tool's block: image, resources), uid, port (its one HTTP port),
  readyPath, livePath (probe paths on that port), args (list), env (list of EnvVar maps),
  volumes (list of {name, mountPath} plus either configMap (name, optional items) or sizeLimit (an emptyDir)),
  checksum (rolls the pod when its configuration changes).
*/}}
{{- define "faultline.tool" -}}
{{- $ctx := dict "root" .root "component" .component }}
{{- $fullname := include "faultline.componentName" $ctx }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "faultline.labels" $ctx | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "faultline.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ .port }}
      targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "faultline.labels" $ctx | nindent 4 }}
spec:
  replicas: 1
  # One pod writing an emptyDir: replace it rather than run two side by side.
  strategy:
    type: Recreate
  selector:
    matchLabels:
      {{- include "faultline.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "faultline.labels" $ctx | nindent 8 }}
      annotations:
        checksum/config: {{ .checksum | sha256sum }}
    spec:
      serviceAccountName: {{ include "faultline.fullname" .root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "faultline.podSecurityContext" (dict "uid" .uid) | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "faultline.image" (dict "repository" .values.image.repository "tag" .values.image.tag "appVersion" .root.Chart.AppVersion) }}
          imagePullPolicy: {{ .values.image.pullPolicy }}
          {{- with .args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with .env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ .port }}
          # Up to 3 minutes to start (Grafana migrates its database on first start), then the usual checks.
          startupProbe:
            httpGet:
              path: {{ .livePath }}
              port: http
            periodSeconds: 5
            failureThreshold: 36
          readinessProbe:
            httpGet:
              path: {{ .readyPath }}
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
          livenessProbe:
            httpGet:
              path: {{ .livePath }}
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          securityContext:
            {{- include "faultline.containerSecurityContext" (dict "readOnly" true) | nindent 12 }}
          volumeMounts:
            {{- range .volumes }}
            - name: {{ .name }}
              mountPath: {{ .mountPath }}
              {{- if .configMap }}
              readOnly: true
              {{- end }}
            {{- end }}
      volumes:
        {{- range .volumes }}
        - name: {{ .name }}
          {{- if .configMap }}
          configMap:
            name: {{ .configMap }}
            {{- with .items }}
            items:
              {{- toYaml . | nindent 14 }}
            {{- end }}
          {{- else }}
          emptyDir:
            sizeLimit: {{ .sizeLimit }}
          {{- end }}
        {{- end }}
{{- end }}

{{/* URL of the Prometheus Grafana reads: the chart's own, or prometheus.external.url. */}}
{{- define "faultline.prometheusUrl" -}}
{{- if .Values.prometheus.enabled }}
{{- printf "http://%s:9090" (include "faultline.componentName" (dict "root" . "component" "prometheus")) }}
{{- else }}
{{- required "grafana.enabled needs prometheus.enabled or prometheus.external.url" .Values.prometheus.external.url }}
{{- end }}
{{- end }}

{{/* The uid Grafana's provisioned Prometheus datasource gets; dashboards/faultline.json refers to it. */}}
{{- define "faultline.grafanaDatasourceUid" -}}
faultline-prometheus
{{- end }}
