import HarvestCore

/// Carries `responses.logprobs` from the source's vocabulary to the target's without decoding them.
///
/// ``transfer(from:to:)`` copies each teacher's vocabulary first (one target transaction: the entries the target
/// lacks) and keeps a source → target index map per teacher; ``carry(_:teacherId:)`` then rewrites only the
/// indices inside an `HLP2` blob (``LogprobCodec/reindexVersion2(_:_:)``: logprob bytes, modes and structure stay
/// byte for byte), or hands the blob over untouched when the teacher's numbering is the same on both sides (SQLite to
/// SQLite, or any copy into a target that had no vocabulary for the teacher and could take the source's numbering).
/// `HLP1` blobs hold no indices and are copied as they are.
final class LogprobCarrier {
    private let plans: [Int64: VocabularyPlan]

    private init(plans: [Int64: VocabularyPlan]) { self.plans = plans }

    /// Adds to `target` every source vocabulary entry it lacks (inside one target write transaction) and returns the
    /// carrier for the source's blobs. Needs the target's `teachers` rows (copied before `responses`).
    static func transfer(from source: any CopyEndpoint, to target: any CopyEndpoint) throws -> LogprobCarrier {
        var plans: [Int64: VocabularyPlan] = [:]
        try target.write {
            for teacher in try source.vocabularyTeachers() {
                let plan = VocabularyPlan(source: try source.vocabulary(teacherId: teacher),
                                          target: try target.vocabulary(teacherId: teacher), dense: target.denseVocabulary)
                if !plan.added.isEmpty { try target.addVocabulary(teacherId: teacher, entries: plan.added) }
                plans[teacher] = plan
            }
        }
        return LogprobCarrier(plans: plans)
    }

    /// The blob as the target stores it.
    func carry(_ blob: [UInt8], teacherId: Int64) throws -> [UInt8] {
        guard LogprobCodec.isVersion2(blob) else { return blob }
        guard let plan = plans[teacherId] else { throw NoVocabulary(teacherId: teacherId) }
        if plan.isIdentity { return blob }
        return try plan.map.withLookup { target in try LogprobCodec.reindexVersion2(blob, target) }
    }

    /// An `HLP2` blob of a teacher without vocabulary entries in the source.
    struct NoVocabulary: Error, CustomStringConvertible {
        let teacherId: Int64
        var description: String { "its logprobs refer to the vocabulary of teacher \(teacherId), which has no entries in the source" }
    }

    /// Teachers whose blobs are re-indexed (for the report), and those copied unchanged.
    var teachers: (reindexed: Int, unchanged: Int) {
        let identity = plans.values.filter(\.isIdentity).count
        return (plans.count - identity, identity)
    }
}
