import Foundation
import HarvestCore
import HarvestJSON
import SQLiteStore

/// Puts the answers of a rescue file (see ``RescueLog``) into the database, exactly once per job.
///
/// The file is locked (appenders wait), read, and every answer is stored in one transaction; a job that is already
/// done keeps its answer. Only after the commit is the file renamed to `<file>.imported-<unix time>` (kept for
/// audit). A crash before the rename leaves the file in place, and the next import skips what is already stored.
/// A torn last line (a crash in the middle of an append) is skipped and counted.
public enum RescueImporter {
    /// The `format` value of rescue lines.
    public static let format = "harvest-rescue/1"

    /// What an import did.
    public struct Summary: Sendable, Equatable {
        /// The rescue file.
        public var path: String
        /// Rescued answers read.
        public var answers: Int
        /// Answers stored now.
        public var stored: Int
        /// Answers whose job was already done (not stored again).
        public var alreadyDone: Int
        /// 1-based line numbers of answers whose job this database does not have (not stored).
        public var unknownLines: [Int]
        /// 1 when the last line was torn (incomplete) and skipped.
        public var tornLines: Int
        /// Where the imported file was moved.
        public var archivedAs: String
    }

    /// Imports `path` into `store`; nil when there is no such file or it is empty (nothing to do).
    public static func importFile(_ path: String, into store: any RecoveryStore) async throws -> Summary? {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw RescueError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw RescueError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { flock(fd, LOCK_UN) }
        // Another importer may have moved the file away while this one waited for the lock.
        guard RescueFileLock.isSameFile(fd, path) else { return nil }
        let data = try readAll(fd, path: path)
        if data.isEmpty { return nil }
        var answers: [RescuedAnswer] = []
        var lineNumbers: [Int] = []
        var torn = 0
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            let isLast = i == lines.count - 1  // no newline after it: possibly a torn append
            switch Result(catching: { () throws(RescueError) -> RescuedAnswer in try parse(Array(line), path: path, line: i + 1) }) {
            case .success(let answer):
                answers.append(answer)
                lineNumbers.append(i + 1)
            case .failure where isLast:
                torn += 1
            case .failure(let error):
                throw error
            }
        }
        let counts = try await store.importRescued(answers)
        let archived = path + ".imported-\(Int(Date().timeIntervalSince1970))"
        guard rename(path, archived) == 0 else {
            throw RescueError.cannotOpen(path: path, reason: "stored its answers but cannot rename it to \(archived): \(String(cString: strerror(errno)))")
        }
        RescueFileLock.syncDirectory(of: path)
        return Summary(path: path, answers: answers.count, stored: counts.stored, alreadyDone: counts.alreadyDone,
                       unknownLines: counts.unknown.map { lineNumbers[$0] }, tornLines: torn, archivedAs: archived)
    }

    private static func readAll(_ fd: Int32, path: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RescueError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// One rescue line back into an answer; throws ``RescueError/badLine(path:line:field:detail:)``.
    static func parse(_ bytes: [UInt8], path: String, line: Int) throws(RescueError) -> RescuedAnswer {
        func bad(_ field: String, _ detail: String) -> RescueError { .badLine(path: path, line: line, field: field, detail: detail) }
        let v: JSONValue
        do { v = try JSONValue.parse(bytes) } catch { throw bad("(line)", "not JSON: \(error)") }
        guard v.objectValue != nil else { throw bad("(line)", "not a JSON object") }
        if let f = v["format"], f.stringValue != format { throw bad("format", "expected \"\(format)\"") }
        guard let keyHex = v["job_key"]?.stringValue, let key = hexBytes(keyHex), key.count == 32 else {
            throw bad("job_key", "missing or not 64 hex digits")
        }
        guard let content = v["content"]?.stringValue else { throw bad("content", "missing or not a string") }
        guard let receivedAt = v["received_at"]?.doubleValue else { throw bad("received_at", "missing or not a number") }
        var choice = CompletionChoice(index: v["choice_index"]?.intValue ?? 0, content: content,
                                      reasoning: v["reasoning"]?.stringValue, finishReason: v["finish_reason"]?.stringValue)
        if let b64 = v["logprobs_hlp1_base64"]?.stringValue {
            guard let blob = Data(base64Encoded: b64) else { throw bad("logprobs_hlp1_base64", "not base64") }
            choice.encodedLogprobs = [UInt8](blob)
        }
        var usage: Usage?
        if let u = v["usage"], u.objectValue != nil {
            usage = Usage(promptTokens: u["prompt_tokens"]?.intValue, completionTokens: u["completion_tokens"]?.intValue,
                          totalTokens: u["total_tokens"]?.intValue, reasoningTokens: u["reasoning_tokens"]?.intValue)
        }
        var raw: [UInt8]?
        if let b64 = v["raw_base64"]?.stringValue {
            guard let body = Data(base64Encoded: b64) else { throw bad("raw_base64", "not base64") }
            raw = [UInt8](body)
        }
        let a = v["attempt"]
        let attempt = AttemptRecord(jobId: 0, startedAt: a?["started_at"]?.doubleValue ?? receivedAt,
                                    latencyMs: a?["latency_ms"]?.doubleValue ?? 0, httpStatus: a?["http_status"]?.intValue,
                                    outcome: .success, error: a?["note"]?.stringValue)
        let response = ResponseRecord(jobId: 0, choice: choice, usage: usage, model: v["response_model"]?.stringValue,
                                      responseId: v["response_id"]?.stringValue, systemFingerprint: v["system_fingerprint"]?.stringValue,
                                      receivedAt: receivedAt, rawBody: raw)
        return RescuedAnswer(jobKey: key, attempt: attempt, response: response)
    }

    private static func hexBytes(_ hex: String) -> [UInt8]? {
        Hex.decode(hex.utf8)
    }
}
