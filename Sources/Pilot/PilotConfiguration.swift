import EtcdClient
import HTTPEndpoints
import Membership

/// Everything a pilot is told at start: who it is, where its volume is, how to reach its peers,
/// where the desired replica count and the cluster record live, and how to run etcd.
public struct PilotConfiguration: Sendable {
  /// The pod name (`etcd-2`): the etcd member name; its suffix is the ordinal.
  public var name: String
  public var ordinal: Int
  /// The StatefulSet's name (the pod name without the ordinal).
  public var statefulSet: String
  public var namespace: String
  /// The pod's UID, so two DNS answers for one pod are recognised as one.
  public var uid: String
  /// Host of a pod by ordinal, e.g. `{name}.{service}.{namespace}.svc.{clusterDomain}`.
  public var hostTemplate: HostTemplate
  public var clientPort: Int
  public var peerPort: Int
  /// The port etcd listens on for peers; differs from `peerPort` when a proxy sits in front.
  public var peerListenPort: Int
  public var pilotPort: Int
  /// The address etcd and the pilot listen on (the pod IP in a pod, the pod's address locally).
  public var listenHost: String
  /// Also listen on 127.0.0.1 (etcd's client port, the pilot's port), so `kubectl port-forward`,
  /// which connects to localhost inside the pod, reaches them. Off for the local StatefulSet,
  /// whose pods share the machine's 127.0.0.1.
  public var listensOnLocalhost = false
  /// The volume: etcd's data, the pilot's notes, copies moved aside.
  public var volume: String
  public var etcdBinary: String
  /// Flags passed to etcd as they are.
  public var etcdArguments: [String]
  /// TLS for etcd's client and peer traffic and for the pilot's own client, when enabled.
  public var tls: PilotTLS?
  /// How often to look again while nothing changes.
  public var pollInterval: Duration
  /// With auth: the root user's password. The bootstrapping pilots enable auth once, when the
  /// cluster forms; every pilot authenticates as root.
  public var rootPassword: String?
  /// The engine's tunables.
  public var engineSettings = EngineSettings()
  /// How often the pilot beside the leader compares every voter's HashKV (``ConsistencyCheck``);
  /// `nil`: never.
  public var consistencyCheckInterval: Duration? = .seconds(300)
  /// The etcd binary's version, when checked (for the warning about releases with known defects).
  public var etcdVersion: String?
  /// etcd's quota, auto-compaction and corruption checks.
  public var space = SpaceSettings()

  public init(
    name: String, ordinal: Int, statefulSet: String, namespace: String, uid: String, hostTemplate: HostTemplate,
    clientPort: Int = 2379, peerPort: Int = 2380, peerListenPort: Int? = nil, pilotPort: Int = 2390,
    listenHost: String = "0.0.0.0", volume: String, etcdBinary: String = "etcd", etcdArguments: [String] = [],
    tls: PilotTLS? = nil, pollInterval: Duration = .seconds(1), rootPassword: String? = nil
  ) {
    self.name = name
    self.ordinal = ordinal
    self.statefulSet = statefulSet
    self.namespace = namespace
    self.uid = uid
    self.hostTemplate = hostTemplate
    self.clientPort = clientPort
    self.peerPort = peerPort
    self.peerListenPort = peerListenPort ?? peerPort
    self.pilotPort = pilotPort
    self.listenHost = listenHost
    self.volume = volume
    self.etcdBinary = etcdBinary
    self.etcdArguments = etcdArguments
    self.tls = tls
    self.pollInterval = pollInterval
    self.rootPassword = rootPassword
  }

  var scheme: String { tls == nil ? "http" : "https" }

  /// The addresses etcd's client port and the pilot's port listen on.
  var listenHosts: [String] {
    listensOnLocalhost && listenHost != "127.0.0.1" && listenHost != "0.0.0.0" && listenHost != "::"
      ? [listenHost, "127.0.0.1"] : [listenHost]
  }

  /// The address of the pod with `ordinal`.
  public func pod(_ ordinal: Int) -> PodAddress {
    let podName = "\(statefulSet)-\(ordinal)"
    let host = URLHost.bracketed(hostTemplate.host(name: podName, ordinal: ordinal))
    return PodAddress(
      name: podName, ordinal: ordinal, peerURL: "\(scheme)://\(host):\(peerPort)",
      clientURL: "\(scheme)://\(host):\(clientPort)", pilotURL: "\(scheme)://\(host):\(pilotPort)")
  }

  public var identity: PodIdentity {
    let me = pod(ordinal)
    return PodIdentity(name: name, ordinal: ordinal, peerURL: me.peerURL, clientURL: me.clientURL)
  }
}

/// Certificate files for etcd and the pilot (client and peer TLS with client-certificate auth).
public struct PilotTLS: Sendable, Hashable {
  public var caFile: String
  public var certificateFile: String
  public var keyFile: String
  /// When set, the pilot issues these files itself from a CA and renews them; otherwise someone
  /// else keeps them (cert-manager) and the pilot only reloads them when they change.
  public var issuer: CertificateIssuer?
  /// The client side, when etcd trusts another CA for clients than the one that signs the
  /// members: then no member holds a key that can make a client identity etcd accepts (with a
  /// CA key in every pod, anyone who reads one could mint `CN=root`). `nil`: one CA for both.
  public var clients: ClientTrust?

