import HarvestCore
import HarvestJSON

/// The OpenAI-style batch API (`/v1/files`, `/v1/batches`) over an ``HTTPTransport``. Providers that copy it
/// (Together, Fireworks, Groq, DeepInfra, …) work the same way with their own limits.
public struct OpenAIBatchClient: Sendable {
    /// The HTTP seam (libcurl in production).
    public let transport: any HTTPTransport
    /// Base URL ending in `/v1`, e.g. `https://api.openai.com/v1`, without user-info or query (what may be logged).
    public let baseURL: String
    /// The base URL with its credentials (user-info, query key), used only to build request URLs.
    private let endpoint: TeacherURL
    /// Bearer key. Never logged or stored.
    private let apiKey: String?
    /// Limits per request (uploads and downloads may be large: the total timeout should allow for them).
    public var timeouts: HTTPTimeouts
    /// Largest output or error file accepted, in bytes.
    public var maxDownloadBytes: Int

    /// Creates a client.
    public init(transport: any HTTPTransport, baseURL: String, apiKey: String?,
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: 10, total: 600), maxDownloadBytes: Int = 1 << 30) {
        self.transport = transport
        endpoint = TeacherURL(baseURL)
        self.baseURL = endpoint.publicURL
        self.apiKey = apiKey
        self.timeouts = timeouts
        self.maxDownloadBytes = maxDownloadBytes
    }

    /// Uploads a batch input file (`purpose=batch`); returns its file id.
    public func uploadFile(_ bytes: [UInt8], filename: String) async throws(BatchError) -> String {
        var form = MultipartForm()
        form.field("purpose", "batch")
        form.file("file", filename: filename, contentType: "application/jsonl", bytes: bytes)
        let json = try await send("POST", "/files", body: form.encoded(), contentType: form.contentType)
        guard let id = json["id"]?.stringValue else { throw .malformed(url: baseURL + "/files", detail: "no file id") }
        return id
    }

    /// Creates a batch over an uploaded file; `metadata` is stored by the provider (harvest puts its `ref` there).
    public func createBatch(inputFileId: String, endpoint: String, completionWindow: String,
                            metadata: [String: String]) async throws(BatchError) -> BatchInfo {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("input_file_id"); w.string(inputFileId)
        w.key("endpoint"); w.string(endpoint)
        w.key("completion_window"); w.string(completionWindow)
        w.key("metadata"); w.beginObject()
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { w.key(key); w.string(value) }
        w.endObject()
        w.endObject()
        return try info(await send("POST", "/batches", body: w.bytes, contentType: "application/json"), path: "/batches")
    }

    /// The batch `id` now.
    public func batch(_ id: String) async throws(BatchError) -> BatchInfo {
        do {
            return try info(await send("GET", "/batches/\(id)"), path: "/batches/\(id)")
        } catch {
            if case .http(404, _, let url) = error { throw .unknownBatch(id: id, url: url) }
            throw error
        }
    }

    /// Asks the provider to cancel batch `id` (results that are done stay available).
    public func cancel(_ id: String) async throws(BatchError) -> BatchInfo {
        try info(await send("POST", "/batches/\(id)/cancel", body: [], contentType: "application/json"), path: "/batches/\(id)/cancel")
    }

    /// The newest batches, up to `pages` pages of 100 (to find one created before a crash).
    public func recentBatches(pages: Int = 10) async throws(BatchError) -> [BatchInfo] {
        var out: [BatchInfo] = []
        var after: String?
        for _ in 0..<pages {
            let path = "/batches?limit=100" + (after.map { "&after=\($0)" } ?? "")
            let json = try await send("GET", path)
            for item in json["data"]?.arrayValue ?? [] { out.append(try info(item, path: path)) }
            guard json["has_more"]?.boolValue == true, let last = out.last?.id else { break }
            after = last
        }
        return out
    }

    /// The bytes of file `id` (`GET /files/{id}/content`).
    public func fileContent(_ id: String) async throws(BatchError) -> [UInt8] {
        try await raw("GET", "/files/\(id)/content", body: [], contentType: nil, maxBytes: maxDownloadBytes).body
    }

    private func info(_ json: JSONValue, path: String) throws(BatchError) -> BatchInfo {
        do {
            return try BatchInfo(json: json)
        } catch {
            throw .malformed(url: baseURL + path, detail: error.detail)
        }
    }

    private func send(_ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil) async throws(BatchError) -> JSONValue {
        let response = try await raw(method, path, body: body, contentType: contentType, maxBytes: 64 << 20)
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw .malformed(url: baseURL + path, detail: "not JSON (\(error)): \(BodyPreview.text(response.body, limit: 80))")
        }
    }

    private func raw(_ method: String, _ path: String, body: [UInt8], contentType: String?, maxBytes: Int) async throws(BatchError) -> HTTPResponse {
        var headers: [HTTPHeader] = []
        if let apiKey { headers.append(HTTPHeader("Authorization", "Bearer \(apiKey)")) }
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        let url = baseURL + path
        let request = HTTPRequest(url: endpoint.requestURL(path: path), method: method, headers: headers, body: body, timeouts: timeouts, maxResponseBytes: maxBytes)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw .transport(error)
        } catch {
            throw .transport(TransportError(kind: .other, message: String(describing: error), url: url))
        }
        guard (200..<300).contains(response.status) else {
            throw .http(status: response.status, message: TeacherClient.errorMessage(response.body), url: url)
        }
        return response
    }
}
