{{/* Release-scoped base name, at most 63 characters. */}}
{{- define "gatehouse.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: (list $ "gateway") */}}
{{- define "gatehouse.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "gatehouse.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component: (list $ "gateway") */}}
{{- define "gatehouse.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* All labels of one component: (list $ "gateway") */}}
{{- define "gatehouse.labels" -}}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/version: {{ (index . 0).Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ (index . 0).Release.Service }}
helm.sh/chart: {{ printf "%s-%s" (index . 0).Chart.Name (index . 0).Chart.Version }}
{{- end -}}

{{/* image reference: (list $ .Values.gateway.image) */}}
{{- define "gatehouse.image" -}}
{{- $image := index . 1 -}}
{{- printf "%s:%s" $image.repository (default (index . 0).Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "gatehouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gatehouse.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "gatehouse.slackSecretName" -}}
{{- default (include "gatehouse.componentName" (list . "slack")) .Values.slack.existingSecret -}}
{{- end -}}

{{- define "gatehouse.gatewayTlsSecretName" -}}
{{- if eq .Values.gateway.tls.mode "secret" -}}
{{- required "gateway.tls.existingSecret is required when gateway.tls.mode is secret" .Values.gateway.tls.existingSecret -}}
{{- else -}}
{{- include "gatehouse.componentName" (list . "gateway-tls") -}}
{{- end -}}
{{- end -}}

{{/* Environment both apps share: where the config is, and which Redis to use. */}}
{{- define "gatehouse.commonEnv" -}}
- name: GATEHOUSE_CONFIG
  value: /etc/gatehouse/config/gatehouse.yaml
{{- if .Values.redis.urlSecret.name }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.urlSecret.name }}
      key: {{ .Values.redis.urlSecret.key }}
{{- else if .Values.redis.url }}
- name: REDIS_URL
  value: {{ .Values.redis.url | quote }}
{{- else if and .Values.redis.bundled.enabled (not (hasKey .Values.config.redis "sentinels")) }}
- name: REDIS_URL
  value: {{ printf "redis://%s:6379" (include "gatehouse.componentName" (list . "redis")) | quote }}
{{- end }}
{{- if .Values.redis.passwordSecret.name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.passwordSecret.name }}
      key: {{ .Values.redis.passwordSecret.key }}
{{- end }}
{{- range .Values.secretEnv }}
- name: {{ required "secretEnv[].name is required" .name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "secretEnv %s: secretName is required" .name) .secretName }}
      key: {{ required (printf "secretEnv %s: key is required" .name) .key }}
{{- end }}
{{- end -}}

{{/*
The variables the config names for secrets (redis.passwordEnv and sentinelPasswordEnv, audit webhook
sinks' hmacSecretEnv and headersFromEnv, telemetry.otlp.headersFromEnv): both apps use Redis and ship
audit and traces, so each must reach both pods, from secretEnv, from both apps' extraEnv, or (REDIS_PASSWORD)
from redis.passwordSecret. Missing, the apps would refuse to start; the chart says so first.
*/}}
{{- define "gatehouse.checkSecretEnv" -}}
{{- $config := .Values.config -}}
{{- $wanted := list -}}
{{- $redis := default dict (get $config "redis") -}}
{{- with get $redis "passwordEnv" }}{{ $wanted = append $wanted . }}{{ end -}}
{{- with get $redis "sentinelPasswordEnv" }}{{ $wanted = append $wanted . }}{{ end -}}
{{- range (default list (get (default dict (get $config "audit")) "sinks")) -}}
{{- if eq (toString (get . "type")) "webhook" -}}
{{- with get . "hmacSecretEnv" }}{{ $wanted = append $wanted . }}{{ end -}}
{{- range $header, $env := (default dict (get . "headersFromEnv")) }}{{ $wanted = append $wanted $env }}{{ end -}}
{{- end -}}
{{- end -}}
{{- $otlp := default dict (get (default dict (get $config "telemetry")) "otlp") -}}
{{- range $header, $env := (default dict (get $otlp "headersFromEnv")) }}{{ $wanted = append $wanted $env }}{{ end -}}
{{- $fromSecrets := list -}}
{{- if .Values.redis.passwordSecret.name }}{{ $fromSecrets = append $fromSecrets "REDIS_PASSWORD" }}{{ end -}}
{{- range .Values.secretEnv }}{{ $fromSecrets = append $fromSecrets .name }}{{ end -}}
{{- $gatewayEnv := list -}}
{{- range .Values.gateway.extraEnv }}{{ $gatewayEnv = append $gatewayEnv .name }}{{ end -}}
{{- $slackbotEnv := list -}}
{{- range .Values.slackbot.extraEnv }}{{ $slackbotEnv = append $slackbotEnv .name }}{{ end -}}
{{- range $wanted -}}
{{- if not (or (has . $fromSecrets) (and (has . $gatewayEnv) (has . $slackbotEnv))) -}}
{{- fail (printf "the config reads %s from the environment: add it to secretEnv ({ name: %s, secretName: <Secret>, key: <key> }), or to both gateway.extraEnv and slackbot.extraEnv" . .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Pod and container security settings shared by the apps (the images' `node` user is 1000). */}}
{{- define "gatehouse.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "gatehouse.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
gatehouse.yaml: .Values.config plus what depends on the pod layout (listen addresses,
TLS files, the data volume). Values given for those fields are overridden. With guardReleaseNamespace
(and a policy), the policy starts with two deny rules naming .Release.Namespace: a policy written
in values cannot know the namespace it is installed in.
*/}}
{{- define "gatehouse.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $gateway := default dict (get $config "gateway") -}}
{{- $_ := set $gateway "listen" "0.0.0.0:8443" -}}
{{- if not (get $gateway "publicUrl") -}}
{{- $_ := set $gateway "publicUrl" (printf "https://%s.%s.svc:%d" (include "gatehouse.componentName" (list . "gateway")) .Release.Namespace (int .Values.gateway.service.port)) -}}
{{- end -}}
{{- if eq .Values.gateway.tls.mode "self-signed" -}}
{{- $_ := set $gateway "tls" (dict "mode" "self-signed" "dir" "/var/lib/gatehouse/tls") -}}
{{- else -}}
{{- $_ := set $gateway "tls" (dict "mode" "files" "certFile" "/etc/gatehouse/tls/tls.crt" "keyFile" "/etc/gatehouse/tls/tls.key") -}}
{{- end -}}
{{- $_ := set $config "gateway" $gateway -}}
{{- if get $config "slack" -}}
{{- $_ := set (get $config "slack") "listen" "0.0.0.0:3000" -}}
{{- end -}}
{{- $audit := default dict (get $config "audit") -}}
{{- $_ := set $audit "recordingsDir" "/var/lib/gatehouse/recordings" -}}
{{- $_ := set $config "audit" $audit -}}
{{- $policy := get $config "policy" -}}
{{- if and .Values.guardReleaseNamespace $policy -}}
{{- $here := list .Release.Namespace -}}
{{- $handsOff := dict "name" "gatehouse-namespace-hands-off" "match" (dict "namespaces" $here "verbs" (list "create" "update" "patch" "delete" "deletecollection" "exec" "attach" "portforward" "proxy")) "deny" (dict "reason" "Gatehouse's own namespace (its Redis holds the approvals); change it through its deploy, not an agent") -}}
{{- $secrets := dict "name" "gatehouse-secrets" "match" (dict "namespaces" $here "resources" (list "secrets")) "deny" (dict "reason" "Gatehouse's secrets (Slack tokens, Redis) are never read by agents") -}}
{{- $_ := set $policy "rules" (concat (list $handsOff $secrets) (default list (get $policy "rules"))) -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/*
The Kubernetes users and groups the gateway impersonates, as {"users": [...], "groups": [...]}
(JSON), sorted and unique: each agent's identity (default user gatehouse:agent:<id>, groups
[gatehouse:agents], as @gatehouse/config fills them in) on every cluster that impersonates, or only
on rbac.forCluster when set. The gateway's RBAC allows exactly these names, nothing more.
*/}}
{{- define "gatehouse.impersonatedNames" -}}
{{- $users := list -}}
{{- $groups := list -}}
{{- range $cluster := .Values.config.clusters -}}
{{- $on := true -}}
{{- if hasKey $cluster "impersonate" }}{{ $on = $cluster.impersonate }}{{ end -}}
{{- if and $on (or (not $.Values.rbac.forCluster) (eq $.Values.rbac.forCluster $cluster.name)) -}}
{{- range $agent := $.Values.config.agents -}}
{{- $k := default dict (get $agent "kubernetes") -}}
{{- $user := default (printf "gatehouse:agent:%s" $agent.id) (get $k "user") -}}
{{- $agentGroups := list "gatehouse:agents" -}}
{{- if hasKey $k "groups" }}{{ $agentGroups = $k.groups }}{{ end -}}
{{- $override := default dict (get (default dict (get $k "clusters")) $cluster.name) -}}
{{- $user = default $user (get $override "user") -}}
{{- if hasKey $override "groups" }}{{ $agentGroups = $override.groups }}{{ end -}}
{{- $users = append $users $user -}}
{{- $groups = concat $groups $agentGroups -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- dict "users" ($users | uniq | sortAlpha) "groups" ($groups | uniq | sortAlpha) | toJson -}}
{{- end -}}
