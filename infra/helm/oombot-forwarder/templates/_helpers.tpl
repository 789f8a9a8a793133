{{- define "oombot-forwarder.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "oombot-forwarder.serviceAccountName" -}}
{{- default (include "oombot-forwarder.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "oombot-forwarder.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "oombot-forwarder.labels" -}}
{{ include "oombot-forwarder.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "oombot-forwarder.metricsServiceName" -}}
{{- printf "%s-metrics" (include "oombot-forwarder.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The image by tag, or by digest when one is set (the tag kept beside it for readers). */}}
{{- define "oombot-forwarder.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* A duration as the forwarder parses it (shared/duration.ts: a number and one of ms, s, m, h), in milliseconds. */}}
{{- define "oombot-forwarder.ms" -}}
{{- $number := regexReplaceAll "^([0-9]+(\\.[0-9]+)?)(ms|s|m|h)$" . "${1}" -}}
{{- $unit := regexReplaceAll "^([0-9]+(\\.[0-9]+)?)(ms|s|m|h)$" . "${3}" -}}
{{- mulf (float64 $number) (get (dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000) $unit) -}}
{{- end -}}

{{/*
What values.schema.json cannot say, since it compares values: forwarder/config.ts refuses a memory window shorter than
the interval (whether or not sampling is on), Prometheus a scrape timeout longer than the interval, and alert rules
without the ServiceMonitor need a selector for the series.
*/}}
{{- define "oombot-forwarder.validate" -}}
{{- $interval := include "oombot-forwarder.ms" .Values.memorySampling.interval | float64 -}}
{{- $window := include "oombot-forwarder.ms" .Values.memorySampling.window | float64 -}}
{{- if lt $window $interval -}}
{{- fail (printf "memorySampling.window (%s) is shorter than memorySampling.interval (%s): the forwarder refuses it; keep at least one interval, e.g. window: 30m" .Values.memorySampling.window .Values.memorySampling.interval) -}}
{{- end -}}
{{- if and .Values.metrics.prometheusRule.enabled (not .Values.metrics.serviceMonitor.enabled) (not .Values.metrics.prometheusRule.selector) -}}
{{- fail "metrics.prometheusRule.enabled without the ServiceMonitor needs metrics.prometheusRule.selector, e.g. job=\"oombot-forwarder\": the alerts select by the namespace and service labels the ServiceMonitor gives the series, so without it they would never see a replica and OombotForwarderNotLeading would always fire" -}}
{{- end -}}
{{- if .Values.metrics.serviceMonitor.enabled -}}
{{- $scrape := include "oombot-forwarder.ms" .Values.metrics.serviceMonitor.interval | float64 -}}
{{- $timeout := include "oombot-forwarder.ms" .Values.metrics.serviceMonitor.scrapeTimeout | float64 -}}
{{- if gt $timeout $scrape -}}
{{- fail (printf "metrics.serviceMonitor.scrapeTimeout (%s) is longer than its interval (%s): Prometheus refuses it" .Values.metrics.serviceMonitor.scrapeTimeout .Values.metrics.serviceMonitor.interval) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The series of this release, in PromQL label matchers: as the ServiceMonitor scrapes them unless set. */}}
{{- define "oombot-forwarder.seriesSelector" -}}
{{- default (printf "namespace=%q,service=%q" .Release.Namespace (include "oombot-forwarder.metricsServiceName" .)) .Values.metrics.prometheusRule.selector -}}
{{- end -}}
