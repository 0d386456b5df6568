import EtcdTestFixtures
import Foundation
import Testing

/// `helm template` over several value sets, with assertions on the rendered objects: what the agent
/// needs to run (args, env, ports, probes, volume, RBAC) and what users expect of a current chart.
@Suite("Chart: rendered objects", .serialized, .timeLimit(.minutes(10)))
struct ChartRenderTests {
  static let selector = ["app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "my-release"]
  static let labelKeys = [
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of",
  ]

  static func expectedArgs(
    fullname: String = "my-release-etcd", clusterDomain: String = "cluster.local", client: Int = 2379, peer: Int = 2380,
    pilot: Int = 2390, consistencyCheck: String = "5m", absentPodTimeout: String = "2m", quota: Int64 = 335_544_320
  ) -> [String] {
    // The quota follows the default 1Gi volume: (1024 - 384) / 2 = 320 MiB.
    [
      "member", "--data-dir=/var/run/etcd", "--service=\(fullname)-headless", "--cluster-domain=\(clusterDomain)",
      "--client-port=\(client)", "--peer-port=\(peer)", "--pilot-port=\(pilot)", "--listen-host=$(POD_IP)",
      "--listen-localhost",
      "--etcd=/usr/local/bin/etcd", "--replicas-from=kubernetes",
      "--cluster-record=kubernetes:configmap/\(fullname)-cluster",
      "--absent-pod-timeout=\(absentPodTimeout)", "--consistency-check-interval=\(consistencyCheck)",
      "--quota-backend-bytes=\(quota)", "--auto-compaction-mode=periodic", "--auto-compaction-retention=1h",
      "--corruption-checks", "--defrag-free-percent=50", "--defrag-min-free=67108864", "--defrag-quota-percent=80",
    ]
  }

  /// The flags of TLS from a CA Secret (the default): the CA's directory, the member certificates'
  /// lifetime, the client Service's names for them, and the clients' CA.
  static func caArgs(
    fullname: String = "my-release-etcd", clusterDomain: String = "cluster.local", validity: String = "2160h",
    extraSANs: [String] = []
  ) -> [String] {
    let ns = ChartTools.namespace
    return ["--tls-ca-dir=/etc/etcd-pilot/ca", "--tls-validity=\(validity)"]
      + [fullname, "\(fullname).\(ns)", "\(fullname).\(ns).svc", "\(fullname).\(ns).svc.\(clusterDomain)"].map {
        "--tls-san=\($0)"
      }
      + extraSANs.map { "--tls-san=\($0)" } + clientsArgs
  }

  /// The flags of the clients' CA (a new release's default in CA mode).
  static let clientsArgs = [
    "--tls-client-ca-file=/etc/etcd-pilot/clients/ca.crt", "--tls-client-cert-file=/etc/etcd-pilot/clients/tls.crt",
    "--tls-client-key-file=/etc/etcd-pilot/clients/tls.key",
  ]

  static let memberEnv = [
    "POD_NAME", "POD_NAMESPACE", "POD_UID", "POD_IP", "ETCDCTL_API", "ETCDCTL_ENDPOINTS", "ETCDCTL_CACERT",
    "ETCDCTL_CERT", "ETCDCTL_KEY",
  ]

  @Test("defaults: the objects, their labels, and the StatefulSet the agent needs")
  func defaults() async throws {
    let rendered = try await ChartTools.render()
    let kinds = rendered.objects.compactMap { $0["kind"].string }.sorted()
    #expect(
      kinds == [
        "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Role", "RoleBinding", "Secret", "Secret",
        "Service", "Service",
        "ServiceAccount", "StatefulSet",
      ])

    // app.kubernetes.io/* on every object, in the release's namespace.
    for object in rendered.objects {
      let labels = object["metadata"]["labels"].stringMap
      for key in Self.labelKeys {
        #expect(labels[key] != nil, "\(object["kind"]) \(object["metadata"]["name"]) lacks \(key)")
      }
      #expect(labels["app.kubernetes.io/version"] == "3.6.14")
      #expect(labels["app.kubernetes.io/managed-by"] == "Helm")
      #expect(labels["app.kubernetes.io/part-of"] == "etcd-pilot")
      #expect(object["metadata"]["namespace"].string == ChartTools.namespace)
    }

    let set = try rendered.statefulSet
    #expect(set["metadata"]["name"].string == "my-release-etcd")
    #expect(set["spec"]["replicas"].int == 3)
    #expect(set["spec"]["podManagementPolicy"].string == "Parallel")
    #expect(set["spec"]["serviceName"].string == "my-release-etcd-headless")
    // Selector: name and instance only (stable across upgrades), and the template carries them.
    #expect(set["spec"]["selector"]["matchLabels"].stringMap == Self.selector)
    let templateLabels = set["spec"]["template"]["metadata"]["labels"].stringMap
    for (key, value) in Self.selector { #expect(templateLabels[key] == value) }

    let pod = try rendered.podSpec
    #expect(pod["serviceAccountName"].string == "my-release-etcd")
    #expect(pod["automountServiceAccountToken"].bool == true)
    #expect(pod["enableServiceLinks"].bool == false)
    #expect(pod["terminationGracePeriodSeconds"].int == 150)
    #expect(pod["containers"].array.count == 1)
    #expect(!pod["initContainers"].exists)

    let container = try rendered.container
    #expect(container["image"].string == "ghcr.io/etcd-pilot/etcd-pilot:3.6.14")
    #expect(container["imagePullPolicy"].string == "IfNotPresent")
    #expect(container["command"].strings == ["etcd-pilot"])
    #expect(container["args"].strings == Self.expectedArgs() + Self.caArgs())
    #expect(!container["args"].strings.contains("--"), "no etcd flags, no separator")
    #expect(!container["lifecycle"].exists, "the agent handles SIGTERM itself: no preStop")
    #expect(
      container["resources"].canonical == canonical(["requests": ["cpu": "100m", "memory": "256Mi"]]),
      "requests by default: not BestEffort")

    // Env: downward-API identity first (later values refer to POD_NAME/POD_NAMESPACE).
    let env = container["env"]
    #expect(env.array.compactMap { $0["name"].string } == Self.memberEnv)
    #expect(env.env("POD_NAME")["valueFrom"]["fieldRef"]["fieldPath"].string == "metadata.name")
    #expect(env.env("POD_NAMESPACE")["valueFrom"]["fieldRef"]["fieldPath"].string == "metadata.namespace")
    #expect(env.env("POD_UID")["valueFrom"]["fieldRef"]["fieldPath"].string == "metadata.uid")
    #expect(env.env("POD_IP")["valueFrom"]["fieldRef"]["fieldPath"].string == "status.podIP")
    #expect(env.env("ETCDCTL_API")["value"].string == "3")
    #expect(
      env.env("ETCDCTL_ENDPOINTS")["value"].string
        == "https://$(POD_NAME).my-release-etcd-headless.$(POD_NAMESPACE).svc.cluster.local:2379")
    // TLS is on by default: exec'd tools use the member's own certificate (ChartTLSAuthTests has more).
    #expect(env.env("ETCDCTL_CACERT")["value"].string == "/var/run/etcd/tls/ca.crt")

