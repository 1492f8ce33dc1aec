import Foundation
import HarvestCore
import HarvestJSON

/// Anthropic's Message Batches API (`/v1/messages/batches`) over an ``HTTPTransport``: the requests go inline in
/// the create call (`{"requests": [{"custom_id", "params"}]}`), results come as one JSONL file from `results_url`.
/// Headers `x-api-key` and `anthropic-version`.
///
/// Message Batches keep no metadata, so a batch created by a process that died before recording its id is found
/// by ``findCreated(ref:inputId:requests:recordedAt:known:)`` as a batch of the same size created after the file
/// was recorded that no harvest row names.
public struct AnthropicBatchClient: BatchAPI {
    /// The API version header sent with every request.
    public static let version = "2023-06-01"

    /// Transport, credentials and limits (`timeouts`, and `maxDownloadBytes` for output and results files).
    private let http: BatchHTTP
    /// Base URL ending in `/v1`, e.g. `https://api.anthropic.com/v1`, without user-info or query (what may be logged).
    public var baseURL: String { http.baseURL }

    /// Creates a client; `apiKey` goes out as `x-api-key` and nowhere else.
    public init(transport: any HTTPTransport, baseURL: String, apiKey: String?,
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: 10, total: 600), maxDownloadBytes: Int = 1 << 30) {
        http = BatchHTTP(transport: transport, endpoint: TeacherURL(baseURL),
                         headers: [HTTPHeader("anthropic-version", Self.version)] + (apiKey.map { [HTTPHeader("x-api-key", $0)] } ?? []),
                         timeouts: timeouts, maxDownloadBytes: maxDownloadBytes)
    }

    /// `anthropic`.
    public var wire: BatchWire { .anthropic }

    /// `{"custom_id": <hex job key>, "params": {model, max_tokens, system, messages, temperature, top_p,
    /// stop_sequences, …extra_body (e.g. thinking)}}`. `max_tokens` is required by the API: 1024 when the job sets none.
    public func line(for job: Job) throws -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("custom_id"); w.string(BatchInputFile.customId(job))
        w.key("params"); w.beginObject()
        w.key("model"); w.string(job.teacher.model)
        w.key("max_tokens"); w.int(job.params.maxTokens ?? TokenEstimate.defaultMaxTokens)
        let system = job.messages.filter { $0.role == "system" }.map(\.content)
        if !system.isEmpty { w.key("system"); w.string(system.joined(separator: "\n\n")) }
        w.key("messages"); w.beginArray()
        for m in job.messages where m.role != "system" {
            w.beginObject()
            w.key("role"); w.string(m.role)
            w.key("content"); w.string(m.content)
            w.endObject()
        }
        w.endArray()
        if let t = job.params.temperature { w.key("temperature"); w.double(t) }
        if let p = job.params.topP { w.key("top_p"); w.double(p) }
        if !job.params.stop.isEmpty {
            w.key("stop_sequences"); w.beginArray()
            for s in job.params.stop { w.string(s) }
            w.endArray()
        }
        for (key, value) in job.params.extraBody { w.key(key); w.value(value) }
        w.endObject()
        w.endObject()
        var bytes = w.bytes
        bytes.append(0x0A)
        return bytes
    }

    /// Nothing to upload: the requests go with the create call. The id names the local file.
    public func stage(_ input: [UInt8], ref: String) async throws(BatchError) -> String { "inline:harvest-\(ref)" }

    /// `POST /messages/batches` with the lines of `input` as `requests`.
    public func create(input: [UInt8], inputId: String, ref: String, kind: EndpointKind, completionWindow: String) async throws(BatchError) -> BatchInfo {
        var body = Array(#"{"requests":["#.utf8)
        var first = true
        for line in input.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if !first { body.append(UInt8(ascii: ",")) }
            body += line
            first = false
        }
        body += Array("]}".utf8)
        return try info(await http.json("POST", "/messages/batches", body: body, contentType: "application/json"), path: "/messages/batches")
    }

    /// The newest batch (of the first pages) with `requests` lines, created no earlier than `recordedAt` − 60 s,
    /// that harvest has not recorded.
    public func findCreated(ref: String, inputId: String, requests: Int, recordedAt: Double, known: Set<String>) async throws(BatchError) -> BatchInfo? {
        var after: String?
        for _ in 0..<10 {
            let path = "/messages/batches?limit=100" + (after.map { "&after_id=\($0)" } ?? "")
            let json = try await http.json("GET", path)
            let items = json["data"]?.arrayValue ?? []
            for item in items {
                let info = try self.info(item, path: path)
                let created = item["created_at"]?.stringValue.flatMap(Self.parseDate) ?? .infinity
                if info.total == requests, created >= recordedAt - 60, !known.contains(info.id) { return info }
            }
            guard json["has_more"]?.boolValue == true, let last = json["last_id"]?.stringValue else { break }
            after = last
        }
        return nil
    }

    /// `GET /messages/batches/{id}`.
    public func batch(_ id: String) async throws(BatchError) -> BatchInfo {
        do {
            return try info(await http.json("GET", "/messages/batches/\(id)"), path: "/messages/batches/\(id)")
        } catch {
            if case .http(404, _, let url) = error { throw .unknownBatch(id: id, url: url) }
            throw error
        }
    }

    /// `POST /messages/batches/{id}/cancel`.
    public func cancel(_ id: String) async throws(BatchError) -> BatchInfo {
        try info(await http.json("POST", "/messages/batches/\(id)/cancel", body: [], contentType: "application/json"), path: "/messages/batches/\(id)/cancel")
    }

    /// The JSONL file at the batch's `results_url` (kept as its output file id).
    public func resultFiles(_ info: BatchInfo) async throws(BatchError) -> [[UInt8]] {
        guard let url = info.outputFileId else { return [] }
        return [try await http.download(url: url)]
    }

    static func parseDate(_ text: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)?.timeIntervalSince1970
    }

    private func info(_ json: JSONValue, path: String) throws(BatchError) -> BatchInfo {
        do {
            return try BatchInfo(anthropic: json)
        } catch {
            throw .malformed(url: baseURL + path, detail: error.detail)
        }
    }
}
