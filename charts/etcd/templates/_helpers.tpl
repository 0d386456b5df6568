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

{{/*
The chart's own labels of an object (name may be overridden for the backup and test pods), in
a dict; commonLabels cannot name these keys (etcd.validate).
*/}}
{{- define "etcd.ownLabels" -}}
{{- $root := .root -}}
{{- dict "app.kubernetes.io/name" (.name | default (include "etcd.name" $root)) "app.kubernetes.io/instance" $root.Release.Name "app.kubernetes.io/version" ($root.Chart.AppVersion | toString) "app.kubernetes.io/component" .component "app.kubernetes.io/part-of" "etcd-pilot" "app.kubernetes.io/managed-by" $root.Release.Service "helm.sh/chart" (include "etcd.chart" $root) | toJson -}}
{{- end -}}

{{/* The label keys the chart sets itself: selectors, Services, the budget and tools rely on them. */}}
{{- define "etcd.chartLabelKeys" -}}
{{- keys (include "etcd.ownLabels" (dict "root" . "component" "etcd") | fromJson) | sortAlpha | toJson -}}
{{- end -}}

{{/* Labels (YAML) of the members' objects: the chart's, then commonLabels. */}}
{{- define "etcd.labels" -}}
{{- toYaml (merge (include "etcd.ownLabels" (dict "root" . "component" "etcd") | fromJson) (.Values.commonLabels | default dict)) -}}
{{- end -}}

{{/*
Labels of the backup CronJob, its pods and its volume: not the members' name, so no Service,
budget or agent ever counts a backup pod as a member.
*/}}
{{- define "etcd.backupLabels" -}}
{{- toYaml (merge (include "etcd.ownLabels" (dict "root" . "component" "backup" "name" (printf "%s-backup" (include "etcd.name" .))) | fromJson) (.Values.commonLabels | default dict)) -}}
{{- end -}}

{{/* Labels of the `helm test` pod: not the members' name either. */}}
{{- define "etcd.testLabels" -}}
{{- toYaml (merge (include "etcd.ownLabels" (dict "root" . "component" "test" "name" (printf "%s-test" (include "etcd.name" .))) | fromJson) (.Values.commonLabels | default dict)) -}}
{{- end -}}

{{/* The members' pod template labels: the members' labels, with podLabels over commonLabels. */}}
{{- define "etcd.podLabels" -}}
{{- toYaml (merge (dict) (.Values.podLabels | default dict) (include "etcd.labels" . | fromYaml)) -}}
{{- end -}}

