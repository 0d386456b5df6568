{{/* The chart's name, overridable. */}}
{{- define "etcd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release's full name: the StatefulSet's name and the prefix of every object. Cut at 52
characters: a StatefulSet's pods carry a controller-revision-hash label "<name>-<10 chars>" that
must fit in 63.
*/}}
{{- define "etcd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The headless Service: the members' stable DNS names, <pod>.<this>.<namespace>.svc.<domain>. */}}
{{- define "etcd.headlessService" -}}
{{- printf "%s-headless" (include "etcd.fullname" .) -}}
{{- end -}}

{{/* The ConfigMap holding the cluster record (token, cluster ID, members) once the cluster forms. */}}
{{- define "etcd.clusterRecord" -}}
{{- printf "%s-cluster" (include "etcd.fullname" .) -}}
{{- end -}}

{{- define "etcd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "etcd.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "etcd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels: name and instance only, so they never change across upgrades (a StatefulSet's
selector is immutable).
*/}}
{{- define "etcd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "etcd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "etcd.labels" -}}
{{ include "etcd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: etcd
app.kubernetes.io/part-of: etcd-pilot
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "etcd.chart" . }}
{{- end -}}

{{- define "etcd.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{/* The URL scheme members use; https arrives with TLS support. */}}
{{- define "etcd.scheme" -}}
{{- if .Values.tls.enabled -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{/* A majority of the members: floor(replicas/2)+1. */}}
{{- define "etcd.quorum" -}}
{{- add1 (div (int .Values.replicas) 2) -}}
{{- end -}}

{{/*
Checks of what a schema cannot express. Included by every template that depends on them, so a
bad combination fails `helm install`/`helm template` with one clear line.
*/}}
{{- define "etcd.validate" -}}
{{- $ports := dict "clientPort" (int .Values.clientPort) "peerPorts" (int .Values.peerPorts) "pilotPort" (int .Values.pilotPort) -}}
{{- $names := list "clientPort" "peerPorts" "pilotPort" -}}
{{- range $i, $a := $names -}}
{{- range $j, $b := $names -}}
{{- if and (lt $i $j) (eq (get $ports $a) (get $ports $b)) -}}
{{- fail (printf "%s and %s are both %d: etcd's client port, etcd's peer port and etcd-pilot's port must differ" $a $b (get $ports $a)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.tls.enabled -}}
{{- fail "tls.enabled: TLS is not supported by this chart version yet; members use plain http inside the cluster (leave tls.enabled false)" -}}
{{- end -}}
{{- $managed := list "name" "data-dir" "listen-client-urls" "advertise-client-urls" "listen-peer-urls" "initial-advertise-peer-urls" "initial-cluster" "initial-cluster-state" "initial-cluster-token" -}}
{{- range .Values.extraArgs -}}
{{- $flag := regexReplaceAll "^-{1,2}([^=]*).*$" . "${1}" -}}
{{- if has $flag $managed -}}
{{- fail (printf "extraArgs: %s is set by etcd-pilot itself (it decides each member's name, URLs and cluster state); remove it" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod anti-affinity preset used when .Values.affinity is empty. */}}
{{- define "etcd.affinity" -}}
{{- if .Values.affinity -}}
{{- toYaml .Values.affinity -}}
{{- else if eq .Values.podAntiAffinityPreset "soft" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "etcd.selectorLabels" . | nindent 12 }}
{{- else if eq .Values.podAntiAffinityPreset "hard" -}}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "etcd.selectorLabels" . | nindent 10 }}
{{- end -}}
{{- end -}}
