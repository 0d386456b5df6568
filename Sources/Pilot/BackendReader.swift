import Foundation

/// Reads one value from etcd's backend (`member/snap/db`, a bbolt file) without opening it as a
/// database: the applied index etcd records with every backend commit (bucket `meta`, key
/// `consistent_index`, 8 bytes big-endian). Read-only; etcd must not be running.
///
/// The layout, as bbolt writes it: pages of `pageSize` bytes, each with a 16-byte header {id
/// u64, flags u16, count u16, overflow u32} (a page spans `overflow + 1` pages). Pages 0 and 1
/// are meta pages {magic u32 = 0xED0CDAED, version u32 = 2, pageSize u32, flags u32, root bucket
/// {root u64, sequence u64}, freelist u64, pgid u64, txid u64, checksum u64 (FNV-1a of the 56
/// bytes before it)}; the valid one with the higher txid is current. Branch pages hold elements
/// {pos u32, ksize u32, pgid u64}, leaf pages {flags u32, pos u32, ksize u32, vsize u32}, each
/// `pos` bytes from the element to its key (a leaf's value follows its key). A leaf element with
/// flag 1 is a bucket: its value is {root u64, sequence u64}, followed, when root is 0, by the
/// bucket's own leaf page inline. Integers are little-endian (bbolt writes native order, and
/// etcd runs on little-endian machines).
struct BackendReader {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  let path: String

  static let magic: UInt32 = 0xED0C_DAED
  static let branchPage: UInt16 = 0x01
  static let leafPage: UInt16 = 0x02
  static let bucketLeaf: UInt32 = 0x01

  /// etcd's applied index as its backend last committed it; `nil` when the backend has none.
  func consistentIndex() throws(Failure) -> UInt64? {
    guard let value = try value(bucket: Array("meta".utf8), key: Array("consistent_index".utf8)) else { return nil }
    guard value.count == 8 else {
      throw Failure(description: "consistent_index in \(path) is \(value.count) bytes, not 8")
    }
    return value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
  }

  /// The value of `key` in the top-level bucket `bucket`.
  func value(bucket: [UInt8], key: [UInt8]) throws(Failure) -> [UInt8]? {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot open \(path)") }
    defer { try? handle.close() }
    let file = File(handle: handle, path: path)
    let first = try file.read(at: 0, count: 4096)
    guard first.count >= 64 else { throw Failure(description: "\(path) is too short to be a bbolt database") }
    let pageSize = Int(first.u32(16 + 8))
    guard pageSize >= 512, pageSize <= 1 << 20 else {
      throw Failure(description: "\(path) has no valid bbolt meta page")
    }
    var metas: [Meta] = []
    for page in [0, 1] {
      if let meta = Meta(try file.read(at: page * pageSize, count: 128)) { metas.append(meta) }
    }
    guard let meta = metas.max(by: { $0.txid < $1.txid }) else {
      throw Failure(description: "neither meta page of \(path) is valid (not a bbolt database, or damaged)")
    }
    let reader = Pages(file: file, pageSize: pageSize)
    guard let bucketValue = try reader.find(bucket, inTreeAt: meta.root, wantBucket: true) else { return nil }
    guard bucketValue.count >= 16 else {
      throw Failure(description: "bucket \(String(decoding: bucket, as: UTF8.self)) in \(path) is damaged")
    }
    let root = bucketValue.u64(0)
    if root == 0 {
      // An inline bucket: its leaf page follows the bucket header.
      return try Pages.search(key, inLeaf: Array(bucketValue[16...]), wantBucket: false, path: path)
    }
    return try reader.find(key, inTreeAt: root, wantBucket: false)
  }

  struct Meta {
    var root: UInt64
    var txid: UInt64

