import HarvestCore

/// What a manifest records about the rows themselves, gathered one row at a time in memory bounded by the
/// number of distinct teachers, models and parameter sets (not by the number of rows).
struct ManifestStats {
    private(set) var teachers = Set<ExportManifest.Teacher>()
    private(set) var models = Set<String>()
    private(set) var samplingParams = Set<String>()
    private(set) var topLogprobsRequested = Set<Int>()
    private(set) var topKSeen = Set<Int>()
    private(set) var rowsWithLogprobs = 0
    /// Rows with logprobs where every entry (sampled and alternatives) has a token id, and where some lack one.
    private(set) var tokenIds = ExportManifest.TokenIdCoverage()
    /// Sampling temperatures sent (nil: left to the server).
    private(set) var temperatures = Set<Double?>()
    /// `sampled` / `scored`.
    private(set) var logprobModes = Set<String>()
    /// The largest token id in the rows' logprobs.
    private(set) var maxTokenId: Int?
    /// The k of each `kd` current-shape row written.
    private(set) var kdTopK = Set<Int>()
    private(set) var firstReceivedAt: Double?
    private(set) var lastReceivedAt: Double?

    private var lastTeacher: TeacherEndpoint?
    private var lastParams: SamplingParams?
    private var lastModel: String?

    mutating func add(_ row: StoredResponse) {
        if row.teacher != lastTeacher {
            lastTeacher = row.teacher
            teachers.insert(ExportManifest.Teacher(baseURL: row.teacher.baseURL, model: row.teacher.model,
                                                   kind: row.teacher.kind.rawValue))
        }
        if let model = row.model, model != lastModel {
            lastModel = model
            models.insert(model)
        }
        if lastParams.map({ !Self.same($0, row.params) }) ?? true {
            lastParams = row.params
            samplingParams.insert(row.params.canonicalJSON)
            if let k = row.params.topLogprobs { topLogprobsRequested.insert(k) }
            temperatures.insert(row.params.temperature)
        }
        if let columns = row.logprobColumns, !columns.isEmpty {
            rowsWithLogprobs += 1
            logprobModes.insert(LogprobSource.mode(of: row))
            if columns.allHaveIds {
                tokenIds.rowsWithIds += 1
                if columns.maxTokenId > (maxTokenId ?? -1) { maxTokenId = columns.maxTokenId }
            } else {
                tokenIds.rowsWithoutIds += 1
                noteTeacherWithoutIds(row)
            }
            columns.topCountChanges { topKSeen.insert($0) }
        } else if let lp = row.choice.logprobs, !lp.isEmpty {
            rowsWithLogprobs += 1
            logprobModes.insert(LogprobSource.mode(of: row))
            if KDFormat.hasAllIds(lp) {
                tokenIds.rowsWithIds += 1
                noteMaxTokenId(lp)
            } else {
                tokenIds.rowsWithoutIds += 1
                noteTeacherWithoutIds(row)
            }
            LogprobScan.topCounts(lp) { topKSeen.insert($0) }
        }
        let t = row.receivedAt
        if firstReceivedAt.map({ t < $0 }) ?? true { firstReceivedAt = t }
        if lastReceivedAt.map({ t > $0 }) ?? true { lastReceivedAt = t }
    }

    /// Records the teacher of a row refused for lacking token ids (it is not added as a row).
    mutating func noteTeacherWithoutIds(_ row: StoredResponse) {
        if !tokenIds.teachersWithoutIds.contains(row.teacher.model) {
            tokenIds.teachersWithoutIds.append(row.teacher.model)
            tokenIds.teachersWithoutIds.sort()
        }
    }

    /// Records the k of a `kd` current-shape row.
    mutating func noteKDTopK(_ k: Int) { kdTopK.insert(k) }

    private mutating func noteMaxTokenId(_ lp: [TokenLogprob]) {
        let m = max(maxTokenId ?? -1, LogprobScan.maxTokenId(lp))
        if m >= 0 { maxTokenId = m }
    }

    /// Field-wise equality without building canonical JSON (which `SamplingParams.==` does on every call).
    private static func same(_ a: SamplingParams, _ b: SamplingParams) -> Bool {
        guard a.maxTokens == b.maxTokens, a.temperature == b.temperature, a.topP == b.topP, a.seed == b.seed,
              a.stop == b.stop, a.topLogprobs == b.topLogprobs, a.tokenIds == b.tokenIds, a.score == b.score, a.extraBody.count == b.extraBody.count
        else { return false }
        return zip(a.extraBody, b.extraBody).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}
