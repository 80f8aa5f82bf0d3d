{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "service-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Datadog unified service tags: the agent tags traces, logs and metrics of the pod with them. */}}
{{- define "service-lib.datadogLabels" -}}
tags.datadoghq.com/env: {{ .Values.environment | quote }}
tags.datadoghq.com/service: {{ include "service-lib.name" . | quote }}
tags.datadoghq.com/version: {{ include "service-lib.version" . | quote }}
{{- end -}}

{{- define "service-lib.labels" -}}
helm.sh/chart: {{ include "service-lib.chart" . }}
{{ include "service-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ include "service-lib.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: single
app.kubernetes.io/component: {{ .Values.kind }}
{{ include "service-lib.datadogLabels" . }}
{{- end -}}