    /// A meta page's contents when valid: magic, version and checksum all right.
    init?(_ page: [UInt8]) {
      guard page.count >= 16 + 64 - 8 else { return nil }
      let meta = Array(page[16...])
      guard meta.u32(0) == BackendReader.magic, meta.u32(4) == 2 else { return nil }
      var hash: UInt64 = 0xcbf2_9ce4_8422_2325
      for byte in meta[0..<56] {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
      }
      guard hash == meta.u64(56) else { return nil }
      root = meta.u64(16)
      txid = meta.u64(48)
    }
  }

  struct File {
    let handle: FileHandle
    let path: String

    func read(at offset: Int, count: Int) throws(Failure) -> [UInt8] {
      do {
        try handle.seek(toOffset: UInt64(offset))
        return [UInt8](try handle.read(upToCount: count) ?? Data())
      } catch {
        throw Failure(description: "cannot read \(path) at \(offset): \(error)")
      }
    }
  }

  struct Pages {
    let file: File
    let pageSize: Int

    func page(_ id: UInt64) throws(Failure) -> [UInt8] {
      let offset = Int(id) * pageSize
      var bytes = try file.read(at: offset, count: pageSize)
      guard bytes.count == pageSize else {
        throw Failure(description: "page \(id) of \(file.path) lies beyond its end")
      }
      let overflow = Int(bytes.u32(12))
      if overflow > 0 { bytes += try file.read(at: offset + pageSize, count: overflow * pageSize) }
      return bytes
    }

    /// Descends the tree from page `root` to the leaf that holds `key`.
    func find(_ key: [UInt8], inTreeAt root: UInt64, wantBucket: Bool) throws(Failure) -> [UInt8]? {
      var id = root
      for _ in 0..<64 {
        let bytes = try page(id)
        let flags = bytes.u16(8)
        let count = Int(bytes.u16(10))
        if flags & BackendReader.leafPage != 0 {
          return try Pages.search(key, inLeaf: bytes, wantBucket: wantBucket, path: file.path)
        }
        guard flags & BackendReader.branchPage != 0, count > 0 else {
          throw Failure(description: "page \(id) of \(file.path) is neither a branch nor a leaf")
        }
        // The last element whose key is not above the one searched for.
        var child = bytes.u64(16 + 8)
        for index in 0..<count {
          let element = 16 + index * 16
          let start = element + Int(bytes.u32(element))
          let length = Int(bytes.u32(element + 4))
          guard start + length <= bytes.count else {
            throw Failure(description: "page \(id) of \(file.path) is damaged")
          }
          if Array(bytes[start..<start + length]).lexicographicallyPrecedes(key)
            || Array(bytes[start..<start + length]) == key
          {
            child = bytes.u64(element + 8)
          } else {
            break
          }
        }
        id = child
      }
      throw Failure(description: "\(file.path)'s tree is deeper than any bbolt tree: damaged")
    }

    /// `key`'s value in a leaf page (a page's bytes, header first).
    static func search(
      _ key: [UInt8], inLeaf bytes: [UInt8], wantBucket: Bool, path: String
    ) throws(Failure) -> [UInt8]? {
      guard bytes.count >= 16 else { throw Failure(description: "a leaf page of \(path) is damaged") }
      let count = Int(bytes.u16(10))
      for index in 0..<count {
        let element = 16 + index * 16
        guard element + 16 <= bytes.count else { throw Failure(description: "a leaf page of \(path) is damaged") }
        let flags = bytes.u32(element)
        let start = element + Int(bytes.u32(element + 4))
        let keyLength = Int(bytes.u32(element + 8))
        let valueLength = Int(bytes.u32(element + 12))
        guard start + keyLength + valueLength <= bytes.count else {
          throw Failure(description: "a leaf page of \(path) is damaged")
        }
        guard Array(bytes[start..<start + keyLength]) == key else { continue }
        guard (flags & BackendReader.bucketLeaf != 0) == wantBucket else { return nil }
        return Array(bytes[start + keyLength..<start + keyLength + valueLength])
      }
      return nil
    }
  }
}

extension Array where Element == UInt8 {
  fileprivate func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
  fileprivate func u32(_ offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
  }
  fileprivate func u64(_ offset: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
  }
}