    let ports = container["ports"]
    #expect(
      ports.array.compactMap { $0["name"].string } == ["etcd-client-ssl", "etcd-server-ssl", "pilot"],
      "etcd's SRV names (ChartNetworkingTests)")
    #expect(
      ports.port("etcd-client-ssl") == 2379 && ports.port("etcd-server-ssl") == 2380 && ports.port("pilot") == 2390)

    // Probes on the pilot's port, by name.
    for (probe, path) in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
      #expect(container[probe]["httpGet"]["path"].string == path, "\(probe)")
      #expect(container[probe]["httpGet"]["port"].string == "pilot", "\(probe)")
    }
    let startup = container["startupProbe"]
    #expect(
      (startup["failureThreshold"].int ?? 0) * (startup["periodSeconds"].int ?? 0) >= 300, "a generous startup window")

    // The volume: a claim named data mounted at /var/run/etcd; a small /tmp beside the read-only root.
    let claims = set["spec"]["volumeClaimTemplates"].array
    #expect(claims.count == 1)
    #expect(claims.first?["metadata"]["name"].string == "data")
    #expect(claims.first?["metadata"]["labels"].stringMap == Self.selector, "claim labels never change across upgrades")
    #expect(claims.first?["spec"]["accessModes"].strings == ["ReadWriteOnce"])
    #expect(claims.first?["spec"]["resources"]["requests"]["storage"].string == "1Gi")
    #expect(claims.first?["spec"]["storageClassName"].exists == false, "unset: the cluster's default StorageClass")
    let mounts = container["volumeMounts"].array
    #expect(mounts.first { $0["name"].string == "data" }?["mountPath"].string == "/var/run/etcd")
    #expect(mounts.first { $0["name"].string == "tmp" }?["mountPath"].string == "/tmp")
    #expect(pod["volumes"].array.first { $0["name"].string == "tmp" }?["emptyDir"].exists == true)

    // Restrictive security contexts.
    let podSecurity = pod["securityContext"]
    #expect(podSecurity["runAsNonRoot"].bool == true)
    #expect((podSecurity["runAsUser"].int ?? 0) >= 10000)
    #expect(podSecurity["runAsGroup"].int != nil && podSecurity["fsGroup"].int != nil)
    #expect(podSecurity["seccompProfile"]["type"].string == "RuntimeDefault")
    let security = container["securityContext"]
    #expect(security["runAsNonRoot"].bool == true)
    #expect(security["readOnlyRootFilesystem"].bool == true)
    #expect(security["allowPrivilegeEscalation"].bool == false)
    #expect(security["privileged"].bool == false)
    #expect(security["capabilities"]["drop"].strings == ["ALL"])
    #expect(!security["capabilities"]["add"].exists)
    #expect(security["seccompProfile"]["type"].string == "RuntimeDefault")

    // Soft anti-affinity preset by hostname.
    let preferred = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    #expect(preferred["weight"].int == 100)
    #expect(preferred["podAffinityTerm"]["topologyKey"].string == "kubernetes.io/hostname")
    #expect(preferred["podAffinityTerm"]["labelSelector"]["matchLabels"].stringMap == Self.selector)
    #expect(!pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].exists)
    #expect(!pod["affinity"]["nodeAffinity"].exists)

    // Services: headless (peer discovery, not-ready addresses published) and client.
    let headless = try rendered.one("Service", named: "my-release-etcd-headless")
    #expect(headless["spec"]["clusterIP"].string == "None")
    #expect(headless["spec"]["publishNotReadyAddresses"].bool == true)
    #expect(headless["spec"]["selector"].stringMap == Self.selector)
    #expect(
      headless["spec"]["ports"].array.compactMap { $0["name"].string } == [
        "etcd-client-ssl", "etcd-server-ssl", "pilot",
      ])
    #expect(
      headless["spec"]["ports"].port("etcd-server-ssl") == 2380 && headless["spec"]["ports"].port("pilot") == 2390)
    #expect(headless["spec"]["ports"].array.allSatisfy { $0["targetPort"].string == $0["name"].string })
    let client = try rendered.one("Service", named: "my-release-etcd")
    #expect(client["spec"]["type"].string == "ClusterIP")
    #expect(!client["spec"]["clusterIP"].exists)
    #expect(client["spec"]["publishNotReadyAddresses"].bool != true, "only ready members serve clients")
    #expect(client["spec"]["selector"].stringMap == Self.selector)
    #expect(client["spec"]["ports"].array.count == 1)
    #expect(client["spec"]["ports"].port("etcd-client-ssl") == 2379)

    // PodDisruptionBudget: one member at a time (ChartReplicasTests has the rest).
    let pdb = try rendered.one("PodDisruptionBudget")
    #expect(pdb["apiVersion"].string == "policy/v1")
    #expect(pdb["spec"]["maxUnavailable"].int == 1 && !pdb["spec"]["minAvailable"].exists)
    #expect(pdb["spec"]["selector"]["matchLabels"].stringMap == Self.selector)

    // RBAC: exactly what the agent uses, bound to its service account.
    let account = try rendered.one("ServiceAccount")
    #expect(account["metadata"]["name"].string == "my-release-etcd")
    #expect(account["automountServiceAccountToken"].bool == false, "only the StatefulSet's pods mount the token")
    let role = try rendered.one("Role")
    let expectedRules: [[String: Any]] = [
      [
        "apiGroups": ["apps"], "resources": ["statefulsets"], "resourceNames": ["my-release-etcd"],
        "verbs": ["get", "watch"],
      ],
      ["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]],
      ["apiGroups": [""], "resources": ["events"], "verbs": ["create"]],
      ["apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]],
      [
        "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["my-release-etcd-cluster"],
        "verbs": ["get", "update"],
      ],
    ]
    #expect(role["rules"].canonical == canonical(expectedRules))
    let binding = try rendered.one("RoleBinding")
    #expect(binding["roleRef"]["kind"].string == "Role" && binding["roleRef"]["name"].string == "my-release-etcd")
    #expect(
      binding["subjects"].canonical
        == canonical([["kind": "ServiceAccount", "name": "my-release-etcd", "namespace": ChartTools.namespace]]))

    // NetworkPolicy: peers and pilots only among members; the client port open.
    let policy = try rendered.one("NetworkPolicy", named: "my-release-etcd")
    #expect(policy["spec"]["podSelector"]["matchLabels"].stringMap == Self.selector)
    let rules = policy["spec"]["ingress"].array
    #expect(rules.count == 2)
    #expect(rules.first?["from"][0]["podSelector"]["matchLabels"].stringMap == Self.selector)
    #expect(rules.first?["ports"].array.compactMap { $0["port"].int } == [2379, 2380, 2390])
    #expect(rules.last?["ports"].array.compactMap { $0["port"].int } == [2379])
    #expect(rules.last?["from"].exists == false, "allowExternal: any pod reaches the client port")
  }

  @Test(
    "the helm test pod issues itself a client certificate, writes, reads back and checks health, restricted like the members"
  )
  func helmTestHook() async throws {
    let rendered = try await ChartTools.render()
    let pod = try rendered.one("Pod")
    #expect(pod["metadata"]["annotations"]["helm.sh/hook"].string == "test")
    let labels = pod["metadata"]["labels"].stringMap
    #expect(labels["app.kubernetes.io/name"] != "etcd", "not selected by the members' Services, PDB or agents")
    #expect(labels["my-release-etcd-client"] == "true")
    #expect(pod["spec"]["restartPolicy"].string == "Never")
    #expect(pod["spec"]["automountServiceAccountToken"].bool == false)
    let container = pod["spec"]["containers"][0]
    #expect(container["image"].string == "ghcr.io/etcd-pilot/etcd-pilot:3.6.14")
    #expect(
      container["env"].env("ETCDCTL_ENDPOINTS")["value"].string
        == "https://my-release-etcd.\(ChartTools.namespace).svc.cluster.local:2379")
    let script = (container["command"].strings + container["args"].strings).joined(separator: " ")
    for step in [
      "set -eu",
      "set -- --cacert=/etc/etcd-pilot/ca/ca.crt --cert=/etc/etcd-pilot/clients/tls.crt --key=/etc/etcd-pilot/clients/tls.key",
      #"etcdctl "$@" --command-timeout=15s put"#, "get --print-value-only", "exit 1",
      #"etcd-pilot health "$@" --endpoints"#,
    ] {
      #expect(script.contains(step), "the test script lacks \(step)")
    }
    // The clients' certificate, issued at install; the pod issues nothing (it holds no CA key).
    #expect(!script.contains("certs client"), "\(script)")
    // The CA Secret read-only; /tmp (the only writable place) an emptyDir.
    let mounts = container["volumeMounts"].array
    #expect(mounts.first { $0["name"].string == "tmp" }?["mountPath"].string == "/tmp")
    #expect(mounts.first { $0["name"].string == "ca" }?["mountPath"].string == "/etc/etcd-pilot/ca")
    #expect(mounts.first { $0["name"].string == "ca" }?["readOnly"].bool == true)
    let volumes = pod["spec"]["volumes"].array
    #expect(volumes.first { $0["name"].string == "tmp" }?["emptyDir"].exists == true)
    #expect(volumes.first { $0["name"].string == "ca" }?["secret"]["secretName"].string == "my-release-etcd-ca")
    #expect(container["securityContext"]["readOnlyRootFilesystem"].bool == true)
    #expect(container["securityContext"]["allowPrivilegeEscalation"].bool == false)
    #expect(container["securityContext"]["capabilities"]["drop"].strings == ["ALL"])
    #expect(pod["spec"]["securityContext"]["runAsNonRoot"].bool == true)
    #expect(container["resources"]["limits"]["memory"].exists)
  }

  @Test(
    "backups: a CronJob running etcd-pilot backup with a client certificate onto a volume kept on uninstall; off by default"
  )
  func backupCronJob() async throws {
    #expect(try await ChartTools.render().all("CronJob").isEmpty, "backups are off by default")
    let rendered = try await ChartTools.render(ChartValueSets.backups)
    let cronJob = try rendered.one("CronJob", named: "my-release-etcd-backup")
    #expect(cronJob["spec"]["schedule"].string == "@daily")
    #expect(cronJob["spec"]["timeZone"].string == "Europe/Berlin")
    #expect(cronJob["spec"]["concurrencyPolicy"].string == "Replace")
    #expect(cronJob["spec"]["successfulJobsHistoryLimit"].int == 1)
    let job = cronJob["spec"]["jobTemplate"]["spec"]
    #expect(job["backoffLimit"].int == 4)
    #expect(job["activeDeadlineSeconds"].int == 600)
    let pod = job["template"]
    let labels = pod["metadata"]["labels"].stringMap
    #expect(labels["app.kubernetes.io/name"] == "etcd-backup", "not selected by the members' Services, PDB or agents")
    #expect(labels["my-release-etcd-client"] == "true", "reaches the client port with allowExternal false")
    #expect(pod["spec"]["restartPolicy"].string == "Never")
    #expect(pod["spec"]["automountServiceAccountToken"].bool == false)
    let container = pod["spec"]["containers"][0]
    #expect(
      container["env"].env("ETCDCTL_ENDPOINTS")["value"].string
        == "https://my-release-etcd.\(ChartTools.namespace).svc.cluster.local:2379")
    #expect(container["env"].env("BACKUP_DIR")["value"].string == "/backups")
    let script = (container["command"].strings + container["args"].strings).joined(separator: " ")
    for step in [
      "set -eu",
      "set -- --cacert=/etc/etcd-pilot/ca/ca.crt --cert=/etc/etcd-pilot/clients/tls.crt --key=/etc/etcd-pilot/clients/tls.key",
      #"exec etcd-pilot backup "$@" --dir "$BACKUP_DIR" --keep 3 --prefix "kv""#,
    ] {
      #expect(script.contains(step), "the backup script lacks \(step): \(script)")
    }
    let mounts = container["volumeMounts"].array
    #expect(mounts.first { $0["name"].string == "backups" }?["mountPath"].string == "/backups")
    #expect(mounts.first { $0["name"].string == "ca" }?["readOnly"].bool == true)
    #expect(container["securityContext"]["readOnlyRootFilesystem"].bool == true)
    #expect(pod["spec"]["securityContext"]["runAsNonRoot"].bool == true)
    let volumes = pod["spec"]["volumes"].array
    #expect(
      volumes.first { $0["name"].string == "backups" }?["persistentVolumeClaim"]["claimName"].string
        == "my-release-etcd-backup")

    let claim = try rendered.one("PersistentVolumeClaim", named: "my-release-etcd-backup")
    #expect(claim["metadata"]["annotations"]["helm.sh/resource-policy"].string == "keep")
    #expect(claim["spec"]["storageClassName"].string == "fast-ssd")
    #expect(claim["spec"]["accessModes"].strings == ["ReadWriteMany"])
    #expect(claim["spec"]["resources"]["requests"]["storage"].string == "20Gi")
    // Backup pods take no ingress at all.
    let policy = try rendered.one("NetworkPolicy", named: "my-release-etcd-backup")
    #expect(policy["spec"]["podSelector"]["matchLabels"].stringMap["app.kubernetes.io/name"] == "etcd-backup")
    #expect(policy["spec"]["ingress"].exists == false)

    // A claim of one's own: none is made, the pods mount it; cert-manager's files and the password.
    let own = try await ChartTools.render(ChartValueSets.certManagerWithAuth)
    #expect(own.all("PersistentVolumeClaim").isEmpty)
    let ownPod = try own.one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]
    #expect(
      ownPod["spec"]["volumes"].array.first { $0["name"].string == "backups" }?["persistentVolumeClaim"]["claimName"]
        .string == "etcd-backups")
    let ownScript = ownPod["spec"]["containers"][0]["args"].strings.joined(separator: " ")
    #expect(ownScript.contains("--cert=/etc/etcd-pilot/tls/tls.crt"), "\(ownScript)")
    #expect(ownScript.contains("ETCDCTL_PASSWORD=$(cat /etc/etcd-pilot/auth/root-password)"), "\(ownScript)")
  }

  @Test("1 replica: a budget that lets a drain move the one member (it never waits forever)")
  func oneReplica() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.oneReplica)
    #expect(try rendered.statefulSet["spec"]["replicas"].int == 1)
    #expect(try rendered.one("PodDisruptionBudget")["spec"]["maxUnavailable"].int == 1)
    #expect(try rendered.container["args"].strings == Self.expectedArgs() + Self.caArgs())
  }

  @Test("5 members with storageClass, resources, affinity, nodeSelector and tolerations")
  func fiveMembers() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.fiveMembers)
    let set = try rendered.statefulSet
    #expect(set["spec"]["replicas"].int == 5)
    let claim = set["spec"]["volumeClaimTemplates"][0]["spec"]
    #expect(claim["storageClassName"].string == "fast-ssd")
    #expect(claim["resources"]["requests"]["storage"].string == "20Gi")
    let container = try rendered.container
    #expect(
      container["resources"].canonical
        == canonical(["requests": ["cpu": "500m", "memory": "1Gi"], "limits": ["cpu": "2", "memory": "2Gi"]]))
    let pod = try rendered.podSpec
    // A given node affinity, beside the preset's anti-affinity (ChartConventionsTests).
    #expect(
      pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0][
        "matchExpressions"][0]["key"].string == "node-role/etcd")
    #expect(pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"].exists)
    #expect(pod["nodeSelector"].stringMap == ["kubernetes.io/os": "linux", "disktype": "ssd"])
    #expect(
      pod["tolerations"].canonical
        == canonical([["key": "dedicated", "operator": "Equal", "value": "etcd", "effect": "NoSchedule"]]))
    // With requests and limits given, no resource check is skipped for checkov.
    let skips = set["metadata"]["annotations"].stringMap.values
    for check in ["CKV_K8S_10=", "CKV_K8S_11=", "CKV_K8S_12=", "CKV_K8S_13="] {
      #expect(!skips.contains { $0.hasPrefix(check) }, "\(check) still skipped")
    }
  }

  @Test("every incubator/etcd parameter with --set")
  func incubatorParameters() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.incubator)
    let set = try rendered.statefulSet
    let container = try rendered.container
    #expect(container["image"].string == "registry.example.com/team/etcd-pilot:3.6.14-1")
    #expect(container["imagePullPolicy"].string == "Always")
    #expect(set["spec"]["replicas"].int == 7)
    #expect(
      container["resources"].canonical
        == canonical(["requests": ["cpu": "250m", "memory": "512Mi"], "limits": ["cpu": 1, "memory": "1Gi"]]))
    #expect(
      container["args"].strings == Self.expectedArgs(client: 12379, peer: 12380, quota: 3904 << 20) + Self.caArgs())
    #expect(container["ports"].port("etcd-client-ssl") == 12379 && container["ports"].port("etcd-server-ssl") == 12380)
    #expect(container["env"].env("ETCDCTL_ENDPOINTS")["value"].string?.hasSuffix(":12379") == true)
    let headless = try rendered.one("Service", named: "my-release-etcd-headless")
    #expect(
      headless["spec"]["ports"].port("etcd-client-ssl") == 12379
        && headless["spec"]["ports"].port("etcd-server-ssl") == 12380)
    #expect(try rendered.one("Service", named: "my-release-etcd")["spec"]["ports"].port("etcd-client-ssl") == 12379)
    let claim = set["spec"]["volumeClaimTemplates"][0]["spec"]
    #expect(claim["resources"]["requests"]["storage"].string == "8Gi")
    #expect(claim["storageClassName"].string == "standard")
    let pod = try rendered.podSpec
    let term = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][
      0]["matchExpressions"][0]
    #expect(term.canonical == canonical(["key": "zone", "operator": "In", "values": ["a"]]))
    #expect(pod["nodeSelector"].stringMap == ["disktype": "ssd"])
    #expect(
      pod["tolerations"].canonical
        == canonical([["key": "dedicated", "operator": "Equal", "value": "etcd", "effect": "NoSchedule"]]))
    // Test pod follows the image and ports.
    let test = try rendered.one("Pod")["spec"]["containers"][0]
    #expect(test["image"].string == "registry.example.com/team/etcd-pilot:3.6.14-1")
    #expect(
      test["env"].env("ETCDCTL_ENDPOINTS")["value"].string
        == "https://my-release-etcd.\(ChartTools.namespace).svc.cluster.local:12379")
    // pullPolicy Always: that checkov check is no longer skipped.
    #expect(!set["metadata"]["annotations"].stringMap.values.contains { $0.hasPrefix("CKV_K8S_15=") })
  }

  @Test("every other parameter away from its default")
  func everythingElse() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.everythingElse)
    let set = try rendered.statefulSet
    #expect(set["metadata"]["name"].string == "kv")
    #expect(set["spec"]["serviceName"].string == "kv-headless")
    #expect(
      set["spec"]["selector"]["matchLabels"].stringMap == [
        "app.kubernetes.io/name": "kvstore", "app.kubernetes.io/instance": "my-release",
      ])
    let container = try rendered.container
    #expect(
      container["args"].strings
        == Self.expectedArgs(
          fullname: "kv", clusterDomain: "k8s.example.org", pilot: 12390, consistencyCheck: "1h", absentPodTimeout: "5m"
        )
        + Self.caArgs(fullname: "kv", clusterDomain: "k8s.example.org")
        + ["--", "--snapshot-count=50000", "--heartbeat-interval=200"])
    #expect(container["ports"].port("pilot") == 12390)
    #expect(container["readinessProbe"]["httpGet"]["port"].string == "pilot")
    let env = container["env"].array.compactMap { $0["name"].string }
    #expect(env == Self.memberEnv + ["ETCD_PILOT_DEBUG", "GOMAXPROCS"])
    #expect(
      container["env"].env("ETCDCTL_ENDPOINTS")["value"].string
        == "https://$(POD_NAME).kv-headless.$(POD_NAMESPACE).svc.k8s.example.org:2379")
    let template = set["spec"]["template"]
    #expect(template["metadata"]["annotations"].stringMap == ["example.com/team": "storage"])
    #expect(template["metadata"]["labels"]["tier"].string == "data")
    let pod = template["spec"]
    #expect(pod["priorityClassName"].string == "system-cluster-critical")
    #expect(pod["topologySpreadConstraints"][0]["topologyKey"].string == "topology.kubernetes.io/zone")
    #expect(pod["terminationGracePeriodSeconds"].int == 300)
    #expect(pod["serviceAccountName"].string == "existing-sa")
    #expect(pod["imagePullSecrets"].canonical == canonical([["name": "regcred"]]))
    let required = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    #expect(required["topologyKey"].string == "kubernetes.io/hostname")
    #expect(
      required["labelSelector"]["matchLabels"].stringMap == [
        "app.kubernetes.io/name": "kvstore", "app.kubernetes.io/instance": "my-release",
      ])
    #expect(
      set["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"].string == "", "\"-\": no dynamic provisioning")
    #expect(rendered.all("ServiceAccount").isEmpty)
    #expect(rendered.all("PodDisruptionBudget").isEmpty)
    #expect(try rendered.one("Role")["rules"][4]["resourceNames"].strings == ["kv-cluster"])
    #expect(try rendered.one("RoleBinding")["subjects"][0]["name"].string == "existing-sa")
    #expect(
      rendered.all("Secret").compactMap { $0["metadata"]["name"].string }.sorted() == ["kv-ca", "kv-clients"],
      "the generated CAs follow fullnameOverride")
    #expect(pod["volumes"].array.first { $0["name"].string == "ca" }?["secret"]["secretName"].string == "kv-ca")
    let clientRule = try rendered.one("NetworkPolicy", named: "kv")["spec"]["ingress"][1]
    #expect(clientRule["from"][0]["podSelector"]["matchLabels"].stringMap == ["kv-client": "true"])
  }

  @Test("scaling never changes the pod template: replicas 0, 1, 3, 4, 5 render the same template")
  func podTemplateIndependentOfReplicas() async throws {
    let reference = try await ChartTools.render(["--set", "replicas=3"]).statefulSet["spec"]["template"]
    #expect(!reference.canonical.contains("replicas:"))
    for replicas in [0, 1, 4, 5] {
      let other = try await ChartTools.render(["--set", "replicas=\(replicas)"]).statefulSet
      #expect(other["spec"]["replicas"].int == replicas)
      #expect(
        other["spec"]["template"].canonical == reference.canonical, "the pod template differs for replicas=\(replicas)")
    }
  }

  @Test("anti-affinity preset none leaves affinity out; the release name may already say etcd; long names fit")
  func namesAndPresets() async throws {
    let none = try await ChartTools.render(["--set", "podAntiAffinityPreset=none"])
    #expect(try !none.podSpec["affinity"].exists)

    let plain = try await ChartTools.render(release: "etcd")
    #expect(try plain.statefulSet["metadata"]["name"].string == "etcd")
    #expect(try plain.statefulSet["spec"]["serviceName"].string == "etcd-headless")

    let long = try await ChartTools.render(release: String(repeating: "a", count: 53))
    let name = try long.statefulSet["metadata"]["name"].string ?? ""
    #expect(name.count <= 52, "the StatefulSet name leaves room for the controller-revision-hash label")
    #expect((try long.statefulSet["spec"]["serviceName"].string ?? "").count <= 63)
    let objectNames = long.objects.compactMap { $0["metadata"]["name"].string }
    #expect(objectNames.allSatisfy { $0.count <= 63 && !$0.hasSuffix("-") }, "\(objectNames)")
  }
}
