{{/*
Optional KEDA autoscaling on queue depth (keda.sh/v1alpha1, KEDA 2.x), for workers whose load is the
RabbitMQ backlog rather than CPU: one `rabbitmq` trigger per queue (`QueueLength`: ready messages per
replica), KEDA taking the largest. KEDA reads the queues with the AMQP URL of the app's own Secret
(`keda.hostSecretKey`, default RABBITMQ_URL) through a TriggerAuthentication: no second credential. KEDA owns
the HPA then: the chart's CPU HPA is not rendered and the Deployment leaves `replicas` to it. Never below one
replica: the worker also runs the outbox relays and the pre-order scheduler, which have no queue to wake them.
*/}}
{{- define "service-lib.scaledObject" -}}
{{- $keda := .Values.keda | default dict -}}
{{- if $keda.enabled }}
{{- $fullname := include "service-lib.fullname" . }}
{{- $min := $keda.minReplicas | default 1 }}
{{- $max := required "keda.maxReplicas is required" $keda.maxReplicas }}
{{- /* KEDA would hand its HPA min > max, which never scales: refuse at render time. */}}
{{- if gt (int $min) (int $max) }}
{{- fail (printf "keda.minReplicas (%v) must not be greater than keda.maxReplicas (%v)" $min $max) }}
{{- end }}
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: {{ $fullname }}-rabbitmq
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
spec:
  secretTargetRef:
    - parameter: host
      name: {{ .Values.secrets.name }}
      key: {{ $keda.hostSecretKey | default "RABBITMQ_URL" }}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicaCount: {{ $min }}
  maxReplicaCount: {{ $max }}
  pollingInterval: {{ $keda.pollingInterval | default 15 }}
  cooldownPeriod: {{ $keda.cooldownPeriod | default 300 }}
  triggers:
    {{- range $keda.queues }}
    - type: rabbitmq
      metadata:
        protocol: amqp
        mode: QueueLength
        queueName: {{ .name | quote }}
        value: {{ .messagesPerReplica | quote }}
      authenticationRef:
        name: {{ $fullname }}-rabbitmq
    {{- end }}
{{- end }}
{{- end -}}
