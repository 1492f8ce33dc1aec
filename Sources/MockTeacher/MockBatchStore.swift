import HarvestJSON
import LoopbackHTTP

#if canImport(Glibc)
import Glibc
#endif

/// The mock's batch API state: files and batches in memory. Status advances with time, computed on access:
/// `validating` → `in_progress` → `finalizing` → `completed`, each ``MockBatchFaults/stepSeconds`` long; results are
/// produced once, when a batch ends.
final class MockBatchStore: @unchecked Sendable {
    struct File {
        var id: String, filename: String, purpose: String, bytes: [UInt8], createdAt: Int
    }

    struct Batch {
        var id: String, inputFileId: String, endpoint: String, window: String, metadata: [(String, JSONValue)]
        var created: Double, lines: [(customId: String, body: JSONValue)]
        var fate: Fate, cancelAt: Double?
        var status = "validating", outputFileId: String?, errorFileId: String?, completed = 0, failed = 0
        var errors: [(code: String, message: String, line: Int?)] = []
    }

    enum Fate { case complete, failValidation, expire }

    private let faults: MockBatchFaults
    private let configuredModel: String
    private let vocabulary: Vocabulary
    private let vocabularySeed: UInt64
    private let lock = ConditionLock()
    private var files: [String: File] = [:]
    private var batches: [Batch] = []
    private var stats = MockBatchStats()
    private var nextId = 1

    init(faults: MockBatchFaults, model: String, vocabulary: Vocabulary, vocabularySeed: UInt64) {
        self.faults = faults
        configuredModel = model
        self.vocabulary = vocabulary
        self.vocabularySeed = vocabularySeed
    }

    func snapshot() -> MockBatchStats { lock.withLock { stats } }

    /// Counts a results download; returns how many have started, this one included.
    func noteResultDownload() -> Int { lock.withLock { stats.resultDownloads += 1; return stats.resultDownloads } }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func newId(_ prefix: String) -> String {
        defer { nextId += 1 }
        return "\(prefix)-mock\(nextId)"
    }

    /// Stores a file; `upload` false for the inline requests of an Anthropic batch (not counted as an upload).
    func addFile(_ bytes: [UInt8], filename: String, purpose: String, upload: Bool = true) -> File {
        lock.withLock {
            let file = File(id: newId("file"), filename: filename, purpose: purpose, bytes: bytes, createdAt: Int(Self.now()))
            files[file.id] = file
            if upload { stats.filesUploaded += 1 }
            return file
        }
    }

    func file(_ id: String) -> File? { lock.withLock { files[id] } }

    /// Creates a batch; returns nil and a message when the input file is unknown.
    func createBatch(inputFileId: String, endpoint: String, window: String, metadata: [(String, JSONValue)]) -> Result<Batch, Invalid> {
        lock.withLock {
            guard let file = files[inputFileId] else { return .failure(Invalid(message: "No such file: \(inputFileId).")) }
            let index = batches.count
            let fate: Fate = index < faults.failValidation ? .failValidation
                : index < faults.failValidation + faults.expire ? .expire : .complete
            var batch = Batch(id: newId("batch"), inputFileId: inputFileId, endpoint: endpoint, window: window, metadata: metadata,
                              created: Self.now(), lines: [], fate: fate, cancelAt: nil)
            validate(file.bytes, into: &batch)
            if batch.errors.isEmpty, fate != .failValidation {
                for line in batch.lines { stats.submissionsPerCustomId[line.customId, default: 0] += 1 }
            }
            batches.append(batch)
            stats.batchesCreated += 1
            return .success(batch)
        }
    }

    struct Invalid: Error { var message: String }

    /// The batch `id` now (advanced to its current status), or nil.
    func batch(_ id: String) -> Batch? {
        lock.withLock {
            guard let i = batches.firstIndex(where: { $0.id == id }) else { return nil }
            advance(i)
            return batches[i]
        }
    }

    /// The status of every batch now, by id.
    func statuses() -> [String: String] {
        lock.withLock {
            for i in batches.indices { advance(i) }
            return Dictionary(uniqueKeysWithValues: batches.map { ($0.id, $0.status) })
        }
    }

    /// Every batch, newest first.
    func list() -> [Batch] {
        lock.withLock {
            for i in batches.indices { advance(i) }
            return batches.reversed()
        }
    }

    /// Requests cancellation; nil when unknown.
    func cancel(_ id: String) -> Batch? {
        lock.withLock {
            guard let i = batches.firstIndex(where: { $0.id == id }) else { return nil }
            advance(i)
            if !["completed", "failed", "expired", "cancelled"].contains(batches[i].status), batches[i].cancelAt == nil {
                batches[i].cancelAt = Self.now()
                batches[i].status = "cancelling"
                stats.batchesCancelled += 1
            }
            return batches[i]
        }
    }

    // MARK: Progress

