{{/* Release-scoped name prefix: the release name, with "-logad" unless it already says logad. */}}
{{- define "logad.fullname" -}}
{{- if contains "logad" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-logad" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "logad.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: logad
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "operator"). */}}
{{- define "logad.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* "repository:tag" of an image entry of .Values.images. */}}
{{- define "logad.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/* Namespaces the operator watches: operator.watchNamespaces, or the release namespace when empty. */}}
{{- define "logad.watchNamespaces" -}}
{{- $namespaces := .Values.operator.watchNamespaces | default (list .Release.Namespace) -}}
{{- toJson (uniq $namespaces) -}}
{{- end -}}

{{/* PodSecurity "restricted" at pod level. */}}
{{- define "logad.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* PodSecurity "restricted" at container level, with a read-only root filesystem. */}}
{{- define "logad.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* imagePullSecrets of every pod (names of existing Secrets). */}}
{{- define "logad.imagePullSecrets" -}}
{{- range .Values.imagePullSecrets }}
- name: {{ . }}
{{- end }}
{{- end -}}

{{/* Milvus address and token (by Secret reference) for the containers that open the knowledge base. */}}
{{- define "logad.milvusEnv" -}}
{{- if .Values.milvus.uri }}
- name: LOGAD_MILVUS_URI
  value: {{ .Values.milvus.uri | quote }}
{{- if .Values.milvus.tokenSecret.name }}
- name: LOGAD_MILVUS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.milvus.tokenSecret.name }}
      key: {{ .Values.milvus.tokenSecret.key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Probes of a logad server container; call with the InferenceService name. The server answers only once the
model is loaded, so the startup probe allows 10 minutes before liveness takes over. */}}
{{- define "logad.serverProbes" -}}
startupProbe:
  httpGet:
    path: /v2/health/live
    port: 8080
  periodSeconds: 10
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /v2/health/live
    port: 8080
  periodSeconds: 15
  timeoutSeconds: 5
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /v2/models/{{ . }}/ready
    port: 8080
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- end -}}

{{/* The first enabled entry of .Values.deployments (helm test's target), or an empty dict. */}}
{{- define "logad.firstDeployment" -}}
{{- $first := dict -}}
{{- range .Values.deployments -}}
{{- if and .enabled (not $first) -}}
{{- $first = . -}}
{{- end -}}
{{- end -}}
{{- toJson $first -}}
{{- end -}}

{{/* The pipelines' shared ReadWriteMany claim: the name the rendered WorkflowTemplates mount (volume_claim). */}}
{{- define "logad.dataClaim" -}}
logad-data
{{- end -}}

{{/* "true" when an enabled deployment asks for GPUs (they use the GPU ServingRuntime), else empty. */}}
{{- define "logad.anyGpu" -}}
{{- range .Values.deployments -}}
{{- if and .enabled (gt (int .predictor.gpus) 0) -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* Namespaces that get the (CPU) ServingRuntime: the release namespace, where the chart's InferenceServices are,
and every namespace the operator watches by name (a namespaced runtime serves only its own namespace). */}}
{{- define "logad.runtimeNamespaces" -}}
{{- $namespaces := list .Release.Namespace -}}
{{- if and .Values.operator.enabled (not .Values.operator.watchAllNamespaces) -}}
{{- $namespaces = concat $namespaces (include "logad.watchNamespaces" . | fromJsonArray) -}}
{{- end -}}
{{- toJson (uniq $namespaces) -}}
{{- end -}}
