{{/*
Chart name, used for the app.kubernetes.io/name label.
*/}}
{{- define "plate-api.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Resource name. Each environment has its own namespace with one release of this chart, so the
chart name is enough and the shared Ingress (helm/ingress) can address the Service by a fixed name.
*/}}
{{- define "plate-api.fullname" -}}
{{- default .Chart.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plate-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plate-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plate-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "plate-api.labels" -}}
helm.sh/chart: {{ include "plate-api.chart" . }}
{{ include "plate-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: backend
{{- with .Values.global.partOf }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
{{- end -}}

{{/*
Image reference from an image block. An empty tag renders the bare repository so that a missing
tag stays visible to policy checks instead of becoming "repository:".
*/}}
{{- define "plate-api.image" -}}
{{- if .tag -}}
{{- printf "%s:%s" .repository .tag -}}
{{- else -}}
{{- .repository -}}
{{- end -}}
{{- end -}}

{{- define "plate-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "plate-api.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
