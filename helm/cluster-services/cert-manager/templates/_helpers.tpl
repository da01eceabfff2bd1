{{- define "cert-manager-issuers.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: cluster-issuer
{{- end -}}

{{/*
One ACME ClusterIssuer with an HTTP-01 solver through the ingress controller.
Called with (dict "root" $ "issuer" <issuer values>).
*/}}
{{- define "cert-manager-issuers.clusterIssuer" -}}
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: {{ .issuer.name }}
  labels:
    {{- include "cert-manager-issuers.labels" .root | nindent 4 }}
  annotations:
    # The ClusterIssuer kind exists only once the cert-manager CRDs are installed.
    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true
spec:
  acme:
    server: {{ .issuer.server }}
    email: {{ .root.Values.acme.email }}
    privateKeySecretRef:
      name: {{ .issuer.privateKeySecretName }}
    solvers:
      - http01:
          ingress:
            ingressClassName: {{ .root.Values.acme.ingressClassName }}
{{- end -}}
