{{/*
Optional ExternalSecret (external-secrets.io/v1, External Secrets Operator 0.16+) for teams that keep the
app's secrets in a store: it makes the Secret `secrets.name` with exactly the keys of `secrets.keys`, each
read from the property of the same name of `externalSecret.remoteKey`. A pre-install/pre-upgrade hook
(weight -10) so it exists before the migrations Job (weight 0); the Secret is orphaned, never deleted, when
the hook object is replaced, so running pods keep their environment. Off by default: the Secret then comes
from outside the chart, and `cmdr deploy` checks it exists before the upgrade.
*/}}
{{- define "service-lib.externalSecret" -}}
{{- $es := .Values.externalSecret | default dict -}}
{{- if $es.enabled }}
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {{ .Values.secrets.name }}
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-10"
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  refreshInterval: {{ $es.refreshInterval | default "1h" }}
  secretStoreRef:
    name: {{ required "externalSecret.secretStoreRef.name is required" $es.secretStoreRef.name }}
    kind: {{ $es.secretStoreRef.kind | default "ClusterSecretStore" }}
  target:
    name: {{ .Values.secrets.name }}
    creationPolicy: Orphan
    deletionPolicy: Retain
  data:
    {{- range .Values.secrets.keys }}
    - secretKey: {{ . }}
      remoteRef:
        key: {{ required "externalSecret.remoteKey is required" $es.remoteKey }}
        property: {{ . }}
    {{- end }}
{{- end }}
{{- end -}}
