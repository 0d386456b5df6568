import Foundation

/// The value sets the chart is rendered with; the schema and policy tests reuse them.
enum ChartValueSets {
  static let defaults: [String] = []

  static let oneReplica = ["--set", "replicas=1"]

  /// 5 members with storageClass, resources, affinity, nodeSelector and tolerations (a values file's
  /// worth, given as --set-json so no file is needed).
  static let fiveMembers = [
    "--set", "replicas=5",
    "--set", "storageClass=fast-ssd",
    "--set", "storage=20Gi",
    "--set-json", #"resources={"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"2","memory":"2Gi"}}"#,
    "--set-json",
    #"affinity={"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"node-role/etcd","operator":"Exists"}]}]}}}"#,
    "--set-json", #"nodeSelector={"kubernetes.io/os":"linux","disktype":"ssd"}"#,
    "--set-json", #"tolerations=[{"key":"dedicated","operator":"Equal","value":"etcd","effect":"NoSchedule"}]"#,
  ]

  /// Every parameter of the old incubator/etcd chart, each with plain --set.
  static let incubator = [
    "--set", "image.repository=registry.example.com/team/etcd-pilot",
    "--set", "image.tag=3.6.14-1",
    "--set", "image.pullPolicy=Always",
    "--set", "replicas=7",
    "--set", "resources.requests.cpu=250m",
    "--set", "resources.requests.memory=512Mi",
    "--set", "resources.limits.cpu=1",
    "--set", "resources.limits.memory=1Gi",
    "--set", "clientPort=12379",
    "--set", "peerPorts=12380",
    "--set", "storage=8Gi",
    "--set", "storageClass=standard",
    "--set",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=zone",
    "--set",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=In",
    "--set",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]=a",
    "--set", "nodeSelector.disktype=ssd",
    "--set", "tolerations[0].key=dedicated",
    "--set", "tolerations[0].operator=Equal",
    "--set", "tolerations[0].value=etcd",
    "--set", "tolerations[0].effect=NoSchedule",
  ]

  /// The parameters beyond the incubator chart's, each away from its default.
  static let everythingElse = [
    "--set", "pilotPort=12390",
    "--set", "consistencyCheckInterval=1h", "--set", "absentPodTimeout=5m",
    "--set", "clusterDomain=k8s.example.org",
    "--set-json", #"extraArgs=["--snapshot-count=50000","--heartbeat-interval=200"]"#,
    "--set-json", #"extraEnv=[{"name":"ETCD_PILOT_DEBUG","value":"1"},{"name":"GOMAXPROCS","value":"2"}]"#,
    "--set", "podAnnotations.example\\.com/team=storage",
    "--set", "podLabels.tier=data",
    "--set", "priorityClassName=system-cluster-critical",
    "--set-json",
    #"topologySpreadConstraints=[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway","labelSelector":{"matchLabels":{"app.kubernetes.io/name":"kv"}}}]"#,
    "--set", "fullnameOverride=kv",
    "--set", "nameOverride=kvstore",
    "--set", "terminationGracePeriodSeconds=300",
    "--set", "serviceAccount.create=false",
    "--set", "serviceAccount.name=existing-sa",
    "--set", "pdb.enabled=false",
    "--set", "storageClass=-",
    "--set", "podAntiAffinityPreset=hard",
    "--set", "networkPolicy.allowExternal=false",
    "--set-json", #"imagePullSecrets=[{"name":"regcred"}]"#,
  ]

  /// TLS from a CA Secret the user made, their own validity and extra names, auth with their own
  /// password Secret.
  static let existingSecrets = [
    "--set", "tls.ca.existingSecret=my-etcd-ca",
    "--set", "tls.validity=720h",
    "--set-json", #"tls.extraSANs=["etcd.example.com","10.0.0.5"]"#,
    "--set", "auth.enabled=true",
    "--set", "auth.existingSecret=etcd-root",
  ]

  /// TLS from a cert-manager Certificate (a ClusterIssuer, its own lifetimes and extra names), with
  /// a generated root password.
  static let certManagerWithAuth = [
    "--set", "tls.certManager.enabled=true",
    "--set", "tls.certManager.issuerRef.name=etcd-ca",
    "--set", "tls.certManager.issuerRef.kind=ClusterIssuer",
    "--set", "tls.certManager.duration=4320h",
    "--set", "tls.certManager.renewBefore=1440h",
    "--set-json", #"tls.extraSANs=["etcd.example.com","10.0.0.5","fd00::5"]"#,
    "--set", "auth.enabled=true",
    "--set", "backup.enabled=true",
    "--set", "backup.existingClaim=etcd-backups",
  ]

  /// Scheduled backups onto a volume the chart makes, every backup setting away from its default.
  static let backups = [
    "--set", "backup.enabled=true",
    "--set", "backup.schedule=@daily",
    "--set", "backup.timeZone=Europe/Berlin",
    "--set", "backup.keep=3",
    "--set", "backup.prefix=kv",
    "--set", "backup.storage=20Gi",
    "--set", "backup.storageClass=fast-ssd",
    "--set-json", #"backup.accessModes=["ReadWriteMany"]"#,
    "--set", "backup.concurrencyPolicy=Replace",
    "--set", "backup.successfulJobsHistoryLimit=1",
    "--set", "backup.backoffLimit=4",
    "--set", "backup.activeDeadlineSeconds=600",
    "--set", "networkPolicy.allowExternal=false",
  ]

  static let digest = "sha256:" + String(repeating: "ab", count: 32)

  /// The conventions users reach for (Bitnami's names), each away from its default: labels and
  /// annotations on every object, extra volumes, init containers and a sidecar, envFrom, probe
  /// timings, a LoadBalancer client Service, the image by registry and digest, the global
  /// registry, pull secret and StorageClass, PVC retention, /tmp's size, a report-only consistency
  /// check, and node affinity beside the anti-affinity preset; with backups so every object shows.
  static let conventions = [
    "--set-json", #"commonLabels={"team":"storage","example.com/cost-center":"42"}"#,
    "--set-json", #"commonAnnotations={"example.com/owner":"storage-team"}"#,
    "--set", "podLabels.tier=data",
    "--set-json", #"extraVolumes=[{"name":"scripts","configMap":{"name":"etcd-scripts","defaultMode":292}}]"#,
    "--set-json", #"extraVolumeMounts=[{"name":"scripts","mountPath":"/opt/scripts","readOnly":true}]"#,
    "--set-json",
    #"initContainers=[\#(hardenedContainer("wait-for-dns", command: #"["sh","-c","until nslookup kubernetes.default; do sleep 1; done"]"#))]"#,
    "--set-json",
    #"sidecars=[\#(hardenedContainer("log-shipper", command: #"["sh","-c","exec tail -F /opt/scripts/README"]"#, probes: true))]"#,
    "--set-json", #"envFrom=[{"configMapRef":{"name":"etcd-env"}}]"#,
    "--set", "startupProbe.failureThreshold=120",
    "--set", "livenessProbe.periodSeconds=20",
    "--set", "readinessProbe.failureThreshold=5",
    "--set", "readinessProbe.successThreshold=2",
    "--set", "service.type=LoadBalancer",
    "--set", "service.nodePort=32379",
    "--set-json", #"service.annotations={"service.beta.kubernetes.io/aws-load-balancer-internal":"true"}"#,
    "--set-json", #"service.loadBalancerSourceRanges=["10.0.0.0/8","192.168.0.0/16"]"#,
    "--set", "image.digest=\(digest)",
    "--set", "image.pullPolicy=Always",
    "--set", "global.imageRegistry=mirror.example.com",
    "--set-json", #"global.imagePullSecrets=["mirror-pull",{"name":"regcred"}]"#,
    "--set-json", #"imagePullSecrets=[{"name":"regcred"}]"#,
    "--set", "global.defaultStorageClass=fast-ssd",
    "--set", "persistentVolumeClaimRetentionPolicy.whenDeleted=Retain",
    "--set", "persistentVolumeClaimRetentionPolicy.whenScaled=Retain",
    "--set", "tmpSizeLimit=4Gi",
    "--set", "consistencyCheck.action=report",
    "--set-json",
    #"affinity={"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"node-role/etcd","operator":"Exists"}]}]}}}"#,
    "--set", "backup.enabled=true",
  ]

  /// A container of the user's (init container or sidecar) as checkov wants it: pinned image,
  /// resources, a restrictive security context, and probes for a long-running one.
  static func hardenedContainer(_ name: String, command: String, probes: Bool = false) -> String {
    let probe = #"{"exec":{"command":["true"]},"periodSeconds":10}"#
    return #"{"name":"\#(name)","image":"busybox:1.36@\#(digest)","imagePullPolicy":"Always","command":\#(command),"#
      + #""resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"cpu":"100m","memory":"32Mi"}},"#
      + #""securityContext":{"runAsNonRoot":true,"runAsUser":10001,"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"#
      + #""capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}"#
      + (probes ? #","livenessProbe":\#(probe),"readinessProbe":\#(probe)"# : "") + "}"
  }

  /// A values file as users of the incubator/etcd chart have it: that chart's keys with its
  /// defaults, the image line left out (it named etcd's own image).
  static let incubatorValuesFile = """
    peerPort: 2380
    clientPort: 2379
    component: "etcd"
    replicas: 3
    resources: {}
    auth:
      client:
        secureTransport: false
        enableAuthentication: false
      peer:
        secureTransport: false
        useAutoTLS: false
        enableAuthentication: false
    persistentVolume:
      enabled: false
    memoryMode: false
    nodeSelector: {}
    tolerations: []
    affinity: {}
    extraEnv: []
    """

  /// `incubatorValuesFile` where helm can read it (one file in the temporary directory, rewritten
  /// by each run; a failed write shows as helm not finding it).
  static let incubatorValues: [String] = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-chart-incubator-values.yaml")
      .path
    try? incubatorValuesFile.write(toFile: path, atomically: true, encoding: .utf8)
    return ["-f", path]
  }()

  /// Plain http, as the incubator chart ran.
  static let tlsOff = ["--set", "tls.enabled=false"]

  static let all: [(name: String, arguments: [String])] = [
    ("defaults", defaults), ("1 replica", oneReplica), ("5 members with placement", fiveMembers),
    ("incubator parameters", incubator), ("everything else", everythingElse),
    ("existing CA and password Secrets", existingSecrets), ("cert-manager with auth", certManagerWithAuth),
    ("TLS off", tlsOff), ("backups", backups), ("backups without TLS", tlsOff + ["--set", "backup.enabled=true"]),
    ("conventions", conventions), ("an incubator/etcd values file", incubatorValues),
  ]
}