{{/*
An object's `annotations:` block: its own (dict "own") and commonAnnotations, or nothing.
Takes (dict "root" $ "own" <dict>).
*/}}
{{- define "etcd.annotations" -}}
{{- $all := merge (dict) (.own | default dict) (.root.Values.commonAnnotations | default dict) -}}
{{- if $all -}}
annotations:
  {{- toYaml $all | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* The CronJob's name: Kubernetes allows 52 characters (its Jobs add 11). */}}
{{- define "etcd.backupCronJob" -}}
{{- printf "%s-backup" (include "etcd.fullname" . | trunc 45 | trimSuffix "-") -}}
{{- end -}}

{{/*
The etcd-pilot image: [registry/]repository, then @digest or :tag. The registry is
global.imageRegistry, else image.registry, else the one image.repository names (its first part
when that has a dot, a colon or is localhost, as in incubator/etcd's values); either of the
first two replaces the third.
*/}}
{{- define "etcd.image" -}}
{{- $image := .Values.image -}}
{{- $repository := $image.repository -}}
{{- $registry := "" -}}
{{- $parts := splitn "/" 2 $repository -}}
{{- if and (contains "/" $repository) (regexMatch "[.:]|^localhost$" $parts._0) -}}
{{- $registry = $parts._0 -}}
{{- $repository = $parts._1 -}}
{{- end -}}
{{- with ((.Values.global | default dict).imageRegistry | default $image.registry) -}}
{{- $registry = . -}}
{{- end -}}
{{- $name := $repository -}}
{{- if $registry -}}
{{- $name = printf "%s/%s" $registry $repository -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $name $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (include "etcd.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{/*
image.tag as text. A values file (or --set-json) gives a number as a float: a whole one is
written without exponent; a decimal is refused, its trailing zeros are already lost (3.10 is 3.1).
*/}}
{{- define "etcd.imageTag" -}}
{{- $tag := .Values.image.tag -}}
{{- if kindIs "float64" $tag -}}
{{- if ne (float64 (int64 $tag)) $tag -}}
{{- fail (printf "image.tag is the number %v: YAML read it as a decimal and dropped any trailing zero (3.10 becomes 3.1); quote it, e.g. image.tag: \"%v\"" $tag $tag) -}}
{{- end -}}
{{- printf "%d" (int64 $tag) -}}
{{- else if kindIs "invalid" $tag -}}
{{- .Chart.AppVersion -}}
{{- else -}}
{{- default .Chart.AppVersion (toString $tag) -}}
{{- end -}}
{{- end -}}

{{/* The imagePullSecrets of every pod: imagePullSecrets, then global.imagePullSecrets (names or {name}). */}}
{{- define "etcd.imagePullSecrets" -}}
{{- $names := list -}}
{{- range concat (.Values.imagePullSecrets | default list) ((.Values.global | default dict).imagePullSecrets | default list) -}}
{{- if kindIs "string" . -}}
{{- $names = append $names . -}}
{{- else if kindIs "map" . -}}
{{- $names = append $names (.name | default "") -}}
{{- end -}}
{{- end -}}
{{- $secrets := list -}}
{{- range $names | compact | uniq -}}
{{- $secrets = append $secrets (dict "name" .) -}}
{{- end -}}
{{- with $secrets -}}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
A claim's storageClassName line from its own class (.class): that, else global.defaultStorageClass
(or Bitnami's older global.storageClass); "-" means "" (no dynamic provisioning), empty means
the cluster's default (no line). Takes (dict "root" $ "class" <value>).
*/}}
{{- define "etcd.storageClassName" -}}
{{- $global := .root.Values.global | default dict -}}
{{- $class := .class | default $global.defaultStorageClass | default $global.storageClass | default "" -}}
{{- if eq $class "-" -}}
storageClassName: ""
{{- else if $class -}}
storageClassName: {{ $class | quote }}
{{- end -}}
{{- end -}}

{{/*
An incubator/etcd key (.old, text) standing in for this chart's (.new, whose default is
.default): the old one is used when it is set and the new one still has its default. Takes
(dict "old" <value or nil> "new" <value> "default" <value>).
*/}}
{{- define "etcd.aliased" -}}
{{- if and .old (eq (toString .new) (toString .default)) -}}
{{- .old -}}
{{- else -}}
{{- .new -}}
{{- end -}}
{{- end -}}

{{/* etcd's peer port: peerPorts, or incubator/etcd's peerPort while peerPorts has its default (2380). */}}
{{- define "etcd.peerPort" -}}
{{- if and (not (kindIs "invalid" .Values.peerPort)) (eq (int .Values.peerPorts) 2380) -}}
{{- int .Values.peerPort -}}
{{- else -}}
{{- int .Values.peerPorts -}}
{{- end -}}
{{- end -}}

{{/* Each member's volume size and class: storage and storageClass, or persistentVolume.*. */}}
{{- define "etcd.storage" -}}
{{- include "etcd.aliased" (dict "old" (.Values.persistentVolume | default dict).storage "new" .Values.storage "default" "1Gi") -}}
{{- end -}}
{{- define "etcd.storageClass" -}}
{{- include "etcd.aliased" (dict "old" (.Values.persistentVolume | default dict).storageClass "new" (.Values.storageClass | default "") "default" "") -}}
{{- end -}}

{{/* The port names etcd's DNS discovery looks up as SRV records (_etcd-client-ssl._tcp.<domain>, ...). */}}
{{- define "etcd.clientPortName" -}}
{{- if .Values.tls.enabled -}}etcd-client-ssl{{- else -}}etcd-client{{- end -}}
{{- end -}}
{{- define "etcd.peerPortName" -}}
{{- if .Values.tls.enabled -}}etcd-server-ssl{{- else -}}etcd-server{{- end -}}
{{- end -}}

{{/* The annotation recording the `replicas` value the chart last applied to the StatefulSet. */}}
{{- define "etcd.replicasAnnotation" -}}etcd-pilot.io/chart-replicas{{- end -}}

{{/* The live StatefulSet (JSON), {} when there is none or no cluster (helm template). */}}
{{- define "etcd.liveStatefulSet" -}}
{{- lookup "apps/v1" "StatefulSet" .Release.Namespace (include "etcd.fullname" .) | toJson -}}
{{- end -}}

{{/*
The member count to render (JSON: replicas, kept), one truth for `kubectl scale` and
`helm upgrade`: the StatefulSet records the `replicas` value applied in etcd.replicasAnnotation.
While the value is the one recorded, the count the StatefulSet runs is kept (a kubectl scale
stays; Helm 4's server-side apply sees no change to conflict over); a changed value is applied.
A StatefulSet without the record whose count differs from the value is refused: Helm cannot
tell a kubectl scale from a change, and guessing wrong removes members.
*/}}
{{- define "etcd.replicas" -}}
{{- $value := int .Values.replicas -}}
{{- $result := dict "replicas" $value "kept" false -}}
{{- $live := include "etcd.liveStatefulSet" . | fromJson -}}
{{- if $live -}}
{{- $name := printf "%s/%s" .Release.Namespace (include "etcd.fullname" .) -}}
{{- $key := include "etcd.replicasAnnotation" . -}}
{{- $running := int (dig "spec" "replicas" 1 $live) -}}
{{- $annotations := dig "metadata" "annotations" (dict) $live -}}
{{- if hasKey $annotations $key -}}
{{- $recorded := get $annotations $key | toString -}}
{{- if not (regexMatch "^[0-9]+$" $recorded) -}}
{{- fail (printf "%s on StatefulSet %s is %q, not a count: set it to the replicas value last applied (kubectl annotate statefulset -n %s %s %s=<n> --overwrite) or remove it" $key $name $recorded .Release.Namespace (include "etcd.fullname" .) $key) -}}
{{- end -}}
{{- if eq (atoi $recorded) $value -}}
{{- $_ := set $result "replicas" $running -}}
{{- $_ := set $result "kept" (ne $running $value) -}}
{{- end -}}
{{- else if ne $running $value -}}
{{- fail (printf "replicas is %d but StatefulSet %s runs %d and has no %s record (an older chart version made it), so Helm cannot tell a kubectl scale from a change of replicas: upgrade once with --set replicas=%d, then change replicas or kubectl scale freely" $value $name $running $key $running) -}}
{{- end -}}
{{- end -}}
{{- toJson $result -}}
{{- end -}}

{{/*
Defaults of the settings added in chart 0.2.0, the same as values.yaml's: `helm upgrade
--reuse-values` renders with the old release's chart defaults, which lack these keys.
*/}}
{{- define "etcd.addedDefaults" -}}
startupProbe: {enabled: true, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60}
livenessProbe: {enabled: true, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6}
readinessProbe: {initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1}
service: {type: ClusterIP, annotations: {}, loadBalancerSourceRanges: []}
consistencyCheck: {action: replace}
tmpSizeLimit: 3Gi
absentPodTimeout: 2m
maxUnavailable: 1
quota: ""
compaction: {mode: periodic, retention: 1h}
corruptionChecks: true
defrag: {enabled: true, freePercent: 50, minFree: 64Mi, quotaPercent: 80}
{{- end -}}

{{/*
The setting .key as JSON {"value": ...}: the given value, with etcd.addedDefaults filling what
it lacks (key by key, so a false or 0 that was given stays). Takes (dict "key" <name> "value"
<the value in .Values>).
*/}}
{{- define "etcd.setting" -}}
{{- $default := get (include "etcd.addedDefaults" . | fromYaml) .key -}}
{{- $value := .value -}}
{{- if kindIs "map" $default -}}
{{- $value = deepCopy (.value | default dict) -}}
{{- range $key, $fallback := $default -}}
{{- if not (hasKey $value $key) -}}
{{- $_ := set $value $key $fallback -}}
{{- end -}}
{{- end -}}
{{- else if kindIs "invalid" $value -}}
{{- $value = $default -}}
{{- end -}}
{{- toJson (dict "value" $value) -}}
{{- end -}}

{{/*
A Kubernetes quantity in bytes, as an integer: takes (dict "key" <the value's name> "value"
<the quantity>) and fails in one line naming the value when it is no size.
*/}}
{{- define "etcd.bytes" -}}
{{- $text := toString .value -}}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$" $text) -}}
{{- fail (printf "%s %q is not a size: give bytes or a quantity such as 2Gi or 512Mi" .key $text) -}}
{{- end -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $text -}}
{{- $multipliers := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 -}}
{{- printf "%.0f" (mulf (float64 $number) (get $multipliers (trimPrefix $number $text))) -}}
{{- end -}}

{{/*
etcd's backend quota in bytes: the value quota, or (storage - 384Mi) / 2 capped at 8Gi. The
volume holds the database at its quota, a defragmentation's full copy beside it, and the WAL
(five 64 MiB segments) with a margin: 2 x quota + 384Mi. Fails in one line when it cannot.
*/}}
{{- define "etcd.quotaBytes" -}}
{{- $mi := 1048576.0 -}}
{{- $storage := include "etcd.bytes" (dict "key" "storage" "value" (include "etcd.storage" .)) | float64 -}}
{{- $room := divf (subf $storage (mulf 384 $mi)) 2 -}}
{{- $quota := (include "etcd.setting" (dict "key" "quota" "value" .Values.quota) | fromJson).value | toString -}}
{{- if $quota -}}
{{- $bytes := include "etcd.bytes" (dict "key" "quota" "value" $quota) | float64 -}}
{{- if lt $bytes (mulf 16 $mi) -}}
{{- fail (printf "quota %s is below 16Mi: etcd would raise NOSPACE almost at once; give 16Mi or more, or an empty quota to follow storage" $quota) -}}
{{- end -}}
{{- if gt $bytes $room -}}
{{- fail (printf "quota %s does not fit storage %s: the volume must hold the database at its quota, a defragmentation's copy of it and the WAL (2 x quota + 384Mi = %.0fMi); raise storage to %.0fMi or lower quota" $quota (include "etcd.storage" .) (addf (divf (mulf 2 $bytes) $mi) 384) (ceil (addf (divf (mulf 2 $bytes) $mi) 384))) -}}
{{- end -}}
{{- printf "%.0f" $bytes -}}
{{- else -}}
{{- if lt $room (mulf 16 $mi) -}}
{{- fail (printf "storage %s is too small for etcd: the volume must hold a 16Mi database, a defragmentation's copy of it and the WAL (416Mi); give storage 416Mi or more" (include "etcd.storage" .)) -}}
{{- end -}}
{{- $cap := mulf 8192 $mi -}}
{{- if gt $room $cap -}}{{- $room = $cap -}}{{- end -}}
{{- printf "%.0f" (floor $room) -}}
{{- end -}}
{{- end -}}

{{/* compaction as {"mode": ..., "retention": ...}, checked; mode "" is off. */}}
{{- define "etcd.compaction" -}}
{{- $compaction := (include "etcd.setting" (dict "key" "compaction" "value" .Values.compaction) | fromJson).value -}}
{{- $retention := toString $compaction.retention -}}
{{- if and (eq $compaction.mode "revision") (not (regexMatch "^[1-9][0-9]*$" $retention)) -}}
{{- fail (printf "compaction.retention %q is not a revision count for revision compaction: give a number such as 10000" $retention) -}}
{{- end -}}
{{- if and (eq $compaction.mode "periodic") (not (regexMatch "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$|^[0-9]+$" $retention)) -}}
{{- fail (printf "compaction.retention %q is not a duration for periodic compaction: give one such as 1h or 30m" $retention) -}}
{{- end -}}
{{- toJson (dict "mode" $compaction.mode "retention" $retention) -}}
{{- end -}}

{{/* consistencyCheck.action: replace (the default) or report. */}}
{{- define "etcd.consistencyCheckAction" -}}
{{- (include "etcd.setting" (dict "key" "consistencyCheck" "value" .Values.consistencyCheck) | fromJson).value.action -}}
{{- end -}}

{{/* The URL scheme of the client and peer URLs. */}}
{{- define "etcd.scheme" -}}
{{- if .Values.tls.enabled -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{/*
Where the members' certificates come from: "" (TLS off), "ca" (each agent issues its own from a
CA Secret, generated by the chart or tls.ca.existingSecret) or "certManager" (one Certificate for
all members, renewed by cert-manager).
*/}}
{{- define "etcd.tlsMode" -}}
{{- if .Values.tls.enabled -}}
{{- if .Values.tls.certManager.enabled -}}certManager{{- else -}}ca{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The Secret of the clients' CA in "ca" mode: ca.crt and ca.key of the CA etcd trusts for client
certificates, apart from the members' CA, and tls.crt and tls.key of the client certificate the
agents, helm test and the backups present (CN etcd-pilot, no etcd user). Pods mount only
ca.crt, tls.crt and tls.key: none holds a key that can make a client identity etcd accepts.
*/}}
{{- define "etcd.clientsSecret" -}}
{{- printf "%s-clients" (include "etcd.fullname" .) -}}
{{- end -}}

{{/*
How etcd trusts client certificates in "ca" mode: "apart" (the clients' CA of
etcd.clientsSecret) for a new release; a live release keeps what it runs, and one that chart
0.2.0 made runs "shared" (the members' CA for clients too): changing it under running members
would cut updated and not yet updated pods off from each other during the rollout.
*/}}
{{- define "etcd.clientTrust" -}}
{{- if eq (include "etcd.tlsMode" .) "ca" -}}
{{- $live := include "etcd.liveStatefulSet" . | fromJson -}}
{{- $running := dict -}}
{{- if $live -}}
{{- $running = include "etcd.liveMemberSettings" (dict "root" . "live" $live) | fromJson -}}
{{- end -}}
{{- if and (eq (toString (get $running "tls")) "ca") (hasKey $running "clientTrust") -}}
{{- get $running "clientTrust" -}}
{{- else -}}
apart
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The CA Secret of "ca" mode (keys ca.crt and ca.key). */}}
{{- define "etcd.caSecret" -}}
{{- default (printf "%s-ca" (include "etcd.fullname" .)) .Values.tls.ca.existingSecret -}}
{{- end -}}

