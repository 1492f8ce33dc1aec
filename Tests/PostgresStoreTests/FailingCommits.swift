import Foundation
import HarvestCore
import SQLiteStore

/// A curation store that forwards to another and fails every page commit after the first `after` (as a process
/// killed during a run stops committing): the pages committed before stay, as after `kill -9`.
final class FailingCommits: CurationStore, @unchecked Sendable {
    private let store: any CurationStore
    private let lock = NSLock()
    private var left: Int

    init(_ store: any CurationStore, after: Int) {
        self.store = store
        left = after
    }

    func commitCuration(_ commit: CurationCommit) throws -> Int64 {
        try lock.withLock {
            guard left > 0 else { throw InterruptedCommit() }
            left -= 1
        }
        return try store.commitCuration(commit)
    }

    var location: String { store.location }
    var localFiles: [String] { store.localFiles }
    func setExists(_ name: String) throws -> Bool { try store.setExists(name) }
    func responses(query: ResponseQuery) throws -> [StoredResponse] { try store.responses(query: query) }
    func openResponsePages(query: ResponseQuery) throws -> any ResponsePages { try store.openResponsePages(query: query) }
    func settledResponseId() throws -> Int64? { try store.settledResponseId() }
    func memberships(promptId: Int64) throws -> [(set: String, externalId: String)] { try store.memberships(promptId: promptId) }
    func marks(responseId: Int64) throws -> [CurationMarkRecord] { try store.marks(responseId: responseId) }
    func verifications(responseId: Int64) throws -> [(setName: String, record: VerificationRecord)] { try store.verifications(responseId: responseId) }
    func curationCounts(setName: String?, excludingStages: Set<String>) throws -> [String: Int] {
        try store.curationCounts(setName: setName, excludingStages: excludingStages)
    }
    func curationTotals(setName: String?, excludingStages: Set<String>) throws -> (responses: Int, dropped: Int) {
        try store.curationTotals(setName: setName, excludingStages: excludingStages)
    }
    func verdictCounts(setName: String, by grouping: String) throws -> [VerdictCounts] { try store.verdictCounts(setName: setName, by: grouping) }
    func passCounts(setName: String) throws -> [Int64: (correct: Int, judged: Int)] { try store.passCounts(setName: setName) }
    func responseIds(setName: String, verdict: String) throws -> Set<Int64> { try store.responseIds(setName: setName, verdict: verdict) }
    func metaValue(_ key: String) throws -> String? { try store.metaValue(key) }
    func setMetaValue(_ key: String, _ value: String) throws { try store.setMetaValue(key, value) }
    func curationProgress(setName: String) throws -> [CurationProgress] { try store.curationProgress(setName: setName) }
    func curationState(setName: String, fingerprint: String, signatures: Bool) throws -> [CurationStateEntry] {
        try store.curationState(setName: setName, fingerprint: fingerprint, signatures: signatures)
    }
    func curationMarkStages(from lower: Int64, through upper: Int64) throws -> [Int64: [String]] {
        try store.curationMarkStages(from: lower, through: upper)
    }
    func verificationInputs(setName: String, afterId: Int64, limit: Int) throws -> [VerificationInput] {
        try store.verificationInputs(setName: setName, afterId: afterId, limit: limit)
    }
    func answerPrompts(setName: String) throws -> [(responseId: Int64, promptId: Int64)] { try store.answerPrompts(setName: setName) }
    func stageMarks(setName: String, stage: String) throws -> [Int64: CurationMarkRecord] { try store.stageMarks(setName: setName, stage: stage) }
    func withCurationLock<T>(setName: String, waiting: () -> Void, _ body: () throws -> T) throws -> T {
        try store.withCurationLock(setName: setName, waiting: waiting, body)
    }
}

/// The failure of ``FailingCommits``.
struct InterruptedCommit: Error {}
