{{- define "plate-cache.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plate-cache.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plate-cache.labels" -}}
helm.sh/chart: {{ include "plate-cache.chart" . }}
app.kubernetes.io/name: {{ include "plate-cache.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: build-cache
{{- with .Values.global.partOf }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
{{- end -}}
