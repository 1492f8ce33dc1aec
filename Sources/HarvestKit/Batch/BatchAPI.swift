import HarvestCore

/// A provider's batch API as ``BatchCoordinator`` drives it: the OpenAI style (``OpenAIBatchClient``: upload a
/// JSONL file, create a batch over it, download output and error files) or Anthropic's Message Batches
/// (``AnthropicBatchClient``: the requests inline in the create call, one results file).
public protocol BatchAPI: Sendable {
    /// The wire, as recorded in `batches.wire`.
    var wire: BatchWire { get }
    /// One input line for `job`, newline included.
    func line(for job: Job) throws -> [UInt8]
    /// Makes an input file available to the provider; returns the id recorded before the batch is created
    /// (OpenAI: the uploaded file's id; Anthropic: nothing is uploaded, the id names the local file).
    func stage(_ input: [UInt8], ref: String) async throws(BatchError) -> String
    /// Creates the batch over `input` (staged as `inputId`), tagged with `ref` where the provider keeps metadata.
    func create(input: [UInt8], inputId: String, ref: String, kind: EndpointKind, completionWindow: String) async throws(BatchError) -> BatchInfo
    /// A batch created for `ref` by a process that died before recording its id, if the provider shows it.
    /// `requests` and `recordedAt` (Unix time) describe the file; `known` are provider ids harvest already recorded.
    func findCreated(ref: String, inputId: String, requests: Int, recordedAt: Double, known: Set<String>) async throws(BatchError) -> BatchInfo?
    /// The batch `id` now.
    func batch(_ id: String) async throws(BatchError) -> BatchInfo
    /// Asks the provider to cancel batch `id` (results that are done stay available).
    func cancel(_ id: String) async throws(BatchError) -> BatchInfo
    /// The result files of an ended batch (OpenAI: output then error file; Anthropic: the results file).
    func resultFiles(_ info: BatchInfo) async throws(BatchError) -> [[UInt8]]
}

/// Which batch API a teacher speaks (`batch_wire`).
public enum BatchWire: String, Sendable, CaseIterable {
    /// `/v1/files` + `/v1/batches` (OpenAI and the providers that copy it).
    case openai
    /// Anthropic's Message Batches (`/v1/messages/batches`).
    case anthropic

    /// A client of this wire at `baseURL` (ending in `/v1`).
    public func client(transport: any HTTPTransport, baseURL: String, apiKey: String?,
                       timeouts: HTTPTimeouts = HTTPTimeouts(connect: 10, total: 600)) -> any BatchAPI {
        switch self {
        case .openai: OpenAIBatchClient(transport: transport, baseURL: baseURL, apiKey: apiKey, timeouts: timeouts)
        case .anthropic: AnthropicBatchClient(transport: transport, baseURL: baseURL, apiKey: apiKey, timeouts: timeouts)
        }
    }
}

extension OpenAIBatchClient: BatchAPI {
    /// `openai`.
    public var wire: BatchWire { .openai }

    /// `{"custom_id", "method", "url", "body"}` (``BatchInputFile/line(for:)``).
    public func line(for job: Job) throws -> [UInt8] { try BatchInputFile.line(for: job) }

    /// Uploads the file as `harvest-<ref>.jsonl`.
    public func stage(_ input: [UInt8], ref: String) async throws(BatchError) -> String {
        try await uploadFile(input, filename: "harvest-\(ref).jsonl")
    }

    /// Creates the batch with metadata `harvest_ref`.
    public func create(input: [UInt8], inputId: String, ref: String, kind: EndpointKind, completionWindow: String) async throws(BatchError) -> BatchInfo {
        try await createBatch(inputFileId: inputId, endpoint: BatchInputFile.endpoint(kind), completionWindow: completionWindow,
                              metadata: ["harvest_ref": ref])
    }

    /// Among the recent batches: the one with metadata `harvest_ref` = `ref` or over input file `inputId`.
    public func findCreated(ref: String, inputId: String, requests: Int, recordedAt: Double, known: Set<String>) async throws(BatchError) -> BatchInfo? {
        try await recentBatches().first { $0.metadata["harvest_ref"] == ref || $0.inputFileId == inputId }
    }

    /// Output file, then error file.
    public func resultFiles(_ info: BatchInfo) async throws(BatchError) -> [[UInt8]] {
        var files: [[UInt8]] = []
        for id in [info.outputFileId, info.errorFileId].compactMap({ $0 }) { files.append(try await fileContent(id)) }
        return files
    }
}
