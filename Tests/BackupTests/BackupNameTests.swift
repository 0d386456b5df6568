import Backup
import Testing

@Suite("backup names and retention")
struct BackupNameTests {
  // 2025-12-01T20:15:00Z
  let time: Int64 = 1_764_620_100

  @Test("a name is <prefix>-<UTC time>.db and reads back as itself; a second backup of the same second gets -2")
  func nameRoundTrip() {
    let name = BackupName(prefix: "etcd", time: time)
    #expect(name.description == "etcd-20251201T201500Z.db")
    #expect(BackupName(parsing: name.description, prefix: "etcd") == name)
    let next = BackupRetention.nextName(prefix: "etcd", time: time, existing: [name.description])
    #expect(next.description == "etcd-20251201T201500Z-2.db")
    #expect(BackupName(parsing: next.description, prefix: "etcd") == next)
    #expect(BackupRetention.nextName(prefix: "etcd", time: time + 1, existing: [name.description]).sequence == 1)
  }

  @Test("only names of that form are backups: other files, other prefixes, impossible dates are not")
  func foreignFiles() {
    for file in [
      "etcd-20251201T201500Z.db.json", "etcd-20251201T201500Z.db.part", "etcd-notes.db", "etcd-20251231T246000Z.db",
      "etcd-20250231T101500Z.db", "etcd-20251201T201500Z-1.db", "etcd-20251201T201500Z-02.db",
      "other-20251201T201500Z.db",
      "etcd-20251201T201500Z-x.db", "etcd-2025-12-01.db",
    ] {
      #expect(BackupName(parsing: file, prefix: "etcd") == nil, "\(file)")
    }
    // A prefix that is itself a prefix of another is not confused with it.
    #expect(BackupName(parsing: "etcd-main-20251201T201500Z.db", prefix: "etcd") == nil)
    #expect(BackupName(parsing: "etcd-main-20251201T201500Z.db", prefix: "etcd-main") != nil)
  }

  @Test(
    "retention removes the oldest beyond keep, by time and then sequence, and never a foreign file; keep 0 keeps all")
  func retention() {
    let names = (0..<5).map { BackupName(prefix: "etcd", time: time + Int64($0 / 2), sequence: $0 % 2 + 1).description }
    let files = names.shuffled() + ["etcd-notes.txt", "etcd-20251201T201500Z.db.json", "other-20251201T201500Z.db"]
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 2).map(\.description) == Array(names.prefix(3)))
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 5).isEmpty)
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 9).isEmpty)
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 0).isEmpty)
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 1).count == 4)
  }

  @Test("the backup just written is never removed, even when the clock went back and older names sort after it")
  func writtenStays() {
    let future = (1...3).map { BackupName(prefix: "etcd", time: time + 3600 * Int64($0)) }
    let written = BackupName(prefix: "etcd", time: time)
    let files = (future + [written]).map(\.description)
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 1, written: written) == future)
    #expect(BackupRetention.expired(files, prefix: "etcd", keep: 2, written: written) == Array(future.prefix(2)))
    #expect(!BackupRetention.expired(files, prefix: "etcd", keep: 1, written: written).contains(written))
  }

  @Test("unfinished files are a backup's name with .part (or its record's .json.part), of this prefix only")
  func unfinished() {
    let name = BackupName(prefix: "etcd", time: time).description
    let files = [
      name + ".part", name + ".json.part", name, "other-20261201T201500Z.db.part", "etcd-notes.part", "etcd-x.db.part",
      "notes.txt",
    ]
    #expect(BackupRetention.unfinished(files, prefix: "etcd") == [name + ".json.part", name + ".part"])
  }
}
