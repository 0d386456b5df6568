/// What the pilot found on its volume.
public struct VolumeState: Sendable, Hashable {
  /// etcd's data directory holds a member: a WAL segment (etcd's own test of an initialized
  /// member).
  public var hasEtcdData: Bool
  /// No WAL, but a backend or snapshot files: what a start killed before it wrote its WAL leaves
  /// (or data whose WAL was lost). etcd cannot start from it, and it is never taken for empty.
  public var hasPartialData = false
  /// The pilot's own notes on the volume.
  public var notes: PilotNotes
  /// Copies of earlier data moved aside and still kept, oldest first.
  public var aside: [AsideCopy]
  /// Free bytes on the volume, when known.
  public var freeBytes: Int64?
  /// Which member of which cluster etcd's data is, as its WAL says (the WAL's metadata record);
  /// `nil` with no data, or when the WAL has no metadata yet.
  public var dataIdentity: DataIdentity?
  /// Why the volume could not be read (permissions, I/O): then nothing about it is known, and
  /// nothing may be decided as if it were empty.
  public var readProblem: String?

  public init(
    hasEtcdData: Bool, notes: PilotNotes = PilotNotes(), aside: [AsideCopy] = [], freeBytes: Int64? = nil,
    dataIdentity: DataIdentity? = nil, readProblem: String? = nil
  ) {
    self.hasEtcdData = hasEtcdData
    self.notes = notes
    self.aside = aside
    self.freeBytes = freeBytes
    self.dataIdentity = dataIdentity
    self.readProblem = readProblem
  }

  /// A volume that could not be read: nothing about it is known.
  public static func unreadable(_ problem: String) -> VolumeState {
    VolumeState(hasEtcdData: false, readProblem: problem)
  }

  /// Fresh: no etcd data, no bootstrap marker, never part of a formed cluster, never served.
  /// Copies moved aside do not count: they are kept for people, not used by the pilot. An
  /// unreadable volume is never fresh.
  public var isFresh: Bool {
    readProblem == nil && !hasEtcdData && !hasPartialData && notes.marker == nil && !notes.formed && !notes.served
  }
}

/// The member and cluster IDs in etcd's WAL (its metadata record).
public struct DataIdentity: Sendable, Hashable {
  public var memberID: UInt64
  public var clusterID: UInt64

  public init(memberID: UInt64, clusterID: UInt64) {
    self.memberID = memberID
    self.clusterID = clusterID
  }
}

/// A copy of etcd's data the pilot moved aside, kept on the volume.
public struct AsideCopy: Sendable, Hashable, Codable {
  /// The folder's name under `aside/`.
  public var name: String
  /// Bytes it takes on the volume.
  public var bytes: Int64
  /// It was moved aside while the cluster held every committed entry without it (a removed
  /// member, data etcd could not use while the others kept quorum): nothing only it holds. Only
  /// such copies are ever deleted by the pilot, and only to make room for a join.
  public var redundant: Bool

  public init(name: String, bytes: Int64, redundant: Bool) {
    self.name = name
    self.bytes = bytes
    self.redundant = redundant
  }
}

/// What a pilot writes on its own volume (next to etcd's data) so that a restart knows.
public struct PilotNotes: Sendable, Hashable, Codable {
  /// The bootstrap marker this volume took part in.
  public var marker: BootstrapMarker?
  /// Set once this pilot saw the cluster formed.
  public var formed: Bool
  /// The member ID etcd's data belongs to, in hex, once known.
  public var memberID: String?
  /// The cluster token of the data, once known.
  public var token: String?
  /// The cluster ID, in hex, once known: the cluster this volume belongs to.
  public var clusterID: String?
  /// Set the first time this pod's etcd served clients. etcd serves only once it has published
  /// itself through raft, so a leader existed and a quorum committed: from then on this volume's
  /// cluster may have acknowledged writes, and its bootstrap is never given up.
  public var served: Bool

  public init(
    marker: BootstrapMarker? = nil, formed: Bool = false, memberID: String? = nil, token: String? = nil,
    clusterID: String? = nil, served: Bool = false
  ) {
    self.marker = marker
    self.formed = formed
    self.memberID = memberID
    self.token = token
    self.clusterID = clusterID
    self.served = served
  }

  enum CodingKeys: String, CodingKey {
    case marker, formed, memberID, token, clusterID, served
  }

  /// Notes written by earlier pilots lack the newer fields.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    marker = try container.decodeIfPresent(BootstrapMarker.self, forKey: .marker)
    formed = try container.decodeIfPresent(Bool.self, forKey: .formed) ?? false
    memberID = try container.decodeIfPresent(String.self, forKey: .memberID)
    token = try container.decodeIfPresent(String.self, forKey: .token)
    clusterID = try container.decodeIfPresent(String.self, forKey: .clusterID)
    served = try container.decodeIfPresent(Bool.self, forKey: .served) ?? false
  }
}
