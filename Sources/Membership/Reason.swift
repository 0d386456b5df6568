/// Why a plan was made: its kind, a stable case that tests, `/status` and the pilot's log
/// compare, and its text, the kind told with what this observation showed (the log's prose).
public struct Reason: Sendable, Hashable, CustomStringConvertible {
  public var kind: Kind
  public var text: String

  public init(_ kind: Kind, _ text: String) {
    self.kind = kind
    self.text = text
  }

  public var description: String { text }

  /// Every kind of decision the engine makes, by the decision that makes it. The raw value is
  /// what `/status` publishes.
  public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
    // Start (``StartDecision``)
    case startingFromData
    case startingWhilePaused
    case paused
    case pausedNoData
    case aboveDesired
    case otherClusterData
    case partialDataNoQuorum
    case partialDataMovingAside
    // Bootstrap (``BootstrapDecision``)
    case proposingCluster
    case adoptingBootstrap
    case resumingBootstrap
    case startingAsLateMember
    case waitingForProposal
    case waitingForFreshPods
    case waitingForAbsentPods
    case noProposalToken
    case volumeNotFresh
    case recordExistsNoQuorum
    case peerFormedNoQuorum
    case foreignClusterAnswers
    case readingLogBeforeAbandoning
    case bootstrapLogUnreadable
    case bootstrapSawLeader
    case abandoningBootstrap
    // Join (``JoinDecision``)
    case joiningAsLearner
    case joinNeedsLock
    case formingWithoutMe
    case learnerJoining
    case removingStaleEntry
    case staleEntryLosesQuorum
    case removingUnownedDead
    case downVoterBlocksAdd
    case deletingRedundantAside
    case notEnoughSpace
    // etcd running (``RunningDecision``)
    case etcdNotRunning
    case etcdStarting
    case notServing
    case noQuorum
    case notingMember
    case unlisted
    case restartingForTokens
    case tokenRestartLosesQuorum
    case notingFormation
    case formed
    case joinedAsVoter
    case joinedRecordMissing
    case rewritingRecord
    case peerURLChanged
    case healthy
    // Learner promotion (``RunningDecision``)
    case learnerStarting
    case learnerBehind
    case restartingLearnerForAuth
    case promotionNeedsLock
    case promoting
    // Beside the leader (``Reconciler``)
    case reconcilerNeedsLock
    case reconcilerRemoving
    case reconcilerBlocked
    // Consistency check (``ConsistencyDecision``)
    case consistencyUndecided
    case divergedLeader
    case divergedReportOnly
    case divergedConfirming
    case divergedRemovalLosesQuorum
    case divergedNeedsLock
    case removingDiverged
    // Space beside the leader (``MaintenanceDecision``)
    case defragmenting
    case defragNeedsLock
    case defragWaitsForHealth
    case handingOffToDefragment
    case compactingForNoSpace
    case disarmingNoSpace
    case noSpaceOverQuota
    // etcd exited (``ExitDecision``)
    case removedNoQuorum
    case removedUnknownMember
    case removedButListed
    case removedMovingAside
    case alreadyBootstrapped
    case corruptNoQuorum
    case corruptOthersNoQuorum
    case replacingCorrupt
    // Stop (``StopDecision``)
    case stopping
    case stopped
    case stoppedAfterExit
    case handingOffToStop
    case handingOffToLeave
    case leaving
    case leavingNeedsLock
    case leavingLosesQuorum
    case leavingNoQuorum
    case leavingWaitsForQuorum
    case leavingWaitsForList
    case leftUnlisted
    case leftMovingAside
    // Stranded two-voter cluster (``StrandedDecision``)
    case strandedWaiting
    case strandedStopping
    case strandedReadingLog
    case forcingNewCluster
    case strandedRefused
    // The volume (``VolumeProblemDecision``)
    case volumeUnreadable
  }
}
