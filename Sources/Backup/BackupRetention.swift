/// Which backups to remove so that the newest `keep` remain: only files named as
/// ``BackupName`` names them, so nothing else in the folder is ever touched.
public enum BackupRetention {
  /// The backups of `prefix` among `files` beyond the newest `keep`, oldest first. `keep` 0
  /// keeps everything.
  public static func expired(_ files: [String], prefix: String, keep: Int) -> [BackupName] {
    guard keep > 0 else { return [] }
    let backups = files.compactMap { BackupName(parsing: $0, prefix: prefix) }.sorted()
    return Array(backups.dropLast(keep))
  }

  /// The name for a backup taken at `time`, given the files already in the folder.
  public static func nextName(prefix: String, time: Int64, existing files: [String]) -> BackupName {
    let taken = Set(files.compactMap { BackupName(parsing: $0, prefix: prefix) }.filter { $0.time == time }.map(\.sequence))
    var name = BackupName(prefix: prefix, time: time)
    while taken.contains(name.sequence) || files.contains(name.description) { name.sequence += 1 }
    return name
  }
}
