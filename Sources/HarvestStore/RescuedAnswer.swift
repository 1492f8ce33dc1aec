import HarvestCore

/// An answer that was paid for but could not be committed, as read back from a rescue file.
public struct RescuedAnswer: Sendable {
    /// The job key (32 bytes): identifies the job in any database that has it.
    public var jobKey: [UInt8]
    /// The successful attempt (its `jobId` is ignored; the key decides).
    public var attempt: AttemptRecord
    /// The answer (its `jobId` is ignored; the key decides).
    public var response: ResponseRecord

    /// Creates a rescued answer.
    public init(jobKey: [UInt8], attempt: AttemptRecord, response: ResponseRecord) {
        self.jobKey = jobKey
        self.attempt = attempt
        self.response = response
    }
}
