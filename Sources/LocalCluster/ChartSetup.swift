import Foundation
import HTTPEndpoints
import PKI

/// What running a rendered chart needs besides its pods: the Kubernetes API the agent talks to
/// (HTTPS with its own CA and a service-account token), the token files the pods mount, and the
/// hosts file that resolves the headless Service's names.
struct ChartSetup: Sendable {
  let pods: ChartPods
  let manifest: ChartManifest
  let apiHost: String
  let apiPort = 6443
  let token: String
  let directory: String

  init(layout: LocalClusterLayout, config: LocalClusterConfig, manifestFile: String) throws {
    guard let yaml = FileManager.default.contents(atPath: manifestFile) else {
      throw LocalClusterError("cannot read the rendered chart \(manifestFile)")
    }
    manifest = try ChartManifest.parse(String(decoding: yaml, as: UTF8.self))
    guard manifest.statefulSet.metadata.name == config.statefulSet else {
      throw LocalClusterError(
        "the chart's StatefulSet is \(manifest.statefulSet.metadata.name ?? "unnamed"), the local cluster's is \(config.statefulSet)"
      )
    }
    apiHost = "\(config.addressBase).250"
    directory = "\(layout.directory)/kubernetes"
    let serviceAccount = "\(directory)/serviceaccount"
    try FileManager.default.createDirectory(atPath: serviceAccount, withIntermediateDirectories: true)
    // The CA and token outlive supervisor restarts, as a cluster's do.
    let authority = try CertificateAuthority.readOrCreate(in: directory, commonName: "local Kubernetes API CA")
    try authority.issue(
      commonName: "kubernetes", dnsNames: ["kubernetes", "kubernetes.default.svc"], ipAddresses: [apiHost],
      usage: .server
    )
    .write(to: directory, name: "apiserver")
    let tokenFile = "\(serviceAccount)/token"
    if let existing = FileManager.default.contents(atPath: tokenFile) {
      token = String(decoding: existing, as: UTF8.self)
    } else {
      token = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
      try Data(token.utf8).write(to: URL(fileURLWithPath: tokenFile))
    }
    try Data(try authority.certificatePEM.utf8).write(to: URL(fileURLWithPath: "\(serviceAccount)/ca.crt"))
    try Data(config.namespace.utf8).write(to: URL(fileURLWithPath: "\(serviceAccount)/namespace"))
    // The pod user must read its token, as the kubelet's projected volume allows.
    for file in ["token", "ca.crt", "namespace"] { chmod("\(serviceAccount)/\(file)", 0o644) }
    pods = ChartPods(
      manifest: manifest, layout: layout, config: config, imageFiles: config.imageFiles, apiHost: apiHost,
      apiPort: apiPort, serviceAccountDirectory: serviceAccount, clusterDomain: config.clusterDomain)
    try pods.writeHostsFile(upTo: min(config.maximumReplicas, 32))
  }

  /// Binds the API server; the supervisor serves it with its other tasks.
  func serveAPI(statefulSet: LocalStatefulSet) async throws -> (server: HTTPServer, api: LocalKubernetesAPI) {
    let server = try await HTTPServer.bind(
      host: apiHost, port: apiPort,
      tls: .init(certificateFile: "\(directory)/apiserver.crt", keyFile: "\(directory)/apiserver.key"))
    let api = LocalKubernetesAPI(
      namespace: pods.config.namespace, statefulSetName: pods.config.statefulSet,
      selector: manifest.statefulSet.spec.selector.matchLabels ?? [:], token: token, statefulSet: statefulSet,
      storeFile: "\(directory)/objects.json")
    return (server, api)
  }
}
