/// The etcd flags a user may pass through (`member -- FLAGS`, the chart's `extraArgs`), and the
/// ones refused: those the pilot sets itself, and those that would make every member's every
/// start do something the pilot must decide once, or never.
public enum EtcdFlagPolicy {
  /// Flags the pilot owns: identity, URLs, directories, the bootstrap, the log it reads.
  static let owned: [String: String] = [
    "name": "the pilot names each member after its pod",
    "data-dir": "the pilot keeps etcd's data on the pod's volume (--data-dir of etcd-pilot member)",
    "wal-dir":
      "a WAL outside the data directory is not supported: the pilot reads the WAL in the data directory to decide",
    "listen-client-urls": "the pilot sets etcd's URLs from the pod's address and ports",
    "listen-client-http-urls": "the pilot sets etcd's URLs from the pod's address and ports",
    "advertise-client-urls": "the pilot sets etcd's URLs from the pod's address and ports",
    "listen-peer-urls": "the pilot sets etcd's URLs from the pod's address and ports",
    "initial-advertise-peer-urls": "the pilot sets etcd's URLs from the pod's address and ports",
    "initial-cluster": "the pilot bootstraps and joins members itself",
    "initial-cluster-state": "the pilot bootstraps and joins members itself",
    "initial-cluster-token": "the pilot picks a random token for every bootstrap",
    "force-new-cluster":
      "applied at every start it would make each member a cluster of one; the pilot uses it only in the one case that is safe",
    "enable-v2": "the v2 API is gone in etcd 3.6, and the pilot manages members through v3 only",
    "config-file": "a configuration file would override the flags the pilot sets",
    "logger": "the pilot reads etcd's log on stderr (zap) to tell why it exited",
    "log-outputs": "the pilot reads etcd's log on stderr (zap) to tell why it exited",
  ]
  /// Flags the pilot owns when it manages TLS.
  static let ownedWithTLS: [String: String] = [
    "cert-file": "the pilot manages TLS", "key-file": "the pilot manages TLS",
    "trusted-ca-file": "the pilot manages TLS",
    "client-cert-auth": "the pilot manages TLS", "peer-cert-file": "the pilot manages TLS",
    "peer-key-file": "the pilot manages TLS", "peer-trusted-ca-file": "the pilot manages TLS",
    "peer-client-cert-auth": "the pilot manages TLS", "client-cert-file": "the pilot manages TLS",
    "client-key-file": "the pilot manages TLS", "peer-client-cert-file": "the pilot manages TLS",
    "peer-client-key-file": "the pilot manages TLS",
    "auto-tls": "self-signed certificates over the managed ones would let any peer in",
    "peer-auto-tls": "self-signed certificates over the managed ones would let any peer in",
  ]

  /// The first refused flag among `arguments`, as one line naming it, why, and what to do.
  public static func refusal(_ arguments: [String], managedTLS: Bool) -> String? {
    for argument in arguments where argument.hasPrefix("-") {
      let name = flagName(of: argument)
      if let why = reason(name, managedTLS: managedTLS) {
        return "etcd flag --\(name) is refused: \(why); remove it from the flags passed to etcd"
      }
    }
    return nil
  }

  /// The first `ETCD_*` variable that sets a refused flag: etcd reads them as flags, at every
  /// start, and etcd inherits the pilot's environment.
  public static func refusal(environment: [String: String], managedTLS: Bool) -> String? {
    for name in environment.keys.sorted() where name.hasPrefix("ETCD_") {
      let flag = String(name.dropFirst(5).lowercased().map { $0 == "_" ? "-" : $0 })
      if let why = reason(flag, managedTLS: managedTLS) {
        return
          "environment variable \(name) (etcd's --\(flag)) is refused: \(why); remove it from the pod's environment"
      }
    }
    return nil
  }

  /// The flag an argument names: `--quota-backend-bytes=1` → `quota-backend-bytes`.
  static func flagName(of argument: String) -> String {
    var name = argument.drop { $0 == "-" }
    if let end = name.firstIndex(where: { $0 == "=" || $0 == " " }) { name = name[..<end] }
    return String(name)
  }

  static func reason(_ flag: String, managedTLS: Bool) -> String? {
    owned[flag] ?? (managedTLS ? ownedWithTLS[flag] : nil)
      ?? (flag.hasPrefix("discovery")
        ? "the pilot bootstraps members itself; discovery would form another cluster" : nil)
  }
}
