/// What the pilot found on its volume.
public struct VolumeState: Sendable, Hashable {
  /// etcd's data directory holds a member (a WAL).
  public var hasEtcdData: Bool
  /// The pilot's own notes on the volume.
  public var notes: PilotNotes
  /// Copies of earlier data moved aside and still kept.
  public var asideCopies: Int
  /// Free bytes on the volume, when known.
  public var freeBytes: Int64?

  public init(hasEtcdData: Bool, notes: PilotNotes = PilotNotes(), asideCopies: Int = 0, freeBytes: Int64? = nil) {
    self.hasEtcdData = hasEtcdData
    self.notes = notes
    self.asideCopies = asideCopies
    self.freeBytes = freeBytes
  }

  /// Fresh: no etcd data, no bootstrap marker, never part of a formed cluster. Copies moved
  /// aside do not count: they are kept for people, not used by the pilot.
  public var isFresh: Bool { !hasEtcdData && notes.marker == nil && !notes.formed }
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

  public init(marker: BootstrapMarker? = nil, formed: Bool = false, memberID: String? = nil, token: String? = nil) {
    self.marker = marker
    self.formed = formed
    self.memberID = memberID
    self.token = token
  }
}
