{{/*
Chart name, used for the app.kubernetes.io/name label.
*/}}
{{- define "plate-web.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Resource name. Each environment has its own namespace with one release of this chart, so the
chart name is enough and the shared Ingress (helm/ingress) can address the Service by a fixed name.
*/}}
{{- define "plate-web.fullname" -}}
{{- default .Chart.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plate-web.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plate-web.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plate-web.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "plate-web.labels" -}}
helm.sh/chart: {{ include "plate-web.chart" . }}
{{ include "plate-web.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: frontend
{{- with .Values.global.partOf }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
{{- end -}}

{{/*
Image reference from an image block. An empty tag renders the bare repository so that a missing
tag stays visible to policy checks instead of becoming "repository:".
*/}}
{{- define "plate-web.image" -}}
{{- if .tag -}}
{{- printf "%s:%s" .repository .tag -}}
{{- else -}}
{{- .repository -}}
{{- end -}}
{{- end -}}

{{- define "plate-web.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "plate-web.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