  /// The CA etcd trusts for client certificates, and the certificate this pilot presents as
  /// etcd's client (issued once, outside the pod; its name is no etcd user).
  public struct ClientTrust: Sendable, Hashable {
    public var caFile: String
    public var certificateFile: String
    public var keyFile: String

    public init(caFile: String, certificateFile: String, keyFile: String) {
      self.caFile = caFile
      self.certificateFile = certificateFile
      self.keyFile = keyFile
    }
  }

  public init(
    caFile: String, certificateFile: String, keyFile: String, issuer: CertificateIssuer? = nil,
    clients: ClientTrust? = nil
  ) {
    self.caFile = caFile
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    self.issuer = issuer
    self.clients = clients
  }

  /// etcd's `--trusted-ca-file`: the clients' CA.
  var clientCAFile: String { clients?.caFile ?? caFile }

  /// The pilot as etcd's client: the members' CA checks the servers; it presents its client
  /// certificate (the member certificate when one CA serves both).
  var etcdClient: EtcdClientConfiguration.TLS {
    EtcdClientConfiguration.TLS(
      caFile: caFile, certificateFile: clients?.certificateFile ?? certificateFile, keyFile: clients?.keyFile ?? keyFile
    )
  }

  /// The pilot's port serves HTTPS with the member's certificate and verifies the client
  /// certificates of the CA: `/status`, which peers trust while bootstrapping, answers only a
  /// client that presents one (a peer's member certificate); `/healthz` and `/readyz` answer
  /// any client, as a kubelet's HTTPS probe presents none.
  var pilotServerFiles: HTTPServer.TLSFiles {
    // Peers present member certificates; the operator's tools, client certificates.
    HTTPServer.TLSFiles(
      certificateFile: certificateFile, keyFile: keyFile, clientCAFiles: [caFile] + (clients.map { [$0.caFile] } ?? []))
  }

  /// How a pilot asks another pilot: the CA checks the peer, the member certificate is shown.
  var pilotClientFiles: HTTPSClientFiles {
    HTTPSClientFiles(caFile: caFile, certificateFile: certificateFile, keyFile: keyFile)
  }

  /// Files the pilot issues into `directory` (`ca.crt`, `member.crt`, `member.key`).
  public static func issued(
    into directory: String, by issuer: CertificateIssuer, clients: ClientTrust? = nil
  ) -> PilotTLS {
    PilotTLS(
      caFile: "\(directory)/ca.crt", certificateFile: "\(directory)/\(MemberCertificate.fileName).crt",
      keyFile: "\(directory)/\(MemberCertificate.fileName).key", issuer: issuer, clients: clients)
  }
}

/// The CA a pilot issues its own certificate from, and how long that certificate lives.
public struct CertificateIssuer: Sendable, Hashable {
  /// Holds `ca.crt` and `ca.key` (ECDSA P-256).
  public var caDirectory: String
  public var validity: Duration
  /// The fraction of the lifetime after which the certificate is renewed.
  public var renewAt: Double
  /// More names or addresses for the certificate (the client Service's names).
  public var extraNames: [String]

  public init(
    caDirectory: String, validity: Duration = .seconds(90 * 86400), renewAt: Double = 2.0 / 3.0,
    extraNames: [String] = []
  ) {
    self.caDirectory = caDirectory
    self.validity = validity
    self.renewAt = renewAt
    self.extraNames = extraNames
  }
}

/// Builds a pod's host from a template: `{name}`, `{ordinal}`, `{ordinal+N}`, `{statefulset}`,
/// `{service}`, `{namespace}`, `{clusterDomain}`; or a literal address.
public struct HostTemplate: Sendable, Hashable {
  public var template: String
  public var statefulSet: String
  public var service: String
  public var namespace: String
  public var clusterDomain: String

  public init(_ template: String, statefulSet: String, service: String, namespace: String, clusterDomain: String) {
    self.template = template
    self.statefulSet = statefulSet
    self.service = service
    self.namespace = namespace
    self.clusterDomain = clusterDomain
  }

  public func host(name: String, ordinal: Int) -> String {
    var result = ""
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{") {
      result += rest[..<open]
      guard let close = rest[open...].firstIndex(of: "}") else {
        result += rest[open...]
        return result
      }
      let key = rest[rest.index(after: open)..<close]
      switch key {
      case "name": result += name
      case "ordinal": result += String(ordinal)
      case "statefulset": result += statefulSet
      case "service": result += service
      case "namespace": result += namespace
      case "clusterDomain": result += clusterDomain
      default:
        if key.hasPrefix("ordinal+"), let offset = Int(key.dropFirst("ordinal+".count)) {
          result += String(ordinal + offset)
        } else {
          result += rest[open...close]
        }
      }
      rest = rest[rest.index(after: close)...]
    }
    return result + rest
  }

  /// Placeholders the template uses that are not known, for a clear error at start.
  public var unknownPlaceholders: [String] {
    var unknown: [String] = []
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
      let key = String(rest[rest.index(after: open)..<close])
      let known = ["name", "ordinal", "statefulset", "service", "namespace", "clusterDomain"]
      if !known.contains(key), !(key.hasPrefix("ordinal+") && Int(key.dropFirst("ordinal+".count)) != nil) {
        unknown.append(key)
      }
      rest = rest[rest.index(after: close)...]
    }
    return unknown
  }
}
