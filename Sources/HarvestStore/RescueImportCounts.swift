/// What ``RecoveryStore/importRescued(_:)`` did with each rescued answer.
public struct RescueImportCounts: Sendable, Equatable {
    /// Answers stored now (their jobs became done).
    public var stored = 0
    /// Answers skipped because their job was already done (imported before, or answered again meanwhile).
    public var alreadyDone = 0
    /// Indexes (0-based, in the given order) of answers whose job key this database does not have.
    public var unknown: [Int] = []

    /// Creates counts.
    public init(stored: Int = 0, alreadyDone: Int = 0, unknown: [Int] = []) {
        self.stored = stored
        self.alreadyDone = alreadyDone
        self.unknown = unknown
    }
}
