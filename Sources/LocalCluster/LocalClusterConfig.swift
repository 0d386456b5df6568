import EtcdClient
import Foundation
import Pilot

/// A local StatefulSet's settings, kept in `<dir>/local.json`: what `local up` was given, and
/// where its supervisor answers.
public struct LocalClusterConfig: Sendable, Codable, Hashable {
  public var statefulSet: String
  public var namespace: String
  /// The first three octets of the pods' loopback addresses, e.g. `127.0.10`.
  public var addressBase: String
  /// The last octet of pod 0's address; pod i gets `firstHost + i`.
  public var firstHost: Int
  public var etcd: String
  /// The version of `etcd` when the cluster was made or last started (`3.5.1`): a later `up`
  /// refuses an etcd of another version, whose data format may differ.
  public var etcdVersion: String?
  public var clientPort: Int
  public var peerPort: Int
  public var pilotPort: Int
  /// With proxies, etcd listens for peers here and a fault-injecting proxy holds `peerPort`.
  public var proxies: Bool
  public var peerListenPort: Int
  public var gracePeriodSeconds: Int
  public var etcdArguments: [String]
  /// The pilot's poll interval while nothing changes.
  public var pollInterval: String
  /// Seconds to wait before first starting a pod, by ordinal (emulates slow scheduling).
  public var startDelays: [Int: Double] = [:]
  /// A rendered chart (`helm template` output) whose StatefulSet the pods follow, instead of the
  /// pilot's own command line.
  public var manifest: String?
  /// For a chart: the image's files (path in the image → file here).
  public var imageFiles: [String: String] = [:]
  public var clusterDomain: String = "cluster.local"
  /// With TLS: the directory of the CA the members issue their certificates from (`ca.crt`,
  /// `ca.key`) and of the client certificate local tools use (`client.crt`, `client.key`).
  public var tlsDirectory: String?
  /// With TLS: the directory of the CA etcd trusts for clients (`ca.crt`, `ca.key`), apart
  /// from the members' CA and given to no pod: the pods get its certificate
  /// (`<tls>/clients-ca.crt`) and the pilots' client certificate (`<tls>/pilot.crt`), so no
  /// pod's files can make a client identity etcd accepts. Local tools' `client.crt` is from it.
  public var tlsClientsDirectory: String?
  /// With TLS: the lifetime of the members' certificates (`--tls-validity`), if not the default.
  public var tlsValidity: String?
  /// The pilots' `--consistency-check-interval` (default 15s).
  public var consistencyCheckInterval: String?
  /// etcd's backend quota for every member (`up --quota`), as given; `nil`: etcd's default.
  public var quota: String?
  /// etcd's history compaction (`up --compaction`): `MODE:RETENTION` or `off`; `nil`: the default,
  /// periodic with an hour kept.
  public var compaction: String?
  /// etcd's data-corruption checks (`up --no-corruption-checks` turns them off); `nil`: on.
  public var corruptionChecks: Bool?
  /// Pods' wall clocks can be skewed (``ClockSkew``, `up --clock-skew`); `nil`: they cannot.
  public var clockSkew: Bool?
  /// More flags for every pod's `etcd-pilot member` (benchmarks).
  public var pilotArguments: [String]?
  /// With auth: the file holding the root password.
  public var rootPasswordFile: String?
  /// Set while a supervisor runs.
  public var supervisorPID: Int32?
  public var controlPort: Int?

  public init(
    statefulSet: String = "etcd", namespace: String = "local", addressBase: String = "127.0.10", firstHost: Int = 1,
    etcd: String, clientPort: Int = 2379, peerPort: Int = 2380, pilotPort: Int = 2390, proxies: Bool = true,
    peerListenPort: Int = 12380, gracePeriodSeconds: Int = 120, etcdArguments: [String] = [],
    pollInterval: String = "1s"
  ) {
    self.statefulSet = statefulSet
    self.namespace = namespace
    self.addressBase = addressBase
    self.firstHost = firstHost
    self.etcd = etcd
    self.clientPort = clientPort
    self.peerPort = peerPort
    self.pilotPort = pilotPort
    self.proxies = proxies
    self.peerListenPort = peerListenPort
    self.gracePeriodSeconds = gracePeriodSeconds
    self.etcdArguments = etcdArguments
    self.pollInterval = pollInterval
  }

  public func address(_ ordinal: Int) -> String { "\(addressBase).\(firstHost + ordinal)" }
  public func podName(_ ordinal: Int) -> String { "\(statefulSet)-\(ordinal)" }
  /// `https` with TLS.
  public var scheme: String { tlsDirectory == nil ? "http" : "https" }
  public func clientURL(_ ordinal: Int) -> String { "\(scheme)://\(address(ordinal)):\(clientPort)" }
  public func peerURL(_ ordinal: Int) -> String { "\(scheme)://\(address(ordinal)):\(peerPort)" }

