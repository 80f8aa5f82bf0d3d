{{/*
The Datadog agent's OpenMetrics check, by autodiscovery: an `ad.datadoghq.com/<container>.checks` annotation
on the pod, so the node's agent scrapes GET <metrics.path> on the pod's own address (%%host%%) and port.
Metrics are sent as <metrics.namespace>.<name> (counters as .count), filtered by the `metrics.include`
regular expressions (each series is a custom metric: the app's own, answers, scrape errors and a few process
ones, not all of Node's). `metrics.bearerTokenSecret` makes the agent send a bearer token read from a Secret
through its secrets backend (ENC[k8s_secret@<namespace>/<name>/<key>]): geo-reporting asks for one on /metrics.
`metrics.instance` adds any other setting of the instance (timeouts, ...). The infra/monitors/ definitions
query these names; apps/cmdr/src/charts/monitors.test.ts holds them to what the apps and charts export.
*/}}
{{- define "service-lib.metricsAnnotations" -}}
{{- $metrics := .Values.metrics | default dict -}}
{{- if $metrics.enabled -}}
{{- $endpoint := printf "http://%%%%host%%%%:%v%s" .Values.containerPort $metrics.path -}}
{{- $instance := dict "openmetrics_endpoint" $endpoint "namespace" $metrics.namespace "metrics" $metrics.include -}}
{{- with $metrics.bearerTokenSecret -}}
{{- $token := printf "Bearer ENC[k8s_secret@%s/%s/%s]" $.Release.Namespace .name .key -}}
{{- $_ := set $instance "headers" (dict "Authorization" $token) -}}
{{- end -}}
{{- $instance = mergeOverwrite $instance ($metrics.instance | default dict) -}}
ad.datadoghq.com/{{ include "service-lib.name" . }}.checks: {{ dict "openmetrics" (dict "instances" (list $instance)) | toJson | quote }}
{{- end -}}
{{- end -}}
