import HarvestCore

/// How much space stored logprobs take: blobs plus the teachers' vocabulary tables (docs/FORMATS.md, `HLP2`).
public struct LogprobStorageStats: Sendable, Equatable {
    /// Responses with a logprob blob.
    public var responses = 0
    /// Positions (sampled tokens) in those blobs.
    public var positions = 0
    /// Bytes of the blobs.
    public var blobBytes = 0
    /// Vocabulary entries over all teachers.
    public var vocabularyEntries = 0
    /// Bytes of the vocabulary entries.
    public var vocabularyBytes = 0

    /// Empty statistics.
    public init() {}

    /// Blob and vocabulary bytes per position.
    public var bytesPerPosition: Double { Double(blobBytes + vocabularyBytes) / Double(max(positions, 1)) }
}

extension SQLiteStore {
    /// Measures the stored logprobs (reads every blob's header; for benchmarks and `stats`).
    public func logprobStorageStats() throws -> LogprobStorageStats {
        try read { db in
            var stats = LogprobStorageStats()
            try db.with("SELECT logprobs FROM responses WHERE logprobs IS NOT NULL") { s in
                while try s.step() {
                    let blob = s.blob(0)
                    stats.responses += 1
                    stats.blobBytes += blob.count
                    stats.positions += LogprobCodec.positionCount(blob) ?? 0
                }
            }
            try db.with("SELECT count(*), coalesce(sum(length(entry)), 0) FROM logprob_vocab") { s in
                if try s.step() {
                    stats.vocabularyEntries = s.int(0)
                    stats.vocabularyBytes = s.int(1)
                }
            }
            return stats
        }
    }
}