{{/* The Secret cert-manager writes the members' Certificate into (tls.crt, tls.key, ca.crt). */}}
{{- define "etcd.certManagerSecret" -}}
{{- printf "%s-tls" (include "etcd.fullname" .) -}}
{{- end -}}

{{/* The Secret holding etcd's root password (key root-password). */}}
{{- define "etcd.authSecret" -}}
{{- default (printf "%s-auth" (include "etcd.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* The client Service's DNS names, from the short name to the fully qualified one (JSON list). */}}
{{- define "etcd.clientServiceNames" -}}
{{- $service := include "etcd.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $service (printf "%s.%s" $service $ns) (printf "%s.%s.svc" $service $ns) (printf "%s.%s.svc.%s" $service $ns .Values.clusterDomain) | toJson -}}
{{- end -}}

{{/*
The TLS files a client inside a member pod uses (JSON object: cacert, cert, key): the member's
own certificate, which the agent writes below its data dir or cert-manager provides.
*/}}
{{- define "etcd.memberClientFiles" -}}
{{- $mode := include "etcd.tlsMode" . -}}
{{- if and (eq $mode "ca") (eq (include "etcd.clientTrust" .) "apart") -}}
{{- dict "cacert" "/var/run/etcd/tls/ca.crt" "cert" "/etc/etcd-pilot/clients/tls.crt" "key" "/etc/etcd-pilot/clients/tls.key" | toJson -}}
{{- else if eq $mode "ca" -}}
{{- dict "cacert" "/var/run/etcd/tls/ca.crt" "cert" "/var/run/etcd/tls/member.crt" "key" "/var/run/etcd/tls/member.key" | toJson -}}
{{- else if eq $mode "certManager" -}}
{{- dict "cacert" "/etc/etcd-pilot/tls/ca.crt" "cert" "/etc/etcd-pilot/tls/tls.crt" "key" "/etc/etcd-pilot/tls/tls.key" | toJson -}}
{{- else -}}
{{- dict | toJson -}}
{{- end -}}
{{- end -}}

{{/*
Why etcd-pilot refuses the etcd flag .flag (its name without dashes) from the user, or nothing:
flags it sets itself, flags that would re-form or replace the cluster, and the TLS flags while
it manages TLS. Takes (dict "root" $ "flag" <name>). The pilot refuses the same at start.
*/}}
{{- define "etcd.refusedFlag" -}}
{{- $flag := .flag -}}
{{- $owned := "is set by etcd-pilot itself (it names each member after its pod, derives its URLs from the pod, the ports and tls.*, and decides how it starts: bootstrap, join as a learner, re-join)" -}}
{{- $reasons := dict
  "name" $owned "data-dir" $owned
  "listen-client-urls" $owned "listen-client-http-urls" $owned "listen-peer-urls" $owned
  "advertise-client-urls" $owned "initial-advertise-peer-urls" $owned
  "initial-cluster" $owned "initial-cluster-state" $owned "initial-cluster-token" $owned
  "wal-dir" "is refused: etcd-pilot reads the WAL in the data directory to decide recoveries and moves that directory aside as one"
  "force-new-cluster" "is refused: every member would form a cluster of its own on every start (etcd-pilot passes it only for the one recovery that needs it)"
  "enable-v2" "is refused: the v2 API is not part of what etcd-pilot manages, and etcd 3.6 removed it"
  "config-file" "is refused: a config file replaces every flag etcd-pilot sets"
  "logger" "is set by etcd-pilot itself (it reads etcd's log from stderr, which kubectl logs shows)"
  "log-outputs" "is set by etcd-pilot itself (it reads etcd's log from stderr, which kubectl logs shows)"
  "quota-backend-bytes" "is set from the value quota (which follows storage unless given)"
  "auto-compaction-mode" "is set from the value compaction.mode"
  "auto-compaction-retention" "is set from the value compaction.retention"
  "experimental-initial-corrupt-check" "is set from the value corruptionChecks"
  "experimental-compact-hash-check-enabled" "is set from the value corruptionChecks"
-}}
{{- $tlsFlags := list "cert-file" "key-file" "trusted-ca-file" "client-cert-auth" "auto-tls" "client-cert-file" "client-key-file" "peer-cert-file" "peer-key-file" "peer-trusted-ca-file" "peer-client-cert-auth" "peer-auto-tls" "peer-client-cert-file" "peer-client-key-file" -}}
{{- if hasKey $reasons $flag -}}
{{- get $reasons $flag -}}
{{- else if hasPrefix "discovery" $flag -}}
is refused: etcd-pilot forms the cluster itself, and a discovery service would form another
{{- else if and .root.Values.tls.enabled (has $flag $tlsFlags) -}}
is set by etcd-pilot itself when tls.enabled is true (it runs etcd with the member's certificate, client and peer TLS and client-certificate auth)
{{- end -}}
{{- end -}}

{{/*
Checks of what a schema cannot express. Included by every template that depends on them, so a
bad combination fails `helm install`/`helm template` with one clear line.
*/}}
{{- define "etcd.validate" -}}
{{- $ports := dict "clientPort" (int .Values.clientPort) "peerPorts" (int (include "etcd.peerPort" .)) "pilotPort" (int .Values.pilotPort) -}}
{{- $names := list "clientPort" "peerPorts" "pilotPort" -}}
{{- range $i, $a := $names -}}
{{- range $j, $b := $names -}}
{{- if and (lt $i $j) (eq (get $ports $a) (get $ports $b)) -}}
{{- fail (printf "%s and %s are both %d: etcd's client port, etcd's peer port and etcd-pilot's port must differ" $a $b (get $ports $a)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.tls.enabled -}}
{{- if and .Values.tls.certManager.enabled .Values.tls.ca.existingSecret -}}
{{- fail "tls.ca.existingSecret and tls.certManager.enabled both say where the certificates come from: set only one (a CA Secret the agents issue from, or a cert-manager Certificate)" -}}
{{- end -}}
{{- if and .Values.tls.certManager.enabled (not .Values.tls.certManager.issuerRef.name) -}}
{{- fail "tls.certManager.issuerRef.name is required with tls.certManager.enabled: name the cert-manager Issuer or ClusterIssuer (tls.certManager.issuerRef.kind) that signs the members' certificate" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.auth.enabled (not .Values.tls.enabled) -}}
{{- fail "auth.enabled needs tls.enabled: the root password would cross the network in plain http; set tls.enabled=true or auth.enabled=false" -}}
{{- end -}}
{{- include "etcd.validateIncubatorValues" . -}}
{{- include "etcd.validateImage" . -}}
{{- range .Values.extraArgs -}}
{{- $arg := trim (toString .) -}}
{{- if hasPrefix "-" $arg -}}
{{- $flag := regexReplaceAll "^-{1,2}([^=\\s]*)(?s:.*)$" $arg "${1}" -}}
{{- with include "etcd.refusedFlag" (dict "root" $ "flag" $flag) -}}
{{- fail (printf "extraArgs: %s %s; remove it%s" $arg . (ternary " and use tls.*" "" (contains "tls.enabled" .))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraEnv -}}
{{- $name := .name | default "" -}}
{{- if hasPrefix "ETCD_" $name -}}
{{- $flag := $name | trimPrefix "ETCD_" | lower | replace "_" "-" -}}
{{- with include "etcd.refusedFlag" (dict "root" $ "flag" $flag) -}}
{{- fail (printf "extraEnv: %s is etcd's --%s (etcd reads ETCD_* variables as flags), which %s; remove it" $name $flag .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- include "etcd.validateConventions" . -}}
{{- end -}}

{{/* commonLabels, podLabels, commonAnnotations, extra volumes and containers, the Service: no collision with the chart's own. */}}
{{- define "etcd.validateConventions" -}}
{{- $chartKeys := include "etcd.chartLabelKeys" . | fromJsonArray -}}
{{- range $value := list "commonLabels" "podLabels" -}}
{{- range $key, $_ := (get $.Values $value | default dict) -}}
{{- if has $key $chartKeys -}}
{{- fail (printf "%s: %s is a label the chart sets (the members' selectors, Services and tools rely on it); use another key" $value $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $key, $_ := (.Values.commonAnnotations | default dict) -}}
{{- if or (has $key (list "helm.sh/hook" "helm.sh/hook-weight" "helm.sh/hook-delete-policy" "helm.sh/resource-policy")) (hasPrefix "checkov.io/skip" $key) (hasPrefix "etcd-pilot.io/" $key) -}}
{{- fail (printf "commonAnnotations: %s is an annotation the chart sets (hooks, kept Secrets, policy-scan reasons, the replicas record); use another key" $key) -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraVolumes -}}
{{- if has .name (list "data" "tmp" "ca" "tls" "auth") -}}
{{- fail (printf "extraVolumes: %s is a volume the chart mounts (data, tmp, ca, tls and auth are its own); name it differently" .name) -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraVolumeMounts -}}
{{- $path := .mountPath -}}
{{- range $own := list "/var/run/etcd" "/tmp" "/etc/etcd-pilot" -}}
{{- if or (eq (trimSuffix "/" $path) $own) (hasPrefix (printf "%s/" $own) $path) -}}
{{- fail (printf "extraVolumeMounts: %s is inside %s, where the chart mounts its own volume; mount it elsewhere" $path $own) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $value := list "initContainers" "sidecars" -}}
{{- range (get $.Values $value | default list) -}}
{{- if eq .name "etcd" -}}
{{- fail (printf "%s: etcd is the chart's container (etcd-pilot running etcd); name yours differently" $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $service := (include "etcd.setting" (dict "key" "service" "value" .Values.service) | fromJson).value -}}
{{- if and $service.loadBalancerSourceRanges (ne $service.type "LoadBalancer") -}}
{{- fail (printf "service.loadBalancerSourceRanges applies to service.type LoadBalancer only (it is %s): set service.type=LoadBalancer or remove the ranges" $service.type) -}}
{{- end -}}
{{- if and $service.nodePort (eq $service.type "ClusterIP") -}}
{{- fail "service.nodePort needs service.type NodePort or LoadBalancer: set service.type or remove service.nodePort" -}}
{{- end -}}
{{- end -}}

{{/* The image: a digest given once, not etcd's own image (it has no etcd-pilot to run). */}}
{{- define "etcd.validateImage" -}}
{{- $image := .Values.image -}}
{{- if and $image.digest (contains "@" (toString $image.tag)) -}}
{{- fail (printf "image.tag already carries a digest (%s) and image.digest is %s: set the digest once, in image.digest" $image.tag $image.digest) -}}
{{- end -}}
{{- if regexMatch "^((docker\\.io/)?bitnami/etcd|(k8s\\.gcr\\.io|registry\\.k8s\\.io|gcr\\.io/google[-_]containers)/etcd(-amd64|-arm64)?|quay\\.io/coreos/etcd|gcr\\.io/etcd-development/etcd)$" $image.repository -}}
{{- fail (printf "image.repository %s is etcd's own image, which has no etcd-pilot to run: this chart's image (ghcr.io/etcd-pilot/etcd-pilot) carries etcd, etcdctl and etcdutl; remove image.repository and image.tag" $image.repository) -}}
{{- end -}}
{{- include "etcd.imageTag" . | trunc 0 -}}
{{- end -}}

{{/*
The incubator/etcd chart's keys: what cannot carry over is refused, an old key and its new
name that disagree are refused; the rest are aliases (see etcd.deprecatedValues for NOTES).
*/}}
{{- define "etcd.validateIncubatorValues" -}}
{{- if and (not (kindIs "invalid" .Values.peerPort)) (ne (int .Values.peerPorts) 2380) (ne (int .Values.peerPort) (int .Values.peerPorts)) -}}
{{- fail (printf "peerPort (%d) and peerPorts (%d) disagree: peerPort is incubator/etcd's name for peerPorts; set only peerPorts" (int .Values.peerPort) (int .Values.peerPorts)) -}}
{{- end -}}
{{- $volume := .Values.persistentVolume | default dict -}}
{{- range $key, $default := dict "storage" "1Gi" "storageClass" "" -}}
{{- $old := toString (get $volume $key | default "") -}}
{{- $new := toString (get $.Values $key | default "") -}}
{{- if and $old (ne $new $default) (ne $new $old) -}}
{{- fail (printf "persistentVolume.%s (%s) and %s (%s) disagree: persistentVolume.%s is incubator/etcd's name for %s; set only %s" $key $old $key $new $key $key $key) -}}
{{- end -}}
{{- end -}}
{{- $auth := .Values.auth -}}
{{- $client := $auth.client | default dict -}}
{{- $peer := $auth.peer | default dict -}}
{{- if $client.existingSecret -}}
{{- fail "auth.client.existingSecret: this chart does not use a fixed certificate Secret (cert.pem, key.pem, ca.crt): give it the CA that signs the members' certificates (tls.ca.existingSecret with ca.crt and ca.key) or use tls.certManager; remove auth.client.existingSecret" -}}
{{- end -}}
{{- if not .Values.tls.enabled -}}
{{- range $key, $on := dict "auth.client.secureTransport" $client.secureTransport "auth.client.enableAuthentication" $client.enableAuthentication "auth.peer.secureTransport" $peer.secureTransport "auth.peer.enableAuthentication" $peer.enableAuthentication "auth.peer.useAutoTLS" $peer.useAutoTLS -}}
{{- if $on -}}
{{- fail (printf "%s asks for TLS but tls.enabled is false: set tls.enabled=true (client and peer TLS from the chart's CA) or remove %s" $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* NOTES lines (JSON list) for each incubator/etcd key in the values: what to rename or remove. */}}
{{- define "etcd.deprecatedValues" -}}
{{- $lines := list -}}
{{- if not (kindIs "invalid" .Values.peerPort) -}}
{{- $lines = append $lines (printf "peerPort: rename it to peerPorts (%s is used)" (include "etcd.peerPort" .)) -}}
{{- end -}}
{{- if hasKey .Values "component" -}}
{{- $lines = append $lines "component: not used (the members are labelled app.kubernetes.io/component: etcd); remove it" -}}
{{- end -}}
{{- $volume := .Values.persistentVolume | default dict -}}
{{- if hasKey $volume "enabled" -}}
{{- $lines = append $lines "persistentVolume.enabled: not used: every member keeps its data on a PersistentVolumeClaim of its own (storage, storageClass); remove it" -}}
{{- end -}}
{{- if hasKey $volume "storage" -}}
{{- $lines = append $lines (printf "persistentVolume.storage: rename it to storage (%s is used)" (include "etcd.storage" .)) -}}
{{- end -}}
{{- if hasKey $volume "storageClass" -}}
{{- $lines = append $lines (printf "persistentVolume.storageClass: rename it to storageClass (%s is used)" (include "etcd.storageClass" . | default "the cluster's default")) -}}
{{- end -}}
{{- if hasKey .Values "memoryMode" -}}
{{- $lines = append $lines "memoryMode: not used: etcd's data is on the member's volume claim, never in memory only; remove it" -}}
{{- end -}}
{{- $client := .Values.auth.client | default dict -}}
{{- $peer := .Values.auth.peer | default dict -}}
{{- $groups := list
  (list "secureTransport" "replaced by tls.enabled (client and peer TLS together, on by default here; tls.enabled=false turns it off)")
  (list "enableAuthentication" "not used: with TLS on, the members always require a client certificate from their CA") -}}
{{- range $groups -}}
{{- $field := first . -}}
{{- $keys := list -}}
{{- if hasKey $client $field -}}{{- $keys = append $keys (printf "auth.client.%s" $field) -}}{{- end -}}
{{- if hasKey $peer $field -}}{{- $keys = append $keys (printf "auth.peer.%s" $field) -}}{{- end -}}
{{- if $keys -}}
{{- $lines = append $lines (printf "%s: %s; remove %s" (join ", " $keys) (last .) (ternary "them" "it" (gt (len $keys) 1))) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $peer "useAutoTLS" -}}
{{- $lines = append $lines "auth.peer.useAutoTLS: not used: peers use certificates from the chart's CA (tls.*), not etcd's self-signed ones; remove it" -}}
{{- end -}}
{{- toJson $lines -}}
{{- end -}}

{{/*
The pod affinity: `affinity` as given, with the podAntiAffinityPreset's podAntiAffinity added
unless `affinity` has a podAntiAffinity of its own (node affinity alone keeps the preset).
*/}}
{{- define "etcd.affinity" -}}
{{- $affinity := deepCopy (.Values.affinity | default dict) -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "etcd.selectorLabels" . | fromYaml)) -}}
{{- if not (hasKey $affinity "podAntiAffinity") -}}
{{- if eq .Values.podAntiAffinityPreset "soft" -}}
{{- $_ := set $affinity "podAntiAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 100 "podAffinityTerm" $term))) -}}
{{- else if eq .Values.podAntiAffinityPreset "hard" -}}
{{- $_ := set $affinity "podAntiAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (list $term)) -}}
{{- end -}}
{{- end -}}
{{- with $affinity -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/*
A probe on the pilot's port at .path, with the timings of .probe (a *Probe value); HTTPS when
.tls (the pilot's port speaks TLS with the cluster; a kubelet's probe checks no certificate).
*/}}
{{- define "etcd.probe" -}}
httpGet:
  path: {{ .path }}
  port: pilot
  {{- if .tls }}
  scheme: HTTPS
  {{- end }}
{{- with .probe.initialDelaySeconds }}
initialDelaySeconds: {{ int . }}
{{- end }}
periodSeconds: {{ int .probe.periodSeconds }}
timeoutSeconds: {{ int .probe.timeoutSeconds }}
failureThreshold: {{ int .probe.failureThreshold }}
{{- if and .probe.successThreshold (ne (int .probe.successThreshold) 1) }}
successThreshold: {{ int .probe.successThreshold }}
{{- end }}
{{- end -}}

{{/*
Shell lines that give a client pod (helm test, backups) its credentials: with TLS a client
certificate (the clients' CA's of etcd.clientsSecret; on a release that shares one CA, issued
here into /tmp/tls from the CA Secret; or cert-manager's) as etcdctl flags
in "$@", with auth ETCDCTL_USER and ETCDCTL_PASSWORD. Takes (dict "root" $ "name" <client name>).
*/}}
{{- define "etcd.clientCredentialsScript" -}}
{{- $tls := include "etcd.tlsMode" .root -}}
{{- if and (eq $tls "ca") (eq (include "etcd.clientTrust" .root) "apart") }}
set -- --cacert=/etc/etcd-pilot/ca/ca.crt --cert=/etc/etcd-pilot/clients/tls.crt --key=/etc/etcd-pilot/clients/tls.key
{{- else if eq $tls "ca" }}
etcd-pilot certs client {{ .name }} --ca-dir /etc/etcd-pilot/ca --out /tmp/tls --force
set -- --cacert=/etc/etcd-pilot/ca/ca.crt --cert=/tmp/tls/{{ .name }}.crt --key=/tmp/tls/{{ .name }}.key
{{- else if eq $tls "certManager" }}
set -- --cacert=/etc/etcd-pilot/tls/ca.crt --cert=/etc/etcd-pilot/tls/tls.crt --key=/etc/etcd-pilot/tls/tls.key
{{- end }}
{{- if .root.Values.auth.enabled }}
# etcdctl and etcd-pilot read the user and password from the environment.
ETCDCTL_USER=root
ETCDCTL_PASSWORD=$(cat /etc/etcd-pilot/auth/root-password)
export ETCDCTL_USER ETCDCTL_PASSWORD
{{- end }}
{{- end -}}

{{/* The volume mounts of a client pod: /tmp in memory, the CA or cert-manager's files, the root password. */}}
{{- define "etcd.clientCredentialMounts" -}}
{{- $tls := include "etcd.tlsMode" . -}}
- name: tmp
  mountPath: /tmp
{{- if eq $tls "ca" }}
- name: ca
  mountPath: /etc/etcd-pilot/ca
  readOnly: true
{{- if eq (include "etcd.clientTrust" .) "apart" }}
- name: clients
  mountPath: /etc/etcd-pilot/clients
  readOnly: true
{{- end }}
{{- else if eq $tls "certManager" }}
- name: tls
  mountPath: /etc/etcd-pilot/tls
  readOnly: true
{{- end }}
{{- if .Values.auth.enabled }}
- name: auth
  mountPath: /etc/etcd-pilot/auth
  readOnly: true
{{- end }}
{{- end -}}

{{/* The volumes behind etcd.clientCredentialMounts. */}}
{{- define "etcd.clientCredentialVolumes" -}}
{{- $tls := include "etcd.tlsMode" . -}}
# The root filesystem is read-only; the client certificate is written to memory only.
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 4Mi
{{- if and (eq $tls "ca") (eq (include "etcd.clientTrust" .) "apart") }}
# The members' CA certificate (to check the servers; not its key) and the clients' certificate.
- name: ca
  secret:
    secretName: {{ include "etcd.caSecret" . }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
    items:
      - key: ca.crt
        path: ca.crt
{{- include "etcd.clientsVolume" . }}
{{- else if eq $tls "ca" }}
- name: ca
  secret:
    secretName: {{ include "etcd.caSecret" . }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
    items:
      - key: ca.crt
        path: ca.crt
      - key: ca.key
        path: ca.key
{{- else if eq $tls "certManager" }}
- name: tls
  secret:
    secretName: {{ include "etcd.certManagerSecret" . }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- if .Values.auth.enabled }}
- name: auth
  secret:
    secretName: {{ include "etcd.authSecret" . }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
    items:
      - key: root-password
        path: root-password
{{- end }}
{{- end -}}

{{/* The annotation recording the settings the members' peer URLs, trust and auth follow. */}}
{{- define "etcd.memberSettingsAnnotation" -}}etcd-pilot.io/member-settings{{- end -}}

{{/*
The settings a formed cluster's members are built on (JSON, string values): TLS and its CA
source fix the members' peer URLs' scheme and whom they trust, peerPorts and clusterDomain the
peer URLs themselves (stored in etcd's member list), auth the credentials of every agent's
membership call. None can change on a live release (etcd.checkMemberSettings).
*/}}
{{- define "etcd.memberSettings" -}}
{{- $tls := include "etcd.tlsMode" . -}}
{{- $settings := dict "tls" (default "off" $tls) "peerPort" (include "etcd.peerPort" .) "clusterDomain" (toString .Values.clusterDomain) "auth" (toString .Values.auth.enabled) -}}
{{- if eq $tls "ca" -}}
{{- $_ := set $settings "caSecret" (include "etcd.caSecret" .) -}}
{{- $_ := set $settings "clientTrust" (include "etcd.clientTrust" .) -}}
{{- else if eq $tls "certManager" -}}
{{- $issuer := .Values.tls.certManager.issuerRef -}}
{{- $_ := set $settings "issuer" (printf "%s %s" (default "Issuer" $issuer.kind) $issuer.name) -}}
{{- end -}}
{{- toJson $settings -}}
{{- end -}}

{{/*
The settings a live StatefulSet runs (JSON): its etcd.memberSettingsAnnotation, or, on a
StatefulSet an older chart made, what its agent's arguments and volumes say.
*/}}
{{- define "etcd.liveMemberSettings" -}}
{{- $annotations := dig "metadata" "annotations" (dict) .live -}}
{{- $key := include "etcd.memberSettingsAnnotation" .root -}}
{{- if hasKey $annotations $key -}}
{{- get $annotations $key -}}
{{- else -}}
{{- $settings := dict -}}
{{- range (dig "spec" "template" "spec" "containers" (list) .live) -}}
{{- $args := .args | default list -}}
{{- if and $args (eq (first $args) "member") -}}
{{- $_ := set $settings "tls" "off" -}}
{{- $_ := set $settings "auth" "false" -}}
{{- range $args -}}
{{- if hasPrefix "--tls-ca-dir=" . -}}{{- $_ := set $settings "tls" "ca" -}}{{- end -}}
{{- if hasPrefix "--tls-client-ca-file=" . -}}{{- $_ := set $settings "clientTrust" "apart" -}}{{- end -}}
{{- if hasPrefix "--tls-cert-file=" . -}}{{- $_ := set $settings "tls" "certManager" -}}{{- end -}}
{{- if hasPrefix "--auth-password-file=" . -}}{{- $_ := set $settings "auth" "true" -}}{{- end -}}
{{- if hasPrefix "--peer-port=" . -}}{{- $_ := set $settings "peerPort" (trimPrefix "--peer-port=" .) -}}{{- end -}}
{{- if hasPrefix "--cluster-domain=" . -}}{{- $_ := set $settings "clusterDomain" (trimPrefix "--cluster-domain=" .) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq (get $settings "tls") "ca") (not (hasKey $settings "clientTrust")) -}}
{{- $_ := set $settings "clientTrust" "shared" -}}
{{- end -}}
{{- range (dig "spec" "template" "spec" "volumes" (list) .live) -}}
{{- if and (eq .name "ca") (eq (get $settings "tls") "ca") .secret -}}
{{- $_ := set $settings "caSecret" .secret.secretName -}}
{{- end -}}
{{- end -}}
{{- toJson $settings -}}
{{- end -}}
{{- end -}}

{{/*
Refuses, on a live release, a change of the settings in etcd.memberSettings: carried out one
pod at a time by the rollout, each would leave the updated pod unable to reach (or be trusted
by, or call) the others, and the rollout would stop there with a member down.
*/}}
{{- define "etcd.checkMemberSettings" -}}
{{- $live := include "etcd.liveStatefulSet" . | fromJson -}}
{{- if $live -}}
{{- $name := printf "%s/%s" .Release.Namespace (include "etcd.fullname" .) -}}
{{- $running := include "etcd.liveMemberSettings" (dict "root" . "live" $live) | fromJson -}}
{{- $wanted := include "etcd.memberSettings" . | fromJson -}}
{{- $keys := dict "tls" "tls.enabled and tls.certManager.enabled" "caSecret" "tls.ca.existingSecret" "issuer" "tls.certManager.issuerRef" "peerPort" "peerPorts" "clusterDomain" "clusterDomain" "auth" "auth.enabled" -}}
{{- $why := dict "tls" "the members' peer URLs and the CA they trust would change one pod at a time" "caSecret" "the CA the members trust would change one pod at a time" "issuer" "the CA the members trust would change one pod at a time" "peerPort" "the peer URLs in etcd's member list would no longer be where the members listen" "clusterDomain" "the peer URLs in etcd's member list would no longer name the members" "auth" "the agents' membership calls would lose or lack the credentials etcd asks for" -}}
{{- range $key := list "tls" "caSecret" "issuer" "peerPort" "clusterDomain" "auth" -}}
{{- if and (hasKey $running $key) (ne (toString (get $running $key)) (toString (get $wanted $key | default ""))) -}}
{{- fail (printf "%s cannot change on a live release: StatefulSet %s runs with %s=%s, the values say %s (%s, and the rollout would stop at the first pod): keep the running setting, or move the data to a new release as charts/etcd/README.md \"Changing TLS, auth or addresses\" says" (get $keys $key) $name $key (get $running $key) (get $wanted $key | default "none") (get $why $key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The volume of etcd.clientsSecret: the clients' CA certificate and the client certificate, never the CA's key. */}}
{{- define "etcd.clientsVolume" }}
- name: clients
  secret:
    secretName: {{ include "etcd.clientsSecret" . }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read
    items:
      - key: ca.crt
        path: ca.crt
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end -}}
