/// Which backups to remove so that the newest `keep` remain: only files named as
/// ``BackupName`` names them, so nothing else in the folder is ever touched.
public enum BackupRetention {
  /// The backups of `prefix` among `files` beyond the newest `keep`, oldest first. `keep` 0
  /// keeps everything. `written`, the backup just taken, always stays and counts as one of the
  /// `keep`, even if older names sort after it (a clock set back since they were written).
  public static func expired(_ files: [String], prefix: String, keep: Int, written: BackupName? = nil) -> [BackupName] {
    guard keep > 0 else { return [] }
    let backups = files.compactMap { BackupName(parsing: $0, prefix: prefix) }.sorted()
    guard let written, backups.contains(written) else { return Array(backups.dropLast(keep)) }
    return Array(backups.filter { $0 != written }.dropLast(keep - 1))
  }

  /// The unfinished backups of `prefix` among `files` (`<backup name>.part`, and a record's
  /// `<backup name>.json.part`): left by a backup
  /// that was killed while it wrote; whether one is still being written is for the caller to
  /// find out (the writer holds it locked).
  public static func unfinished(_ files: [String], prefix: String) -> [String] {
    files.filter { file in
      guard file.hasSuffix(".part") else { return false }
      var name = String(file.dropLast(".part".count))
      if name.hasSuffix(".db.json") { name = String(name.dropLast(".json".count)) }  // a record being written
      return BackupName(parsing: name, prefix: prefix) != nil
    }.sorted()
  }

  /// The name for a backup taken at `time`, given the files already in the folder.
  public static func nextName(prefix: String, time: Int64, existing files: [String]) -> BackupName {
    let taken = Set(
      files.compactMap { BackupName(parsing: $0, prefix: prefix) }.filter { $0.time == time }.map(\.sequence))
    var name = BackupName(prefix: prefix, time: time)
    while taken.contains(name.sequence) || files.contains(name.description) { name.sequence += 1 }
    return name
  }
}