  /// The pods' TLS flags besides the CA.
  var tlsPodArguments: [String] {
    var arguments = tlsValidity.map { ["--tls-validity", $0] } ?? []
    if let tls = tlsDirectory, tlsClientsDirectory != nil {
      arguments += [
        "--tls-client-ca-file", "\(tls)/clients-ca.crt", "--tls-client-cert-file", "\(tls)/pilot.crt",
        "--tls-client-key-file",
        "\(tls)/pilot.key",
      ]
    }
    return arguments
  }

  /// The client certificate files local tools use, with TLS.
  public var clientTLS: EtcdClientConfiguration.TLS? {
    tlsDirectory.map { .init(caFile: "\($0)/ca.crt", certificateFile: "\($0)/client.crt", keyFile: "\($0)/client.key") }
  }

  /// The root user's credentials, with auth.
  public func credentials() throws -> EtcdClientConfiguration.Credentials? {
    guard let rootPasswordFile else { return nil }
    guard let data = FileManager.default.contents(atPath: rootPasswordFile) else {
      throw LocalClusterError(
        "cannot read the root password in \(rootPasswordFile): it was written by `local up --auth`")
    }
    return .init(
      user: "root", password: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// A client configuration for these endpoints with this cluster's TLS files and credentials.
  public func clientConfiguration(_ endpoints: [EtcdEndpoint], callTimeout: Duration) throws -> EtcdClientConfiguration
  {
    EtcdClientConfiguration(
      endpoints: endpoints, tls: clientTLS, credentials: try credentials(), callTimeout: callTimeout)
  }
  /// The pilot's port speaks HTTPS when the cluster does (its `/status` needs ``clientTLS``).
  public func pilotURL(_ ordinal: Int) -> String { "\(scheme)://\(address(ordinal)):\(pilotPort)" }
  /// The most pods the address range allows.
  public var maximumReplicas: Int { 255 - firstHost }
}

/// Where a local StatefulSet keeps its things under `--dir`.
public struct LocalClusterLayout: Sendable {
  public let directory: String

  public init(directory: String) {
    self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
  }

  public var configFile: String { "\(directory)/local.json" }
  public var statefulSetFile: String { "\(directory)/statefulset.json" }
  public var recordFile: String { "\(directory)/cluster-record.json" }
  public var supervisorLog: String { "\(directory)/supervisor.log" }
  /// The running supervisor's control token (0600).
  public var controlTokenFile: String { "\(directory)/control.token" }
  /// The running pods' process groups, for finding them should the supervisor die.
  var podProcessesFile: String { "\(directory)/pod-processes.json" }
  public func volume(_ name: String) -> String { "\(directory)/volumes/\(name)" }
  public func log(_ name: String) -> String { "\(directory)/logs/\(name).log" }
  /// Pod `name`'s clock offset, with `--clock-skew` (``ClockSkew``).
  public func clockFile(_ name: String) -> String { "\(directory)/clock/\(name)" }

  public func readConfig() throws -> LocalClusterConfig {
    guard let data = FileManager.default.contents(atPath: configFile) else {
      let unreadable =
        access(configFile, F_OK) == 0
        || (FileManager.default.fileExists(atPath: directory) && access(directory, X_OK) != 0)
      if unreadable {
        throw LocalClusterError(
          "cannot read \(configFile): the local cluster in \(directory) belongs to uid \(LocalClusterFolder.owner(of: directory)); run local commands as that user"
        )
      }
      throw LocalClusterError(
        "no local cluster in \(directory): start one with `etcd-pilot local up --dir \(directory)`")
    }
    do {
      return try JSONDecoder().decode(LocalClusterConfig.self, from: data)
    } catch {
      throw LocalClusterError("\(configFile) is not a local cluster's settings: \(error)")
    }
  }

  /// Whether any pod's volume holds etcd data: the cluster has formed, and how it was made
  /// (its etcd, its addresses, TLS) is in that data.
  public var hasMemberData: Bool {
    let volumes = "\(directory)/volumes"
    let pods = (try? FileManager.default.contentsOfDirectory(atPath: volumes)) ?? []
    return pods.contains { FileManager.default.fileExists(atPath: "\(volumes)/\($0)/etcd/member") }
  }

  public func writeConfig(_ config: LocalClusterConfig) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try AtomicFile.write(try encoder.encode(config), to: configFile)
  }
}

/// A local cluster problem, in one line with the fix.
public struct LocalClusterError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
