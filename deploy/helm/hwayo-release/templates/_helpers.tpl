{{/* Object names: fullnameOverride, or <release>-worker. */}}
{{- define "hwayo.fullname" -}}
{{- default (printf "%s-worker" .Release.Name) .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{/* The cluster's name, refused unless it is a DNS label (it becomes the task queue and a label value). */}}
{{- define "hwayo.cluster" -}}
{{- $c := required "values: cluster is required (the cluster this worker serves, e.g. --set cluster=a)" .Values.cluster -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$" $c) -}}
{{- fail (printf "values: cluster %q must be lowercase letters, digits and dashes (it names the task queue hwayo-%s)" $c $c) -}}
{{- end -}}
{{- $c -}}
{{- end -}}

{{- define "hwayo.taskQueue" -}}
{{- default (printf "hwayo-%s" (include "hwayo.cluster" .)) .Values.taskQueue -}}
{{- end -}}

{{- define "hwayo.policyConfigMap" -}}
{{- default (printf "%s-policy" .Release.Name) .Values.policy.existingConfigMap -}}
{{- end -}}

{{- define "hwayo.environmentsConfigMap" -}}
{{- printf "%s-environments" .Release.Name -}}
{{- end -}}

{{- define "hwayo.serviceAccountUser" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "hwayo.fullname" . }}
{{- end -}}

{{- define "hwayo.labels" -}}
app.kubernetes.io/name: {{ include "hwayo.fullname" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: hwayo-release
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
hwayo.io/cluster: {{ include "hwayo.cluster" . }}
{{- end -}}

{{- define "hwayo.subject" -}}
subjects:
  - kind: ServiceAccount
    name: {{ include "hwayo.fullname" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}
