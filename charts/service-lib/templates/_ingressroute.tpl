{{/*
Traefik (CRD provider, traefik.io/v1alpha1). Each HTTP app owns its route and middlewares:
- <fullname>-ratelimit: one bucket per client IP. Without a sourceCriterion Traefik keys on the socket peer,
  which behind the ALB is the ALB node: every fan shared one bucket per node. The key is the X-Forwarded-For
  element at `ingress.rateLimit.clientIpDepth` from the right (default 1: the ALB appends the address it saw,
  the fan's, and one ALB hop stands between the fan and Traefik). Traefik keeps the ALB's header only from
  its entry point's forwardedHeaders.trustedIPs (infra/traefik/values.yaml): without them the header is
  dropped and the depth finds nothing. An IPv6 client is keyed on its /64 (ipv6Subnet): a subscriber is
  routed a whole /64, so per address one fan could mint 2^64 buckets (geo-reporting's own limiter keys IPv6 on
  the /64 too). The key is the element as written, port included: the ALB must not append client ports
  (routing.http.xff_client_port.enabled stays false), or each connection would be a client of its own;
- <fullname>-maintenance: adds Retry-After to the 503 that Traefik answers in maintenance mode, when the
  route points at <fullname>-maintenance, a Service without endpoints (Traefik runs with
  providers.kubernetesCRD.allowEmptyServices=true, so an empty service answers 503 rather than 404).
*/}}
{{- define "service-lib.hostRule" -}}
{{- $hosts := list -}}
{{- range .Values.ingress.hosts -}}
{{- $hosts = append $hosts (printf "Host(`%s`)" .) -}}
{{- end -}}
{{- $paths := list -}}
{{- range .Values.ingress.paths -}}
{{- $paths = append $paths (printf "Path(`%s`)" .) -}}
{{- end -}}
{{- range .Values.ingress.pathPrefixes -}}
{{- $paths = append $paths (printf "PathPrefix(`%s`)" .) -}}
{{- end -}}
{{- $rule := printf "(%s) && (%s)" (join " || " $hosts) (join " || " $paths) -}}
{{- /* A prefix route would reach GET /metrics too: it is for the agent in the cluster, not the Internet. The
apps serve /metrics whether or not the agent is told to scrape it (metrics.enabled only sets the annotation),
so it is always left out, and metrics.path too when it names another path. */ -}}
{{- if .Values.ingress.pathPrefixes -}}
{{- $rule = printf "%s && !PathPrefix(`/metrics`)" $rule -}}
{{- $metricsPath := (.Values.metrics | default dict).path | default "/metrics" -}}
{{- if ne $metricsPath "/metrics" -}}
{{- $rule = printf "%s && !PathPrefix(`%s`)" $rule $metricsPath -}}
{{- end -}}
{{- end -}}
{{- $rule -}}
{{- end -}}

{{- define "service-lib.ingressroute" -}}
{{- if .Values.ingress.enabled -}}
{{- $fullname := include "service-lib.fullname" . -}}
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
spec:
  entryPoints:
    {{- toYaml .Values.ingress.entryPoints | nindent 4 }}
  routes:
    - kind: Rule
      match: {{ include "service-lib.hostRule" . | quote }}
      middlewares:
        {{- if .Values.ingress.maintenance }}
        - name: {{ $fullname }}-maintenance
        {{- end }}
        - name: {{ $fullname }}-ratelimit
      services:
        - kind: Service
          {{- if .Values.ingress.maintenance }}
          name: {{ $fullname }}-maintenance
          {{- else }}
          name: {{ $fullname }}
          {{- end }}
          port: {{ .Values.service.port }}
  {{- with .Values.ingress.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{- define "service-lib.middlewares" -}}
{{- if .Values.ingress.enabled -}}
{{- $fullname := include "service-lib.fullname" . -}}
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata:
  name: {{ $fullname }}-ratelimit
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
spec:
  rateLimit:
    average: {{ .Values.ingress.rateLimit.average }}
    period: {{ .Values.ingress.rateLimit.period }}
    burst: {{ .Values.ingress.rateLimit.burst }}
    sourceCriterion:
      ipStrategy:
        depth: {{ .Values.ingress.rateLimit.clientIpDepth | default 1 }}
        ipv6Subnet: 64
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata:
  name: {{ $fullname }}-maintenance
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
spec:
  headers:
    customResponseHeaders:
      Retry-After: {{ .Values.ingress.maintenanceRetryAfterSeconds | quote }}
      Cache-Control: no-store
---
{{/* Selects no pod on purpose: routing here is how the edge answers 503 during maintenance. */}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-maintenance
  labels:
    {{- include "service-lib.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {{ include "service-lib.name" . }}-maintenance
    app.kubernetes.io/instance: {{ .Release.Name }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
{{- end -}}
{{- end -}}
