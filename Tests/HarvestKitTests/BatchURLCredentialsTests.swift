import HarvestCore
import HarvestKit
import Synchronization
import Testing

/// A transport that records the URLs it was asked for and answers every request with `status` and `body`.
private final class RecordingTransport: HTTPTransport, Sendable {
    let urls = Mutex<[String]>([])
    let status: Int
    let body: String
    init(status: Int, body: String) { (self.status, self.body) = (status, body) }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        urls.withLock { $0.append(request.url) }
        return HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
    }
}

/// URL credentials of a batch teacher are sent, never kept where they could be printed (#10: URL credentials).
@Suite struct BatchURLCredentialsTests {
    static let secretURL = "https://user:pa55word@batch.example/v1?api_key=SECRET-KEY"

    @Test func credentialsAreSentButNotInTheBaseURLNorInErrors() async throws {
        let ok = RecordingTransport(status: 200, body: #"{"id": "file-1"}"#)
        let api = OpenAIBatchClient(transport: ok, baseURL: Self.secretURL, apiKey: nil)
        #expect(api.baseURL == "https://batch.example/v1")
        #expect(try await api.uploadFile(Array("{}\n".utf8), filename: "in.jsonl") == "file-1")
        #expect(ok.urls.withLock { $0 } == ["https://user:pa55word@batch.example/v1/files?api_key=SECRET-KEY"])

        let failing = OpenAIBatchClient(transport: RecordingTransport(status: 500, body: #"{"error": {"message": "down"}}"#),
                                        baseURL: Self.secretURL, apiKey: nil)
        do {
            _ = try await failing.uploadFile(Array("{}\n".utf8), filename: "in.jsonl")
            Issue.record("a 500 must fail the upload")
        } catch {
            let text = "\(error)"
            #expect(text.contains("batch.example/v1/files"), "\(text)")
            #expect(!text.contains("pa55word") && !text.contains("SECRET-KEY"), "\(text)")
        }
    }
}
