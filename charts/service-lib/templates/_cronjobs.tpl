{{/*
Scheduled jobs of an app (`cronJobs`), in the release's image with the app's ConfigMap and Secret keys: e.g.
geo-reporting's chart files, made once a business day has closed (a GET never makes them). concurrencyPolicy
Forbid: a slow run is never overlapped by the next; startingDeadlineSeconds lets a run that the controller
missed (a control-plane outage) still start late instead of being skipped. Needs Kubernetes 1.27+ for timeZone.
*/}}
{{- define "service-lib.cronjobs" -}}
{{- range $index, $job := .Values.cronJobs }}
{{- if $index }}
---
{{- end }}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ include "service-lib.fullname" $ }}-{{ $job.name }}
  labels:
    helm.sh/chart: {{ include "service-lib.chart" $ }}
    app.kubernetes.io/name: {{ include "service-lib.name" $ }}-{{ $job.name }}
    app.kubernetes.io/instance: {{ $.Release.Name }}
    app.kubernetes.io/version: {{ include "service-lib.version" $ | quote }}
    app.kubernetes.io/managed-by: {{ $.Release.Service }}
    app.kubernetes.io/part-of: single
    app.kubernetes.io/component: cronjob
    {{- include "service-lib.datadogLabels" $ | nindent 4 }}
spec:
  schedule: {{ $job.schedule | quote }}
  timeZone: {{ $job.timeZone | quote }}
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: {{ $job.startingDeadlineSeconds | default 3600 }}
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: {{ $job.backoffLimit | default 2 }}
      activeDeadlineSeconds: {{ $job.activeDeadlineSeconds | default 1800 }}
      ttlSecondsAfterFinished: 86400
      template:
        metadata:
          labels:
            app.kubernetes.io/name: {{ include "service-lib.name" $ }}-{{ $job.name }}
            app.kubernetes.io/instance: {{ $.Release.Name }}
            {{- include "service-lib.datadogLabels" $ | nindent 12 }}
        spec:
          restartPolicy: Never
          serviceAccountName: {{ include "service-lib.serviceAccountName" $ }}
          automountServiceAccountToken: false
          {{- with $.Values.imagePullSecrets }}
          imagePullSecrets:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- include "service-lib.podSecurityContext" $ | nindent 12 }}
          containers:
            - name: {{ $job.name }}
              image: {{ include "service-lib.image" $ }}
              imagePullPolicy: {{ $.Values.image.pullPolicy }}
              command:
                {{- toYaml $job.command | nindent 16 }}
              envFrom:
                {{- include "service-lib.envFrom" $ | nindent 16 }}
              env:
                {{- include "service-lib.env" $ | nindent 16 }}
              resources:
                {{- toYaml $.Values.resources | nindent 16 }}
              securityContext:
                {{- include "service-lib.containerSecurityContext" $ | nindent 16 }}
              volumeMounts:
                - name: tmp
                  mountPath: /tmp
          volumes:
            - name: tmp
              emptyDir:
                sizeLimit: 64Mi
          {{- with $.Values.nodeSelector }}
          nodeSelector:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $.Values.tolerations }}
          tolerations:
            {{- toYaml . | nindent 12 }}
          {{- end }}
{{- end }}
{{- end -}}
