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

{{/* ---- Pipelines (pipeline-*.yaml, workflowtemplates.yaml) ---- */}}

{{/* Namespaces that get the pipelines' WorkflowTemplates, ServiceAccount and data claim: those where LogDetectors
run their Workflows and InferenceServices, as for the ServingRuntime. */}}
{{- define "logad.pipelineNamespaces" -}}
{{- include "logad.runtimeNamespaces" . -}}
{{- end -}}

{{/* ``over`` merged into ``base`` key by key, nested maps merged rather than replaced (as ClusterSettings merges
pipeline.detectors.<name> over pipeline.training); call with (list base over). Returns JSON. */}}
{{- define "logad.mergeNested" -}}
{{- $merged := deepCopy (index . 0) -}}
{{- range $key, $value := index . 1 -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $merged $key)) -}}
{{- $_ := set $merged $key (include "logad.mergeNested" (list (get $merged $key) $value) | fromJson) -}}
{{- else -}}
{{- $_ := set $merged $key $value -}}
{{- end -}}
{{- end -}}
{{- toJson $merged -}}
{{- end -}}

{{/* A detector's training settings: pipeline.training with pipeline.detectors.<detector> over it; returns JSON. */}}
{{- define "logad.training" -}}
{{- $pipeline := .root.Values.pipeline -}}
{{- include "logad.mergeNested" (list $pipeline.training (get $pipeline.detectors .detector | default dict)) -}}
{{- end -}}

