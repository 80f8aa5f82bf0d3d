{{/* Non-secret configuration: rendered into the ConfigMap, hashed into the pod template. */}}
{{- define "service-lib.configData" -}}
{{- $fixed := dict
  "HOST" "0.0.0.0"
  "PORT" (toString .Values.containerPort)
  "SHUTDOWN_TIMEOUT_MS" (toString (mul .Values.shutdown.timeoutSeconds 1000))
  "DD_ENV" .Values.environment
  "DD_SERVICE" (include "service-lib.name" .)
  "DD_LOGS_INJECTION" "true"
-}}
{{- toYaml (merge (deepCopy .Values.config) $fixed) -}}
{{- end -}}

{{/*
Environment that cannot live in the ConfigMap: the version from the pod's own label (so it always
matches the unified service tag), the Datadog agent on this node, and each secret by reference. Secret
values never pass through Helm values: the Secret is created outside the chart (External Secrets).
*/}}
{{- define "service-lib.env" -}}
- name: DD_VERSION
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['tags.datadoghq.com/version']
- name: DD_AGENT_HOST
  valueFrom:
    fieldRef:
      fieldPath: status.hostIP
{{- range .Values.secrets.keys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.name }}
      key: {{ . }}
{{- end }}
{{- end -}}

{{- define "service-lib.envFrom" -}}
- configMapRef:
    name: {{ include "service-lib.fullname" . }}
{{- end -}}