    private func advance(_ i: Int) {
        let b = batches[i]
        if ["completed", "failed", "expired", "cancelled"].contains(b.status) { return }
        let step = faults.stepSeconds
        let t = Self.now() - b.created
        let n = b.lines.count
        if let cancelAt = b.cancelAt {
            if Self.now() < cancelAt + step { return }
            let ran = cancelAt - b.created - step
            let done = ran < 0 ? 0 : ran >= step ? n : Int(Double(n) * ran / step)
            finish(i, status: "cancelled", done: done, notRunCode: "batch_cancelled")
            return
        }
        if !b.errors.isEmpty || b.fate == .failValidation {
            if t >= step {
                if batches[i].errors.isEmpty {
                    batches[i].errors = [("invalid_request", "Injected validation failure (mock teacher fault).", nil)]
                }
                batches[i].status = "failed"
            }
            return
        }
        if t < step { batches[i].status = "validating"; return }
        if t < 2 * step {
            batches[i].status = "in_progress"
            batches[i].completed = min(n, Int(Double(n) * (t - step) / step))
            return
        }
        if b.fate == .expire {
            finish(i, status: "expired", done: Int(Double(n) * faults.expireFraction), notRunCode: "batch_expired")
            return
        }
        if t < 2 * step + (faults.finalizingSeconds ?? step) {
            batches[i].status = "finalizing"
            batches[i].completed = n
            return
        }
        finish(i, status: "completed", done: n, notRunCode: "batch_expired")
    }

    /// Produces the output and error files: the first `done` lines run, the rest get `notRunCode`.
    private func finish(_ i: Int, status: String, done: Int, notRunCode: String) {
        var sampler = AnswerSampler(vocabulary: vocabulary)
        var scratch: [UInt8] = []
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var completed = 0, failed = 0
        let b = batches[i]
        for (index, line) in b.lines.enumerated() {
            var w = JSONWriter(capacity: 4096)
            w.beginObject()
            w.key("id"); w.string("batch_req_\(b.id)_\(index)")
            w.key("custom_id"); w.string(line.customId)
            if index >= done {
                w.key("response"); w.null()
                w.key("error"); w.beginObject()
                w.key("code"); w.string(notRunCode)
                w.key("message"); w.string("This request was not run before the batch \(status == "expired" ? "expired" : "was cancelled").")
                w.endObject()
                w.endObject()
                errors += w.bytes; errors.append(0x0A)
                continue
            }
            let digest = RequestFingerprint.digest(of: line.body)
            let erred = faults.lineErrorRate > 0 && stats.submissionsPerCustomId[line.customId, default: 0] <= 1
                && Double(RequestFingerprint.seed(of: digest) >> 11) * 0x1p-53 < faults.lineErrorRate
            w.key("response"); w.beginObject()
            w.key("status_code"); w.int(erred ? 500 : 200)
            w.key("request_id"); w.string("req_\(b.id)_\(index)")
            w.key("body")
            if erred {
                var e = JSONWriter(capacity: 256)
                ErrorBody.write(message: "The mock teacher had an injected error on this line.", type: "server_error", into: &e)
                w.raw(bytes: e.bytes)
            } else {
                let request = try? CompletionRequest(line.body, endpoint: b.endpoint == "/v1/completions" ? .legacy : .chat)
                var answer = JSONWriter(capacity: 8192)
                if let request {
                    let context = AnswerContext(fingerprint: RequestFingerprint.hex(digest),
                                                seed: RequestFingerprint.seed(of: digest) ^ vocabularySeed,
                                                model: request.model ?? configuredModel, earlyStopRate: 0)
                    if request.endpoint == .chat {
                        ChatResponder.write(request, context: context, sampler: &sampler, scratch: &scratch, into: &answer)
                    } else {
                        CompletionsResponder.write(request, context: context, sampler: &sampler, scratch: &scratch, into: &answer)
                    }
                }
                w.raw(bytes: answer.bytes)
            }
            w.endObject()
            w.key("error"); w.null()
            w.endObject()
            if erred {
                errors += w.bytes; errors.append(0x0A)
                failed += 1
                stats.linesErrored += 1
            } else {
                output += w.bytes; output.append(0x0A)
                completed += 1
                stats.linesAnswered += 1
                stats.answersPerCustomId[line.customId, default: 0] += 1
            }
        }
        if !output.isEmpty { batches[i].outputFileId = storeFile(output, name: "\(b.id)_output.jsonl") }
        if !errors.isEmpty { batches[i].errorFileId = storeFile(errors, name: "\(b.id)_error.jsonl") }
        batches[i].status = status
        batches[i].completed = completed
        batches[i].failed = failed
    }

    private func storeFile(_ bytes: [UInt8], name: String) -> String {
        let file = File(id: newId("file"), filename: name, purpose: "batch_output", bytes: bytes, createdAt: Int(Self.now()))
        files[file.id] = file
        return file.id
    }

    /// Reads the input lines; records validation errors (bad JSON, missing custom_id, duplicate ids, wrong url).
    private func validate(_ bytes: [UInt8], into batch: inout Batch) {
        var seen: Set<String> = []
        var lineNumber = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            lineNumber += 1
            guard let json = try? JSONValue.parse(raw) else {
                batch.errors.append(("invalid_json", "Line is not valid JSON.", lineNumber)); continue
            }
            guard let customId = json["custom_id"]?.stringValue, seen.insert(customId).inserted else {
                batch.errors.append(("invalid_custom_id", "custom_id missing or not unique.", lineNumber)); continue
            }
            guard json["url"]?.stringValue == batch.endpoint, json["method"]?.stringValue == "POST" else {
                batch.errors.append(("invalid_url", "Each line must POST to the batch's endpoint \(batch.endpoint).", lineNumber)); continue
            }
            guard let body = json["body"], body.objectValue != nil else {
                batch.errors.append(("invalid_body", "body must be an object.", lineNumber)); continue
            }
            batch.lines.append((customId, body))
        }
        if lineNumber == 0 { batch.errors.append(("empty_file", "The input file has no lines.", nil)) }
    }
}