{{/* The WorkflowTemplate logad-train-<detector> for one namespace: files/workflowtemplates/<detector>.yaml (what
`logad pipeline render` wrote, read as data with fromYaml and never through tpl, so Argo's {{...}} tags pass
untouched) with this release's settings: namespace and labels, the trainer image, security context, pull secrets,
run deadline and pod GC, each step's resources, and for the steps labelled logad.io/training the detector's GPUs
(only where also labelled logad.io/gpus: the detector declares the stage able to use them), processes
(PET_NPROC_PER_NODE, read by torchrun), /dev/shm, runtime class (podSpecPatch), priority and placement;
the steps labelled logad.io/knowledge-base get Milvus. Call with (dict "root" $ "detector" "logllm" "namespace" "ns").
With the default values the result is the rendered file, in that namespace and with the chart's labels. */}}
{{- define "logad.workflowTemplate" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $pipeline := $values.pipeline -}}
{{- $path := printf "files/workflowtemplates/%s.yaml" .detector -}}
{{- $text := $root.Files.Get $path -}}
{{- if not $text -}}
{{- fail (printf "pipeline: %s is missing from the chart (copy pipelines/generated/%s.yaml)" $path .detector) -}}
{{- end -}}
{{- $template := $text | fromYaml -}}
{{- if or (hasKey $template "Error") (ne $template.kind "WorkflowTemplate") -}}
{{- fail (printf "pipeline: %s must hold one WorkflowTemplate (a multi-node render with a TrainingRuntime is applied beside the chart, not copied into it)" $path) -}}
{{- end -}}
{{- $_ := set $template.metadata "namespace" .namespace -}}
{{- $_ := set $template.metadata "labels" (merge (include "logad.labels" $root | fromYaml) (dict "app.kubernetes.io/component" "pipeline") $template.metadata.labels) -}}
{{- $spec := $template.spec -}}
{{- $_ := set $spec "securityContext" (include "logad.podSecurityContext" $root | fromYaml) -}}
{{- if $values.imagePullSecrets -}}
{{- $_ := set $spec "imagePullSecrets" (include "logad.imagePullSecrets" $root | fromYamlArray) -}}
{{- end -}}
{{- $_ := set $spec "activeDeadlineSeconds" (int $pipeline.activeDeadlineSeconds) -}}
{{- $_ := set $spec "podGC" (dict "strategy" $pipeline.podGC) -}}
{{- $training := include "logad.training" (dict "root" $root "detector" .detector) | fromJson -}}
{{- $milvusEnv := include "logad.milvusEnv" $root | fromYamlArray -}}
{{- /* A training step's podSpecPatch holds the run's resources as a bare Argo tag (not JSON until Argo substitutes
it): quoted while the patch is edited as JSON, bare again when written back. */ -}}
{{- $resourcesTag := "{{workflow.parameters.training_resources}}" -}}
{{- range $step := $spec.templates -}}
{{- with $step.container -}}
{{- $labels := $step.metadata.labels -}}
{{- $isTraining := eq (get $labels "logad.io/training" | default "") "true" -}}
{{- $_ := set . "image" (include "logad.image" $values.images.trainer) -}}
{{- $_ := set . "imagePullPolicy" $values.images.trainer.pullPolicy -}}
{{- $patch := $step.podSpecPatch | default "{}" | replace $resourcesTag (quote $resourcesTag) | fromJson -}}
{{- if not $pipeline.executorSecurityPatch -}}
{{- $main := list -}}
{{- range $patch.containers -}}
{{- if ne .name "wait" -}}
{{- $main = append $main . -}}
{{- end -}}
{{- end -}}
{{- $patch = omit $patch "initContainers" "containers" -}}
{{- if $main -}}
{{- $_ := set $patch "containers" $main -}}
{{- end -}}
{{- end -}}
{{- if $isTraining -}}
{{- $gpus := ternary (int $training.gpus) 0 (eq (get $labels "logad.io/gpus" | default "") "true") -}}
{{- $processes := $training.processesPerNode | default (max $gpus 1) | int -}}
{{- $resources := deepCopy $training.resources -}}
{{- if gt $gpus 0 -}}
{{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" (toString $gpus)) ($resources.limits | default dict)) -}}
{{- end -}}
{{- $_ := set . "resources" $resources -}}
{{- $env := list -}}
{{- range .env -}}
{{- $env = append $env (ternary (dict "name" .name "value" (toString $processes)) . (eq .name "PET_NPROC_PER_NODE")) -}}
{{- end -}}
{{- $_ := set . "env" $env -}}
{{- range $field, $value := dict "nodeSelector" $training.nodeSelector "tolerations" $training.tolerations "affinity" $training.affinity "priorityClassName" $training.priorityClassName -}}
{{- if $value -}}
{{- $_ := set $step $field $value -}}
{{- end -}}
{{- end -}}
{{- with $training.shmSize -}}
{{- $_ := set $step "volumes" (list (dict "name" "shm" "emptyDir" (dict "medium" "Memory" "sizeLimit" .))) -}}
{{- $_ := set $step.container "volumeMounts" (append $step.container.volumeMounts (dict "name" "shm" "mountPath" "/dev/shm")) -}}
{{- end -}}
{{- with $training.runtimeClassName -}}
{{- $_ := set $patch "runtimeClassName" . -}}
{{- end -}}
{{- else -}}
{{- $_ := set . "resources" (deepCopy $pipeline.steps.resources) -}}
{{- end -}}
{{- if and $milvusEnv (eq (get $labels "logad.io/knowledge-base" | default "") "true") -}}
{{- $_ := set . "env" (concat .env $milvusEnv) -}}
{{- end -}}
{{- if $patch -}}
{{- $_ := set $step "podSpecPatch" (toJson $patch | replace (quote $resourcesTag) $resourcesTag) -}}
{{- else -}}
{{- $_ := unset $step "podSpecPatch" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $template -}}
{{- end -}}

{{/* The model a deployment serves: its storageUri, unless a pipeline run has rolled a model out to the live
InferenceService (the logad.io/model-uri annotation the roll-out step sets) since storageUri last changed (the
logad.io/chart-storage-uri annotation the chart sets): then the live predictor's, so that `helm upgrade` neither
moves the model back nor splits predictor and transformer. Call with (dict "deployment" $d "live" $isvc), $isvc
from `lookup` (empty with `helm template`). */}}
{{- define "logad.servedStorageUri" -}}
{{- $annotations := dig "metadata" "annotations" dict .live -}}
{{- $chartUri := get $annotations "logad.io/chart-storage-uri" | default "" -}}
{{- if and (hasKey $annotations "logad.io/model-uri") (eq $chartUri .deployment.storageUri) -}}
{{- dig "spec" "predictor" "model" "storageUri" .deployment.storageUri .live -}}
{{- else -}}
{{- .deployment.storageUri -}}
{{- end -}}
{{- end -}}

{{/* ---- Serving operations, for the InferenceService template (inferenceservices.yaml) and the operator ---- */}}

{{/* Annotations of an InferenceService from serving.metrics: KServe adds Prometheus scrape annotations to its pods
(serving.kserve.io/enable-prometheus-scraping). Emits YAML map entries, or nothing. */}}
{{- define "logad.servingAnnotations" -}}
{{- if .Values.serving.metrics.prometheusScraping }}
serving.kserve.io/enable-prometheus-scraping: "true"
{{- end }}
{{- end -}}

{{/* KServe autoscaling fields of a component (predictor or transformer spec) from serving.autoscaling:
scaleMetric and scaleTarget when set. Emits YAML map entries, or nothing. */}}
{{- define "logad.componentAutoscaling" -}}
{{- with .Values.serving.autoscaling.scaleMetric }}
scaleMetric: {{ . }}
{{- end }}
{{- with .Values.serving.autoscaling.scaleTarget }}
scaleTarget: {{ . }}
{{- end }}
{{- end -}}
