import HarvestCore
import HarvestJSON

/// The OpenAI-style batch API (`/v1/files`, `/v1/batches`) over an ``HTTPTransport``. Providers that copy it
/// (Together, Fireworks, Groq, DeepInfra, …) work the same way with their own limits.
public struct OpenAIBatchClient: Sendable {
    /// Transport, credentials and limits (`timeouts`, and `maxDownloadBytes` for output and results files).
    private let http: BatchHTTP
    /// Base URL ending in `/v1`, e.g. `https://api.openai.com/v1`, without user-info or query (what may be logged).
    public var baseURL: String { http.baseURL }

    /// Creates a client; `apiKey` goes out as a bearer token and nowhere else.
    public init(transport: any HTTPTransport, baseURL: String, apiKey: String?,
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: 10, total: 600), maxDownloadBytes: Int = 1 << 30) {
        http = BatchHTTP(transport: transport, endpoint: TeacherURL(baseURL),
                         headers: apiKey.map { [HTTPHeader("Authorization", "Bearer \($0)")] } ?? [],
                         timeouts: timeouts, maxDownloadBytes: maxDownloadBytes)
    }

    /// Uploads a batch input file (`purpose=batch`); returns its file id.
    public func uploadFile(_ bytes: [UInt8], filename: String) async throws(BatchError) -> String {
        var form = MultipartForm()
        form.field("purpose", "batch")
        form.file("file", filename: filename, contentType: "application/jsonl", bytes: bytes)
        let json = try await http.json("POST", "/files", body: form.encoded(), contentType: form.contentType)
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
        return try info(await http.json("POST", "/batches", body: w.bytes, contentType: "application/json"), path: "/batches")
    }

    /// The batch `id` now.
    public func batch(_ id: String) async throws(BatchError) -> BatchInfo {
        do {
            return try info(await http.json("GET", "/batches/\(id)"), path: "/batches/\(id)")
        } catch {
            if case .http(404, _, let url) = error { throw .unknownBatch(id: id, url: url) }
            throw error
        }
    }

    /// Asks the provider to cancel batch `id` (results that are done stay available).
    public func cancel(_ id: String) async throws(BatchError) -> BatchInfo {
        try info(await http.json("POST", "/batches/\(id)/cancel", body: [], contentType: "application/json"), path: "/batches/\(id)/cancel")
    }

    /// The newest batches, up to `pages` pages of 100 (to find one created before a crash).
    public func recentBatches(pages: Int = 10) async throws(BatchError) -> [BatchInfo] {
        var out: [BatchInfo] = []
        var after: String?
        for _ in 0..<pages {
            let path = "/batches?limit=100" + (after.map { "&after=\($0)" } ?? "")
            let json = try await http.json("GET", path)
            for item in json["data"]?.arrayValue ?? [] { out.append(try info(item, path: path)) }
            guard json["has_more"]?.boolValue == true, let last = out.last?.id else { break }
            after = last
        }
        return out
    }

    /// The bytes of file `id` (`GET /files/{id}/content`).
    public func fileContent(_ id: String) async throws(BatchError) -> [UInt8] {
        try await http.download(path: "/files/\(id)/content")
    }

    private func info(_ json: JSONValue, path: String) throws(BatchError) -> BatchInfo {
        do {
            return try BatchInfo(json: json)
        } catch {
            throw .malformed(url: baseURL + path, detail: error.detail)
        }
    }
}
