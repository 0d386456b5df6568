/// A size as users write it: bytes (`67108864`) or a Kubernetes quantity (`64Mi`, `2Gi`, `500M`).
public enum ByteQuantity {
  static let multipliers: [String: Double] = [
    "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
    "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776, "Pi": 1_125_899_906_842_624,
  ]

  /// The bytes `text` names; `nil` when it is no size.
  public static func parse(_ text: String) -> Int64? {
    let suffixStart = text.firstIndex { !$0.isNumber && $0 != "." } ?? text.endIndex
    let number = text[..<suffixStart]
    guard !number.isEmpty, let value = Double(number), let multiplier = multipliers[String(text[suffixStart...])]
    else { return nil }
    let bytes = value * multiplier
    guard bytes >= 0, bytes < Double(Int64.max) else { return nil }
    return Int64(bytes)
  }
}
