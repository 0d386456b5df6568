/// Who a pilot is: its pod's name and ordinal and the URLs its etcd member uses.
public struct PodIdentity: Sendable, Hashable, Codable {
  /// The pod name, e.g. `etcd-2`; also the etcd member name.
  public var name: String
  /// The ordinal, the pod name's numeric suffix.
  public var ordinal: Int
  /// The peer URL other members dial (from a stable DNS name or a fixed address).
  public var peerURL: String
  /// The client URL.
  public var clientURL: String

  public init(name: String, ordinal: Int, peerURL: String, clientURL: String) {
    self.name = name
    self.ordinal = ordinal
    self.peerURL = peerURL
    self.clientURL = clientURL
  }

  /// The ordinal of a StatefulSet pod name (`web-3` → 3), or nil when it has none.
  public static func ordinal(ofPodName name: String) -> Int? {
    guard let dash = name.lastIndex(of: "-") else { return nil }
    let suffix = name[name.index(after: dash)...]
    guard !suffix.isEmpty, suffix.allSatisfy(\.isASCII), suffix.allSatisfy(\.isNumber), let value = Int(suffix),
      suffix == "0" || !suffix.hasPrefix("0")
    else { return nil }
    return value
  }

  /// The StatefulSet name of a pod name (`web-3` → `web`).
  public static func statefulSetName(ofPodName name: String) -> String? {
    guard ordinal(ofPodName: name) != nil, let dash = name.lastIndex(of: "-") else { return nil }
    return String(name[..<dash])
  }
}

/// One pod of the StatefulSet as the pilot can address it, whether or not it exists now.
public struct PodAddress: Sendable, Hashable, Codable {
  public var name: String
  public var ordinal: Int
  public var peerURL: String
  public var clientURL: String
  /// Where the pod's pilot answers `/status`.
  public var pilotURL: String

  public init(name: String, ordinal: Int, peerURL: String, clientURL: String, pilotURL: String) {
    self.name = name
    self.ordinal = ordinal
    self.peerURL = peerURL
    self.clientURL = clientURL
    self.pilotURL = pilotURL
  }
}
