import Foundation
import HarvestCore
import HarvestJSON
import OpenAIWire
import HarvestStore

/// Reads batch output and error files (JSONL) into results for the store. Anthropic results lines
/// (`{"custom_id", "result"}`) are read by ``anthropicResult(_:jobId:receivedAt:)``; OpenAI lines as follows.
///
/// A line is `{"custom_id", "response": {"status_code", "body"}, "error": {"code", "message"} | null}`:
/// - status 2xx with a decodable body: an answer (logprobs transcoded into the stored `HLP1` blob);
/// - another status or an undecodable body: an error attempt; fatal for 4xx other than 408/409/429;
/// - no response and error code `batch_expired` / `batch_cancelled`: nothing was run (no attempt; the job goes
///   back to pending when the batch is closed);
/// - no response and another error: an error attempt, retried.
public struct BatchOutputReader {
    /// custom id → job id of the batch.
    public let lines: [String: Int64]
    /// Endpoint kind of the batch's teacher.
    public let kind: EndpointKind
    /// Whether logprobs were requested (an answer without them is stored with a note, as in a normal sweep).
    public let logprobsRequested: Bool
    /// Unix time the batch was recorded (the attempts' start time).
    public let startedAt: Double

    /// Creates a reader.
    public init(lines: [String: Int64], kind: EndpointKind, logprobsRequested: Bool, startedAt: Double) {
        self.lines = lines
        self.kind = kind
        self.logprobsRequested = logprobsRequested
        self.startedAt = startedAt
    }

    /// Counters of one file.
    public struct FileCounts: Sendable, Equatable {
        /// Lines turned into results.
        public var results = 0
        /// Lines that named no job of this batch, or could not be read (logged by the caller).
        public var unknown = 0
        /// Lines that were not run (expired or cancelled with the batch).
        public var notRun = 0
    }

    /// The results of `file`, in chunks of at most `chunk` lines passed to `apply`.
    public func read(_ file: [UInt8], chunk: Int = 512, apply: ([BatchLineResult]) async throws -> Void) async throws -> FileCounts {
        var counts = FileCounts()
        var pending: [BatchLineResult] = []
        var start = 0
        let receivedAt = Date().timeIntervalSince1970
        while start < file.count {
            let end = file[start...].firstIndex(of: 0x0A) ?? file.count
            defer { start = end + 1 }
            let slice = file[start..<end]
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            guard let json = try? JSONValue.parse(slice), let customId = json["custom_id"]?.stringValue,
                  let jobId = lines[customId] else {
                counts.unknown += 1
                continue
            }
            guard let result = result(json, jobId: jobId, receivedAt: receivedAt) else {
                counts.notRun += 1
                continue
            }
            pending.append(result)
            counts.results += 1
            if pending.count >= chunk {
                try await apply(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try await apply(pending) }
        return counts
    }

    /// The result of one line, or nil when the line was not run.
    func result(_ json: JSONValue, jobId: Int64, receivedAt: Double) -> BatchLineResult? {
        let latency = max(0, receivedAt - startedAt) * 1000
        func failure(_ status: Int?, _ message: String, fatal: Bool) -> BatchLineResult {
            .error(attempt: AttemptRecord(jobId: jobId, startedAt: startedAt, latencyMs: latency, httpStatus: status,
                                          outcome: fatal ? .fatal : .retry, error: "batch line: " + message), fatal: fatal)
        }
        if let anthropic = json["result"], !anthropic.isNull { return anthropicResult(anthropic, jobId: jobId, receivedAt: receivedAt) }
        guard let response = json["response"], !response.isNull else {
            let code = json["error"]?["code"]?.stringValue
            if code == "batch_expired" || code == "batch_cancelled" { return nil }
            return failure(nil, (code.map { "\($0): " } ?? "") + (json["error"]?["message"]?.stringValue ?? "error without message"),
                           fatal: false)
        }
        let status = response["status_code"]?.intValue ?? 0
        var w = JSONWriter(capacity: 4096)
        w.value(response["body"] ?? .null)
        let body = w.bytes
        guard (200..<300).contains(status) else {
            let fatal = (400..<500).contains(status) && ![408, 409, 429].contains(status)
            return failure(status, "HTTP \(status): \(TeacherClient.errorMessage(body))", fatal: fatal)
        }
        let decoded: TeacherResponse
        do {
            decoded = try ResponseDecoder.decode(body, kind: kind, encodeLogprobs: true)
        } catch {
            return failure(status, "undecodable answer: \(error)", fatal: false)
        }
        guard let choice = decoded.choices.first else { return failure(status, "no choices", fatal: false) }
        let missing = logprobsRequested && (choice.logprobTokenCount.map { $0 == 0 && !choice.content.isEmpty } ?? true)
        let attempt = AttemptRecord(jobId: jobId, startedAt: startedAt, latencyMs: latency, httpStatus: status, outcome: .success,
                                    error: missing ? SweepRunner.missingLogprobsNote : nil)
        let record = ResponseRecord(jobId: jobId, choice: choice, usage: decoded.usage, model: decoded.model, responseId: decoded.id,
                                    systemFingerprint: decoded.systemFingerprint, receivedAt: receivedAt)
        return .answer(attempt: attempt, response: record)
    }
}
