#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore
@testable import SQLiteStore

/// A fresh directory under /tmp, removed (with its files) on deinit.
final class TempDir {
    let path: String

    init() {
        var template = Array("/tmp/harvest-store-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A database path inside the directory.
    var db: String { path + "/harvest.sqlite" }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

enum Fixtures {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "teacher-7b", kind: .chat, apiKeyEnv: "TEACHER_KEY")
    static let params = SamplingParams(maxTokens: 64, temperature: 0.7, seed: 1, topLogprobs: 5)

    static func prompt(_ i: Int, file: String = "prompts.jsonl", text: String? = nil) -> PromptInput {
        PromptInput(externalId: "p\(i)",
                    messages: [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: text ?? "question \(i)?")],
                    metadataJSON: "{\"i\":\(i)}", source: InputLocation(file: file, line: i + 1))
    }

    static func prompts(_ n: Int, file: String = "prompts.jsonl") -> [PromptInput] { (0..<n).map { prompt($0, file: file) } }

    /// A store with set `s` of `n` prompts and sweep `w` over it; returns the store and the sweep id.
    static func storeWithSweep(_ dir: TempDir, prompts n: Int, samples: Int = 1, options: StoreOptions = .init()) throws -> (SQLiteStore, Int64) {
        let store = try SQLiteStore(path: dir.db, options: options)
        _ = try store.importPrompts(setName: "s", prompts: prompts(n), sourceName: "prompts.jsonl")
        let sweep = try store.createSweep(name: "w", setName: "s", teacher: teacher, params: params, samples: samples)
        return (store, sweep.sweepId)
    }

    static func attempt(_ jobId: Int64, outcome: AttemptOutcome = .success, status: Int? = 200, error: String? = nil) -> AttemptRecord {
        AttemptRecord(jobId: jobId, startedAt: 1_700_000_000.25, latencyMs: 12.5, httpStatus: status, outcome: outcome, error: error)
    }

    static func response(_ jobId: Int64, content: String = "answer", logprobs: [TokenLogprob]? = nil, raw: [UInt8]? = nil) -> ResponseRecord {
        ResponseRecord(jobId: jobId, choice: CompletionChoice(index: 0, content: content, reasoning: nil, finishReason: "stop", logprobs: logprobs),
                       usage: Usage(promptTokens: 10, completionTokens: 5, totalTokens: 15), model: "teacher-7b",
                       responseId: "cmpl-\(jobId)", systemFingerprint: "fp", receivedAt: 1_700_000_001.5, rawBody: raw)
    }

    /// `count` tokens each with `top` alternatives.
    static func logprobs(count: Int, top: Int) -> [TokenLogprob] {
        (0..<count).map { i in
            TokenLogprob(token: "tok\(i)", logprob: -Double(i) / 7, bytes: Array("tok\(i)".utf8), tokenId: 1000 + i,
                         top: (0..<top).map { k in TopLogprob(token: "alt\(k)", logprob: -Double(k) - 0.5, bytes: nil, tokenId: 2000 + k) })
        }
    }

    /// Copies a file byte for byte (false when the source does not exist).
    @discardableResult
    static func copyFile(_ from: String, _ to: String) -> Bool {
        let src = open(from, O_RDONLY)
        guard src >= 0 else { return false }
        defer { close(src) }
        let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(dst >= 0, "cannot create \(to)")
        defer { close(dst) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n <= 0 { return true }
            _ = buf.withUnsafeBytes { write(dst, $0.baseAddress, n) }
        }
    }

    /// Reads one integer with a fresh read-only connection.
    static func scalar(_ path: String, _ sql: String) throws -> Int64? {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        return try db.queryOne(sql) { $0.int64(0) }
    }
}
