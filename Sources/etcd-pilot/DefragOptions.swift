import ArgumentParser
import Membership
import Pilot

/// `etcd-pilot member`'s defragmentation rule (the chart's `defrag` values): when the pilot
/// beside the leader defragments a member. NOSPACE is handled whatever the rule says.
struct DefragOptions: ParsableArguments {
  @Option(
    name: .customLong("defrag-free-percent"),
    help: "Defragment a member once this percentage of its database is free (1 to 100; default 50)...")
  var freePercent: String?

  @Option(
    name: .customLong("defrag-min-free"),
    help: "... and at least this much is free, in bytes or as a quantity (default 64Mi).")
  var minimumFree: String?

  @Option(
    name: .customLong("defrag-quota-percent"),
    help: "Or once its database is above this percentage of the quota (1 to 100; default 80).")
  var quotaPercent: String?

  @Flag(
    name: .customLong("no-defrag"),
    help: "Never defragment by the rule (NOSPACE is still compacted, defragmented and disarmed).")
  var off = false

  /// The rule, or the first flag that is not one, in one line with the fix.
  func rule() throws(PilotError) -> DefragRule {
    var rule = DefragRule()
    rule.enabled = !off
    if let freePercent { rule.freeShare = try Self.share(freePercent, flag: "--defrag-free-percent") }
    if let quotaPercent { rule.quotaShare = try Self.share(quotaPercent, flag: "--defrag-quota-percent") }
    if let minimumFree {
      guard let bytes = ByteQuantity.parse(minimumFree), bytes >= 0 else {
        throw PilotError(
          "--defrag-min-free '\(minimumFree)' is not a size: give bytes or a quantity such as 64Mi or 1Gi")
      }
      rule.minimumFreeBytes = bytes
    }
    return rule
  }

  /// A whole percentage as a share (the chart's values are percentages: `helm --set` passes
  /// whole numbers as numbers, fractions as strings).
  static func share(_ text: String, flag: String) throws(PilotError) -> Double {
    guard let value = Int(text), (1...100).contains(value) else {
      throw PilotError("\(flag) '\(text)' is not a percentage: give a whole number from 1 to 100, such as 50")
    }
    return Double(value) / 100
  }
}
