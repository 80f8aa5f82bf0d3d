{{/*
Names, in the style of Bitnami's common chart. Every name is cut to 63 characters (DNS label limit).
*/}}

{{- define "service-lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release name alone when it already names the app (cmdr installs release "<app>"), else "<release>-<app>". */}}
{{- define "service-lib.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "service-lib.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "service-lib.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "service-lib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "service-lib.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image tag is the release version (DD_VERSION); cmdr always sets it, the chart refuses to guess. */}}
{{- define "service-lib.version" -}}
{{- required "image.tag is required (cmdr deploy --tag)" .Values.image.tag | toString | trunc 63 -}}
{{- end -}}

{{/* Pinned by digest when cmdr knows it (cmdr images push records it): the tag can be moved, the digest cannot. */}}
{{- define "service-lib.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "service-lib.version" .) -}}
{{- end -}}
{{- end -}}
