/// The membership lock's one rule: a pod holds the lock only to change the membership (or to
/// defragment a member: one at a time across the cluster). A plan made while the lock is held
/// either does such a step (and may release the lock after it) or releases it first; a pod that only waits, starts, stops or moves data never
/// keeps others from changing the membership meanwhile (the learner it waits for needs the lock
/// to be promoted; the reconciler elsewhere needs it to remove a dead member).
///
/// A finished plan (no steps, only while stopping) is left as it is: the pilot releases the lock
/// as it exits. A plan made without the lock never releases it.
enum LockRule {
  static func applied(_ plan: Plan, holdsLock: Bool) -> Plan {
    var plan = plan
    if !holdsLock {
      plan.steps.removeAll { $0 == .releaseLock }
      return plan
    }
    let keeps =
      plan.steps.contains(where: \.needsLock) || plan.steps.contains(.acquireLock) || plan.steps.contains(.releaseLock)
    if !keeps, !plan.steps.isEmpty { plan.steps.insert(.releaseLock, at: 0) }
    return plan
  }
}
