import Foundation

/// Runs a rendered chart's pod template as local processes, the way a kubelet would: the
/// container's command and args (with `$(VAR)` expanded), its env (with the downward API's
/// fieldRefs), its volume mounts (the volume claim as the pod's volume folder, the service
/// account token), and its user. Each pod gets a private mount namespace (`unshare --mount`,
/// which needs root) in which the image's binaries, a private `/etc/hosts` resolving the
/// headless Service's names, and the mounts appear at the paths the chart names.
struct ChartPods: Sendable {
  let manifest: ChartManifest
  let layout: LocalClusterLayout
  let config: LocalClusterConfig
  /// The image's files: path in the image → file on this machine.
  let imageFiles: [String: String]
  let apiHost: String
  let apiPort: Int
  let serviceAccountDirectory: String
  let clusterDomain: String

  var container: ChartManifest.Container { manifest.container }
  var podSpec: ChartManifest.PodSpec { manifest.statefulSet.spec.template.spec }
  var hostsFile: String { "\(layout.directory)/hosts" }

  /// The hosts file every pod sees as `/etc/hosts`: the headless Service's names of every pod
  /// the StatefulSet may have.
  func writeHostsFile(upTo count: Int) throws {
    var lines = ["127.0.0.1 localhost", "::1 localhost"]
    let service = manifest.statefulSet.spec.serviceName ?? manifest.statefulSet.metadata.name ?? "etcd"
    for ordinal in 0..<count {
      let pod = config.podName(ordinal)
      let names = [
        "\(pod).\(service).\(config.namespace).svc.\(clusterDomain)", "\(pod).\(service).\(config.namespace).svc",
        "\(pod).\(service).\(config.namespace)", "\(pod).\(service)", pod,
      ]
      lines.append("\(config.address(ordinal)) \(names.joined(separator: " "))")
    }
    // Other Services (the client Service) resolve to pod 0: a stand-in for their ClusterIP.
    for other in manifest.services where other.metadata.name != service {
      guard let name = other.metadata.name else { continue }
      let names = [
        "\(name).\(config.namespace).svc.\(clusterDomain)", "\(name).\(config.namespace).svc",
        "\(name).\(config.namespace)", name,
      ]
      lines.append("\(config.address(0)) \(names.joined(separator: " "))")
    }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: hostsFile), options: .atomic)
  }

  /// The container's environment for pod `ordinal`, as the kubelet builds it.
  func environment(ordinal: Int, uid: String) throws -> [String: String] {
    var env: [String: String] = [
      "PATH": "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/tmp", "HOSTNAME": config.podName(ordinal),
      "KUBERNETES_SERVICE_HOST": apiHost, "KUBERNETES_SERVICE_PORT": String(apiPort),
    ]
    for variable in container.env ?? [] {
      if let value = variable.value {
        env[variable.name] = expand(value, with: env)
      } else if let reference = variable.valueFrom?.secretKeyRef {
        guard let value = try manifest.secret(reference.name)[reference.key] else {
          throw LocalClusterError("env \(variable.name): Secret \(reference.name) has no key \(reference.key)")
        }
        env[variable.name] = String(decoding: value, as: UTF8.self)
      } else if let path = variable.valueFrom?.fieldRef?.fieldPath {
        switch path {
        case "metadata.name": env[variable.name] = config.podName(ordinal)
        case "metadata.namespace": env[variable.name] = config.namespace
        case "metadata.uid": env[variable.name] = uid
        case "status.podIP": env[variable.name] = config.address(ordinal)
        case "status.hostIP": env[variable.name] = "127.0.0.1"
        case "spec.nodeName": env[variable.name] = "local"
        case "spec.serviceAccountName": env[variable.name] = "default"
        default: throw LocalClusterError("env \(variable.name): fieldRef \(path) is not supported by the local runner")
        }
      }
    }
    return env
  }

  /// Kubernetes' `$(VAR)` expansion: a defined variable is replaced; `$$` escapes; anything else
  /// stays as written.
  func expand(_ text: String, with env: [String: String]) -> String {
    var result = ""
    var rest = Substring(text)
    while let dollar = rest.firstIndex(of: "$") {
      result += rest[..<dollar]
      let after = rest[rest.index(after: dollar)...]
      if after.hasPrefix("$") {
        result += "$"
        rest = after.dropFirst()
      } else if after.hasPrefix("("), let close = after.firstIndex(of: ")") {
        let name = String(after[after.index(after: after.startIndex)..<close])
        if let value = env[name] { result += value } else { result += "$(\(name))" }
        rest = after[after.index(after: close)...]
      } else {
        result += "$"
        rest = after
      }
    }
    return result + rest
  }

  /// The process for pod `ordinal`: `unshare` running a script that mounts and then `exec`s the
  /// container's command as its user.
  func launch(
    ordinal: Int, uid: String
  ) throws -> (executable: String, arguments: [String], environment: [String: String]) {
    let env = try environment(ordinal: ordinal, uid: uid)
    let command = (container.command ?? []) + (container.args ?? [])
    guard !command.isEmpty else {
      throw LocalClusterError("the container has no command: the image's entrypoint is unknown here")
    }
    // A pod in Kubernetes has its own 127.0.0.1 (`--listen-localhost` serves kubectl
    // port-forward there); local pods share this machine's, where every pod would want the
    // same ports: the flag is dropped, each pod listens on its own address only.
    let argv = command.map { expand($0, with: env) }.filter { $0 != "--listen-localhost" }
    let name = config.podName(ordinal)
    let podDirectory = "\(layout.directory)/pods/\(name)"
    try FileManager.default.createDirectory(atPath: podDirectory, withIntermediateDirectories: true)
    let user = container.securityContext?.runAsUser ?? podSpec.securityContext?.runAsUser
    let group =
      container.securityContext?.runAsGroup ?? podSpec.securityContext?.runAsGroup ?? podSpec.securityContext?.fsGroup
      ?? user
    var script = ["#!/bin/sh", "# The mounts of pod \(name), in its own mount namespace.", "set -e"]
    script.append("mount -t tmpfs -o mode=0755 tmpfs /usr/local/bin")
    for (imagePath, hostPath) in imageFiles.sorted(by: { $0.key < $1.key }) {
      script.append(": > \(quote(imagePath))")
      script.append("mount --bind \(quote(hostPath)) \(quote(imagePath))")
    }
    script.append("mount --bind \(quote(hostsFile)) /etc/hosts")
    script.append("mount -t tmpfs -o mode=0755 tmpfs /run")
    var mounts: [(source: String, path: String)] = []
    let claims = Set((manifest.statefulSet.spec.volumeClaimTemplates ?? []).compactMap(\.metadata.name))
    for mount in container.volumeMounts ?? [] {
      let source: String
      if claims.contains(mount.name) {
        source = layout.volume(name)
      } else if let volume = podSpec.volumes?.first(where: { $0.name == mount.name }), volume.emptyDir != nil {
        source = "\(podDirectory)/empty-\(mount.name)"
      } else if let volume = podSpec.volumes?.first(where: { $0.name == mount.name }), let secret = volume.secret,
        let secretName = secret.secretName
      {
        source = "\(podDirectory)/secret-\(mount.name)"
        // As a kubelet projects it: only the listed items, when the volume lists them (a
        // Secret may hold a key, such as a CA's, that the pod must never see).
        let values = try manifest.secret(secretName)
        var projected = values
        if let items = secret.items {
          projected = [:]
          for item in items {
            guard let value = values[item.key] else {
              throw LocalClusterError("volume \(mount.name): Secret \(secretName) has no key \(item.key)")
            }
            projected[item.path] = value
          }
        }
        try writeSecretVolume(projected, to: source, mode: secret.defaultMode ?? 0o644, user: user, group: group)
      } else {
        throw LocalClusterError(
          "volume \(mount.name) (mounted at \(mount.mountPath)) is of a kind the local runner does not provide")
      }
      try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
      mounts.append((source, mount.mountPath))
    }
    if podSpec.automountServiceAccountToken != false {
      mounts.append((serviceAccountDirectory, "/var/run/secrets/kubernetes.io/serviceaccount"))
    }
    // Sources are staged first: a mount at /tmp would hide sources that live under /tmp.
    for (index, mount) in mounts.enumerated() {
      script.append("mkdir -p /run/.pod-sources/\(index)")
      script.append("mount --bind \(quote(mount.source)) /run/.pod-sources/\(index)")
    }
    for (index, mount) in mounts.enumerated() {
      let path = mount.path.hasPrefix("/var/run/") ? "/run/" + mount.path.dropFirst("/var/run/".count) : mount.path
      script.append("mkdir -p \(quote(path))")
      script.append("mount --bind /run/.pod-sources/\(index) \(quote(path))")
    }
    if let user {
      // fsGroup: the pod's volumes belong to its group, as the kubelet arranges.
      for mount in mounts where mount.source.hasPrefix(layout.directory) {
        _ = chown(mount.source, uid_t(user), gid_t(group ?? user))
      }
      script.append("cd /tmp")
      // A change of user clears the death signal the supervisor gave the pod: set it again.
      script.append(
        "exec setpriv --reuid=\(user) --regid=\(group ?? user) --clear-groups --pdeathsig TERM -- \(argv.map(quote).joined(separator: " "))"
      )
    } else {
      script.append("exec \(argv.map(quote).joined(separator: " "))")
    }
    let scriptFile = "\(podDirectory)/start.sh"
    try Data((script.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: scriptFile))
    return ("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", scriptFile], env)
  }

  /// A Secret volume as the kubelet makes it: the files in a timestamped directory, `..data`
  /// pointing at it, and each key a symlink through `..data` — so an update (a new directory,
  /// then one rename of `..data`) changes every file at once. Owned by the pod's user and group.
  private func writeSecretVolume(
    _ values: [String: Data], to directory: String, mode: Int, user: Int?, group: Int?
  ) throws {
    try SecretVolume.write(values, to: directory, mode: mode, owner: user.map { (uid_t($0), gid_t(group ?? $0)) })
  }

  /// The grace period the pod template asks for (Kubernetes' default is 30 s).
  var gracePeriodSeconds: Int { podSpec.terminationGracePeriodSeconds ?? 30 }

  private func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
