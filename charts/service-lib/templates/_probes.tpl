{{/*
Probes on the two health endpoints every app serves: /health/live (the process) and /health/ready
(dependencies reachable, not shutting down). A startup probe holds the others back while the app connects.
*/}}
{{- define "service-lib.probes" -}}
startupProbe:
  httpGet:
    path: {{ .Values.health.livenessPath }}
    port: http
  periodSeconds: 2
  failureThreshold: {{ .Values.health.startupFailureThreshold }}
livenessProbe:
  httpGet:
    path: {{ .Values.health.livenessPath }}
    port: http
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: {{ .Values.health.readinessPath }}
    port: http
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- end -}}
