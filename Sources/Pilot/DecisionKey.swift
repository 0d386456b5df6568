import Membership

/// What makes two plans the same decision for the log: their steps and their reason's kind. A
/// wait whose seconds count up is one decision; removing etcd-2 and removing etcd-4 are two.
struct DecisionKey: Hashable, Sendable {
  var steps: [Step]
  var kind: Reason.Kind
}
