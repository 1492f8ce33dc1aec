import Foundation
import HarvestCore
import HarvestJSON
import Synchronization

/// Last line of defence for paid answers: when the database refuses a response, it is appended here as one JSON line
/// (job key, answer, usage, logprobs, the attempt) and fsynced before the append returns. `harvest rescue import`
/// (and the next `sweep --run` or `serve` start) stores these answers in the database exactly once (see
/// ``RescueImporter``). Appends hold an exclusive `flock` on the file, as the importer does, so an import never
/// loses a line appended meanwhile.
public final class RescueLog: Sendable {
    /// The rescue file.
    public let path: String
    private let appended = Mutex(0)

    /// The default rescue file of database `database`: `harvest-rescue.jsonl` in the database's directory.
    public static func defaultPath(database: String) -> String {
        let url = URL(fileURLWithPath: database)
        return url.deletingLastPathComponent().appendingPathComponent("harvest-rescue.jsonl").path
    }

    /// Creates a log appending to `path`.
    public init(path: String) {
        self.path = path
    }

    /// Answers appended by this log so far.
    public var count: Int { appended.withLock { $0 } }

    /// Appends one answer and fsyncs the file (and, when the file is new, its directory). Returns the number of
    /// answers this log has appended so far. Throws ``RescueError/cannotWrite(path:reason:)`` when the line could not
    /// be written and synced in full.
    @discardableResult
    public func append(job: Job, attempt: AttemptRecord, record: ResponseRecord) throws(RescueError) -> Int {
        var line = Self.encode(job: job, attempt: attempt, record: record)
        line.append(0x0A)
        return try appended.withLock { (n: inout Int) throws(RescueError) -> Int in
            try RescueFileLock.withLockedAppend(path) { fd throws(RescueError) in
                var offset = 0
                while offset < line.count {
                    let wrote = line.withUnsafeBytes { p in write(fd, p.baseAddress! + offset, p.count - offset) }
                    if wrote < 0 {
                        if errno == EINTR { continue }
                        throw RescueError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
                    }
                    offset += wrote
                }
                guard fsync(fd) == 0 else { throw RescueError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            }
            n += 1
            return n
        }
    }

    /// One rescue line (without the newline): `format`, the job (key, id, teacher, params, messages for people),
    /// the answer and its attempt.
    static func encode(job: Job, attempt: AttemptRecord, record: ResponseRecord) -> [UInt8] {
        var w = JSONWriter(capacity: 4096 + record.choice.content.utf8.count)
        w.beginObject()
        w.key("format"); w.string(RescueImporter.format)
        w.key("job_key"); w.string(PromptHash.hex(job.key))
        w.key("job_id"); w.int(Int(job.id))
        w.key("model"); w.string(job.teacher.model)
        w.key("teacher"); w.string(job.teacher.name)
        w.key("params"); w.raw(job.params.canonicalJSON)
        w.key("sample_index"); w.int(job.sampleIndex)
        w.key("messages"); ChatMessage.write(job.messages, to: &w)
        w.key("choice_index"); w.int(record.choice.index)
        w.key("content"); w.string(record.choice.content)
        w.key("reasoning"); w.stringOrNull(record.choice.reasoning)
        w.key("finish_reason"); w.stringOrNull(record.choice.finishReason)
        w.key("received_at"); w.double(record.receivedAt)
        w.key("response_model"); w.stringOrNull(record.model)
        w.key("response_id"); w.stringOrNull(record.responseId)
        w.key("system_fingerprint"); w.stringOrNull(record.systemFingerprint)
        if let usage = record.usage {
            w.key("usage")
            w.beginObject()
            if let v = usage.promptTokens { w.key("prompt_tokens"); w.int(v) }
            if let v = usage.completionTokens { w.key("completion_tokens"); w.int(v) }
            if let v = usage.totalTokens { w.key("total_tokens"); w.int(v) }
            if let v = usage.reasoningTokens { w.key("reasoning_tokens"); w.int(v) }
            w.endObject()
        }
        w.key("attempt")
        w.beginObject()
        w.key("started_at"); w.double(attempt.startedAt)
        w.key("latency_ms"); w.double(attempt.latencyMs)
        if let status = attempt.httpStatus { w.key("http_status"); w.int(status) }
        w.key("note"); w.stringOrNull(attempt.error)
        w.endObject()
        if let blob = record.choice.logprobsBlob {
            w.key("logprobs_hlp1_base64"); w.string(Data(blob).base64EncodedString())
        }
        if let raw = record.rawBody {
            w.key("raw_base64"); w.string(Data(raw).base64EncodedString())
        }
        w.endObject()
        return w.bytes
    }
}

/// Why a rescue file could not be written or imported. `description` is for people.
public enum RescueError: Error, Sendable, CustomStringConvertible {
    /// Appending to (or syncing) the rescue file failed.
    case cannotWrite(path: String, reason: String)
    /// The rescue file cannot be opened, locked or renamed.
    case cannotOpen(path: String, reason: String)
    /// A line of the rescue file is not a rescued answer. Nothing was imported.
    case badLine(path: String, line: Int, field: String, detail: String)

    /// One line for people.
    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            return "cannot append a paid answer to the rescue file \(path): \(reason) — free space or make the directory writable; "
                + "the answer is kept in memory and retried"
        case .cannotOpen(let path, let reason):
            return "cannot open the rescue file \(path): \(reason) — check the path and its permissions"
        case .badLine(let path, let line, let field, let detail):
            return "\(path):\(line): field \"\(field)\": \(detail) — nothing was imported; fix or remove that line and run `harvest rescue import` again"
        }
    }
}
