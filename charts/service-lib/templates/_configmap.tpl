{{- define "service-lib.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "service-lib.fullname" . }}
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
data:
  {{- include "service-lib.configData" . | nindent 2 }}
{{- end -}}
