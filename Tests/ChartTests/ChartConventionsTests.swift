import EtcdTestFixtures
import Foundation
import Testing

/// The conventions users reach for (Bitnami's names where they are the habit) and the small
/// things a platform engineer trips over: each rendered where it belongs, each refused with one
/// line when it would collide with what the chart sets.
@Suite("Chart: conventions", .serialized, .timeLimit(.minutes(10)))
struct ChartConventionsTests {
  static let chartLabelKeys = [
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/component",
    "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "helm.sh/chart",
  ]

  @Test(
    "commonLabels and commonAnnotations on every object, beside the chart's own; never in selectors or claim templates")
  func commonLabelsAndAnnotations() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.conventions)
    #expect(rendered.objects.count >= 14, "\(rendered.objects.count) objects")
    for object in rendered.objects {
      let what = "\(object["kind"]) \(object["metadata"]["name"])"
      let labels = object["metadata"]["labels"].stringMap
      #expect(
        labels["team"] == "storage" && labels["example.com/cost-center"] == "42",
        "\(what) lacks commonLabels: \(labels)")
      #expect(labels["app.kubernetes.io/instance"] == "my-release", "\(what)")
      #expect(
        object["metadata"]["annotations"]["example.com/owner"].string == "storage-team",
        "\(what) lacks commonAnnotations")
    }
    let set = try rendered.statefulSet
    #expect(set["spec"]["selector"]["matchLabels"].stringMap == ChartRenderTests.selector)
    #expect(
      set["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"].stringMap == ChartRenderTests.selector,
      "immutable after install")
    let template = set["spec"]["template"]["metadata"]
    #expect(template["labels"]["team"].string == "storage" && template["labels"]["tier"].string == "data")
    #expect(!template["annotations"]["example.com/owner"].exists, "a changed annotation would restart every member")
    // The chart's own annotations stay.
    #expect(set["metadata"]["annotations"].stringMap.keys.contains { $0.hasPrefix("checkov.io/skip") })
    #expect(set["metadata"]["annotations"][ChartReplicasTests.annotation].string == "3")
    #expect(try rendered.one("Pod")["metadata"]["annotations"]["helm.sh/hook"].string == "test")
    #expect(
      try rendered.one("PersistentVolumeClaim")["metadata"]["annotations"]["helm.sh/resource-policy"].string == "keep")
    let cronPod = try rendered.one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    #expect(cronPod["team"].string == "storage" && cronPod["app.kubernetes.io/name"].string == "etcd-backup")
  }

  @Test("labels and annotations that would replace the chart's own are refused")
  func labelCollisions() async throws {
    for key in Self.chartLabelKeys {
      for value in ["commonLabels", "podLabels"] {
        let result = try await ChartTools.renderFailure(["--set-json", #"\#(value)={"\#(key)":"x"}"#])
        #expect(result.exitCode != 0, "accepted: \(value).\(key)")
        #expect(result.output.contains("\(value): \(key) is a label the chart sets"), "\(result.output)")
        #expect(result.output.contains("use another key"), "\(result.output)")
      }
    }
    for key in ["helm.sh/hook", "helm.sh/resource-policy", ChartReplicasTests.annotation, "checkov.io/skip1"] {
      let result = try await ChartTools.renderFailure(["--set-json", #"commonAnnotations={"\#(key)":"x"}"#])
      #expect(result.exitCode != 0, "accepted: commonAnnotations.\(key)")
      #expect(result.output.contains("commonAnnotations: \(key) is an annotation the chart sets"), "\(result.output)")
    }
  }

  @Test("extra volumes and mounts, init containers, a sidecar after the etcd container, envFrom")
  func extraPodParts() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.conventions)
    let pod = try rendered.podSpec
    #expect(
      pod["containers"].array.compactMap { $0["name"].string } == ["etcd", "log-shipper"],
      "the etcd container stays first")
    #expect(pod["initContainers"].array.compactMap { $0["name"].string } == ["wait-for-dns"])
    #expect(
      pod["volumes"].array.first { $0["name"].string == "scripts" }?["configMap"]["name"].string == "etcd-scripts")
    let container = try rendered.container
    let mount = container["volumeMounts"].array.first { $0["name"].string == "scripts" }
    #expect(mount?["mountPath"].string == "/opt/scripts" && mount?["readOnly"].bool == true)
    #expect(container["envFrom"].canonical == canonical([["configMapRef": ["name": "etcd-env"]]]))
    #expect(container["volumeMounts"].array.first?["name"].string == "data", "the chart's mounts come first")
    // The sidecar and init container are the user's, image and all: no registry is forced on them.
    #expect(pod["containers"][1]["image"].string == "busybox:1.36@\(ChartValueSets.digest)")
  }

  @Test("extra volumes, mounts and containers that collide with the chart's are refused")
  func extraPodPartCollisions() async throws {
    try await ChartTools.expectRefused([
      (
        ["--set-json", #"extraVolumes=[{"name":"data","emptyDir":{}}]"#],
        "extraVolumes: data is a volume the chart mounts"
      ),
      (
        ["--set-json", #"extraVolumes=[{"name":"ca","emptyDir":{}}]"#], "extraVolumes: ca is a volume the chart mounts"
      ),
      (
        ["--set-json", #"extraVolumeMounts=[{"name":"x","mountPath":"/var/run/etcd/member"}]"#],
        "extraVolumeMounts: /var/run/etcd/member is inside /var/run/etcd"
      ),
      (
        ["--set-json", #"extraVolumeMounts=[{"name":"x","mountPath":"/tmp"}]"#],
        "extraVolumeMounts: /tmp is inside /tmp"
      ),
      (
        ["--set-json", #"extraVolumeMounts=[{"name":"x","mountPath":"/etc/etcd-pilot/ca/"}]"#],
        "extraVolumeMounts: /etc/etcd-pilot/ca/ is inside /etc/etcd-pilot"
      ),
      (["--set-json", #"sidecars=[{"name":"etcd","image":"x"}]"#], "sidecars: etcd is the chart's container"),
      (
        ["--set-json", #"initContainers=[{"name":"etcd","image":"x"}]"#],
        "initContainers: etcd is the chart's container"
      ),
      (["--set-json", #"sidecars=[{"image":"x"}]"#], "/sidecars/0"),
      (["--set", "readinessProbe.enabled=false"], "/readinessProbe"),
    ])
  }

  @Test(
    "probe timings are overridable; liveness and startup can be turned off (and checkov is told why), readiness cannot")
  func probes() async throws {
    let container = try await ChartTools.render(ChartValueSets.conventions).container
    #expect(
      container["startupProbe"]["failureThreshold"].int == 120 && container["startupProbe"]["periodSeconds"].int == 5)
    #expect(
      container["livenessProbe"]["periodSeconds"].int == 20 && container["livenessProbe"]["failureThreshold"].int == 6)
    #expect(
      container["readinessProbe"]["failureThreshold"].int == 5
        && container["readinessProbe"]["successThreshold"].int == 2)
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
      #expect(container[probe]["httpGet"]["port"].string == "pilot", "the target stays the pilot's endpoint")
    }
    let off = try await ChartTools.render([
      "--set", "livenessProbe.enabled=false", "--set", "startupProbe.enabled=false",
    ])
    #expect(try !off.container["livenessProbe"].exists && !off.container["startupProbe"].exists)
    #expect(try off.container["readinessProbe"].exists)
    #expect(
      try off.statefulSet["metadata"]["annotations"].stringMap.values.contains {
        $0.hasPrefix("CKV_K8S_8=livenessProbe.enabled is false")
      })
  }

  @Test("the image: registry, digest, global.imageRegistry; a repository that names its registry; numeric tags")
  func image() async throws {
    func image(_ arguments: [String]) async throws -> String? {
      try await ChartTools.render(arguments).container["image"].string
    }
    #expect(try await image([]) == "ghcr.io/etcd-pilot/etcd-pilot:3.6.14")
    #expect(
      try await image(["--set", "image.registry=registry.example.com"])
        == "registry.example.com/etcd-pilot/etcd-pilot:3.6.14")
    #expect(
      try await image([
        "--set", "global.imageRegistry=mirror.example.com", "--set", "image.registry=registry.example.com",
      ]) == "mirror.example.com/etcd-pilot/etcd-pilot:3.6.14")
    #expect(
      try await image(["--set", "image.repository=team/etcd-pilot"]) == "team/etcd-pilot:3.6.14",
      "Docker Hub style, as before")
    #expect(
      try await image(["--set", "image.repository=team/etcd-pilot", "--set", "image.registry=quay.io"])
        == "quay.io/team/etcd-pilot:3.6.14")
    #expect(
      try await image([
        "--set", "image.repository=localhost:5000/etcd-pilot", "--set", "global.imageRegistry=mirror.example.com",
      ]) == "mirror.example.com/etcd-pilot:3.6.14")
    #expect(
      try await image(["--set", "image.digest=\(ChartValueSets.digest)"])
        == "ghcr.io/etcd-pilot/etcd-pilot@\(ChartValueSets.digest)")
    #expect(
      try await image(["--set", "image.tag=3.6.14@\(ChartValueSets.digest)"])
        == "ghcr.io/etcd-pilot/etcd-pilot:3.6.14@\(ChartValueSets.digest)")
    // Numeric tags: --set gives an integer, a values file or --set-json a float.
    #expect(try await image(["--set", "image.tag=20240101"]) == "ghcr.io/etcd-pilot/etcd-pilot:20240101")
    #expect(try await image(["--set-json", "image.tag=20240101"]) == "ghcr.io/etcd-pilot/etcd-pilot:20240101")
    #expect(try await image(["--set-json", "image.tag=3"]) == "ghcr.io/etcd-pilot/etcd-pilot:3")
    let test = try await ChartTools.render(ChartValueSets.conventions)
    #expect(try test.container["image"].string == "mirror.example.com/etcd-pilot/etcd-pilot@\(ChartValueSets.digest)")
    #expect(
      try test.one("Pod")["spec"]["containers"][0]["image"].string
        == "mirror.example.com/etcd-pilot/etcd-pilot@\(ChartValueSets.digest)")
    #expect(
      try test.one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"].string?
        .hasPrefix("mirror.example.com/") == true)

    try await ChartTools.expectRefused([
      (["--set-json", "image.tag=3.10"], "image.tag is the number 3.1"),
      (
        ["--set", "image.tag=3.6.14@\(ChartValueSets.digest)", "--set", "image.digest=\(ChartValueSets.digest)"],
        "image.tag already carries a digest"
      ),
      (["--set", "image.digest=latest"], "/image/digest"),
      (
        ["--set", "image.repository=k8s.gcr.io/etcd-amd64"],
        "image.repository k8s.gcr.io/etcd-amd64 is etcd's own image"
      ),
      (["--set", "image.repository=quay.io/coreos/etcd"], "is etcd's own image"),
      (["--set-json", "global.imageRegistry=5"], "/global/imageRegistry"),
    ])
  }

  @Test(
    "global.imagePullSecrets joins imagePullSecrets on every pod; global.defaultStorageClass on every claim the chart makes; other globals belong to other charts"
  )
  func globals() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.conventions)
    let expected = canonical([["name": "regcred"], ["name": "mirror-pull"]])
    #expect(try rendered.podSpec["imagePullSecrets"].canonical == expected)
    #expect(try rendered.one("Pod")["spec"]["imagePullSecrets"].canonical == expected)
    #expect(
      try rendered.one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["imagePullSecrets"].canonical
        == expected)
    #expect(
      try rendered.statefulSet["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"].string == "fast-ssd")
    #expect(try rendered.one("PersistentVolumeClaim")["spec"]["storageClassName"].string == "fast-ssd")
    // The chart's own value wins; "-" still means no dynamic provisioning.
    let own = try await ChartTools.render([
      "--set", "global.defaultStorageClass=fast-ssd", "--set", "storageClass=-", "--set", "backup.enabled=true",
      "--set", "backup.storageClass=slow",
    ])
    #expect(try own.statefulSet["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"].string == "")
    #expect(try own.one("PersistentVolumeClaim")["spec"]["storageClassName"].string == "slow")
    let older = try await ChartTools.render(["--set", "global.storageClass=older-name"])
    #expect(try older.statefulSet["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"].string == "older-name")
    // An umbrella chart's globals for its other charts are not this chart's to refuse.
    _ = try await ChartTools.render(["--set", "global.postgresql.auth.database=app"])
  }

  @Test("persistentVolumeClaimRetentionPolicy is rendered when set, left to Kubernetes (Retain) otherwise")
  func claimRetention() async throws {
    #expect(try await !ChartTools.render().statefulSet["spec"]["persistentVolumeClaimRetentionPolicy"].exists)
    let set = try await ChartTools.render(["--set", "persistentVolumeClaimRetentionPolicy.whenDeleted=Delete"])
      .statefulSet
    #expect(
      set["spec"]["persistentVolumeClaimRetentionPolicy"].canonical
        == canonical(["whenDeleted": "Delete", "whenScaled": "Retain"]))
    let bad = try await ChartTools.renderFailure(["--set", "persistentVolumeClaimRetentionPolicy.whenScaled=Remove"])
    #expect(
      bad.exitCode != 0 && bad.output.contains("/persistentVolumeClaimRetentionPolicy/whenScaled"), "\(bad.output)")
  }

  @Test("resources default to requests (Burstable, not BestEffort) without limits; a user's resources replace them")
  func resourcesDefault() async throws {
    let container = try await ChartTools.render().container
    #expect(container["resources"]["requests"]["cpu"].string == "100m")
    #expect(container["resources"]["requests"]["memory"].string == "256Mi")
    #expect(
      !container["resources"]["limits"].exists, "a memory limit below the database's working set would kill members")
    let own = try await ChartTools.render([
      "--set-json", #"resources={"requests":{"cpu":"2","memory":"4Gi"},"limits":{"memory":"6Gi"}}"#,
    ]).container
    #expect(
      own["resources"].canonical
        == canonical(["requests": ["cpu": "2", "memory": "4Gi"], "limits": ["memory": "6Gi"]]))
    let none = try await ChartTools.render(["--set", "resources=null"]).container
    #expect(!none["resources"].exists, "resources=null: BestEffort, as the user asked")
  }

  @Test(
    "affinity that only sets node affinity keeps the anti-affinity preset; its own podAntiAffinity replaces the preset")
  func affinityKeepsThePreset() async throws {
    let node = try await ChartTools.render(ChartValueSets.fiveMembers).podSpec["affinity"]
    #expect(
      node["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0][
        "matchExpressions"][0]["key"].string == "node-role/etcd")
    let preferred = node["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    #expect(
      preferred["podAffinityTerm"]["labelSelector"]["matchLabels"].stringMap == ChartRenderTests.selector, "\(node)")
    let hard = try await ChartTools.render(ChartValueSets.fiveMembers + ["--set", "podAntiAffinityPreset=hard"])
      .podSpec["affinity"]
    #expect(
      hard["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"].string
        == "kubernetes.io/hostname")
    let none = try await ChartTools.render(ChartValueSets.fiveMembers + ["--set", "podAntiAffinityPreset=none"])
      .podSpec["affinity"]
    #expect(node["nodeAffinity"].canonical == none["nodeAffinity"].canonical && !none["podAntiAffinity"].exists)
    let own = try await ChartTools.render([
      "--set-json",
      #"affinity={"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"topologyKey":"topology.kubernetes.io/zone","labelSelector":{"matchLabels":{"app.kubernetes.io/name":"etcd"}}}]}}"#,
    ]).podSpec["affinity"]
    #expect(own["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].array.count == 1)
    #expect(
      own["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"].string
        == "topology.kubernetes.io/zone")
    #expect(!own["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"].exists)
  }

  @Test(
    "/tmp holds a snapshot of a database at etcd's default quota (2 GiB) without evicting the member; tmpSizeLimit raises it"
  )
  func tmpSize() async throws {
    func limit(_ arguments: [String]) async throws -> String? {
      try await ChartTools.render(arguments).podSpec["volumes"].array.first { $0["name"].string == "tmp" }?["emptyDir"][
        "sizeLimit"
      ].string
    }
    #expect(try await limit([]) == "3Gi")
    #expect(try await limit(ChartValueSets.conventions) == "4Gi")
  }

  @Test("a long release name still gives a CronJob name the API accepts (at most 52 characters) and Job names that fit")
  func longNames() async throws {
    let release = String(repeating: "a", count: 53)
    let rendered = try await ChartTools.render(release: release, ["--set", "backup.enabled=true"])
    let cronJob = try #require(rendered.all("CronJob").first)
    let name = try #require(cronJob["metadata"]["name"].string)
    #expect(name.count <= 52 && name.hasSuffix("-backup") && !name.contains("--"), "\(name) (\(name.count))")
    // kubectl create job --from=cronjob/<name> <name>-now, as NOTES suggest.
    #expect("\(name)-now".count <= 63)
  }

  @Test("Chart.yaml points home and sources at this project")
  func chartMetadata() async throws {
    let result = try await ChartTools.helm(["show", "chart", ChartTools.chart])
    #expect(result.output.contains("home: https://github.com/etcd-pilot/etcd-pilot"), "\(result.output)")
    #expect(result.output.contains("- https://github.com/etcd-pilot/etcd-pilot"), "\(result.output)")
    #expect(!result.output.contains("home: https://etcd.io"))
  }

  @Test(
    "consistencyCheck.action: report passes --consistency-check-action=report; replace, the default, passes nothing")
  func consistencyCheckAction() async throws {
    let defaults = try await ChartTools.render().container["args"].strings
    #expect(!defaults.contains { $0.hasPrefix("--consistency-check-action") })
    let replace = try await ChartTools.render(["--set", "consistencyCheck.action=replace"]).container["args"].strings
    #expect(replace == defaults)
    let report = try await ChartTools.render(["--set", "consistencyCheck.action=report"]).container["args"].strings
    let interval = try #require(report.firstIndex { $0.hasPrefix("--consistency-check-interval=") })
    #expect(report[interval + 1] == "--consistency-check-action=report", "\(report)")
    #expect(report.filter { !$0.hasPrefix("--consistency-check-action") } == defaults)
    let bad = try await ChartTools.renderFailure(["--set", "consistencyCheck.action=ignore"])
    #expect(bad.exitCode != 0 && bad.output.contains("/consistencyCheck/action"), "\(bad.output)")
    let notes = try await ChartTools.notes(["--set", "consistencyCheck.action=report"])
    #expect(notes.contains("report"), "\(notes)")
  }

  /// `helm upgrade --reuse-values` keeps the old release's values *with the old chart's defaults*
  /// (Helm sets the chart's values to them), so a release from 0.1.0 has none of the keys added
  /// since: the chart must render as with their defaults, not fail or render zeros.
  @Test("values without the keys added in 0.2.0 (helm upgrade --reuse-values from 0.1.0) render as with their defaults")
  func reusedOldValues() async throws {
    let added = [
      "startupProbe", "livenessProbe", "readinessProbe", "service", "consistencyCheck", "tmpSizeLimit",
      "pdb.maxUnavailable", "global",
      "commonLabels", "commonAnnotations", "extraVolumes", "extraVolumeMounts", "initContainers", "sidecars", "envFrom",
      "persistentVolumeClaimRetentionPolicy", "image.registry", "image.digest",
    ]
    let old = try await ChartTools.render(
      added.flatMap { ["--set", "\($0)=null"] } + ["--set", "backup.enabled=true"])
    let current = try await ChartTools.render(["--set", "backup.enabled=true"])
    #expect(try old.statefulSet.canonical == current.statefulSet.canonical)
    for (kind, name) in [
      ("Service", "my-release-etcd"), ("PodDisruptionBudget", "my-release-etcd"), ("CronJob", "my-release-etcd-backup"),
    ] {
      #expect(try old.one(kind, named: name).canonical == current.one(kind, named: name).canonical, "\(kind) differs")
    }
    #expect(try old.one("PodDisruptionBudget")["spec"]["maxUnavailable"].int == 1)
    let notes = try await ChartTools.notes(added.flatMap { ["--set", "\($0)=null"] })
    #expect(notes.contains("one member at a time"), "\(notes)")
  }
}
