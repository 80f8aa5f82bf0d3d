{{/*
Database migrations as a pre-install/pre-upgrade hook: they run once per release, before any new pod
starts, in the same image (so schema and code come from the same commit), never on container start. It runs under the namespace's default ServiceAccount: on a first install the
chart's own ServiceAccount does not exist yet when pre-install hooks run.
*/}}
{{- define "service-lib.migrationJob" -}}
{{- if .Values.migrations.enabled -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "service-lib.fullname" . }}-migrate
  labels:
    helm.sh/chart: {{ include "service-lib.chart" . }}
    app.kubernetes.io/name: {{ include "service-lib.name" . }}-migrate
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    app.kubernetes.io/part-of: single
    app.kubernetes.io/component: migrations
    {{- include "service-lib.datadogLabels" . | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .Values.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ .Values.migrations.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ include "service-lib.name" . }}-migrate
        app.kubernetes.io/instance: {{ .Release.Name }}
        {{- include "service-lib.datadogLabels" . | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      securityContext:
        {{- include "service-lib.podSecurityContext" . | nindent 8 }}
      containers:
        - name: migrate
          image: {{ include "service-lib.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          workingDir: /app/packages/db
          command:
            {{- toYaml .Values.migrations.command | nindent 12 }}
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.secrets.name }}
                  key: DATABASE_URL
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- include "service-lib.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- end -}}
{{- end -}}
