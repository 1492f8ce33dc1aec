import HarvestCore
import HarvestJSON

/// The HTTP half both batch clients share: the transport, the base URL with its credentials, the provider's key
/// headers, limits, and errors that name only the public URL.
struct BatchHTTP: Sendable {
    /// The HTTP seam (libcurl in production).
    let transport: any HTTPTransport
    /// The base URL with its credentials (user-info, query key), used only to build request URLs.
    let endpoint: TeacherURL
    /// Headers sent with every request (the key among them). Never logged or stored.
    let headers: [HTTPHeader]
    /// Limits per request (uploads and downloads may be large: the total timeout should allow for them).
    var timeouts: HTTPTimeouts
    /// Largest output, error or results file accepted, in bytes.
    var maxDownloadBytes: Int

    /// The base URL without user-info or query: what errors and logs may show.
    var baseURL: String { endpoint.publicURL }

    /// Sends `body` to `path` under the base URL and parses the JSON reply.
    func json(_ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil) async throws(BatchError) -> JSONValue {
        let response = try await send(method, endpoint.requestURL(path: path), shown: baseURL + path, body: body,
                                      contentType: contentType, maxBytes: 64 << 20)
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw .malformed(url: baseURL + path, detail: "not JSON (\(error)): \(BodyPreview.text(response.body, limit: 80))")
        }
    }

    /// Downloads `path` under the base URL (up to ``maxDownloadBytes``).
    func download(path: String) async throws(BatchError) -> [UInt8] {
        try await send("GET", endpoint.requestURL(path: path), shown: baseURL + path, body: [], contentType: nil,
                       maxBytes: maxDownloadBytes).body
    }

    /// Downloads an absolute `url` the provider gave (up to ``maxDownloadBytes``); errors show it redacted.
    func download(url: String) async throws(BatchError) -> [UInt8] {
        try await send("GET", url, shown: TeacherURL.redacted(url), body: [], contentType: nil, maxBytes: maxDownloadBytes).body
    }

    /// Sends to `url`; errors name `shown` (no credentials). A status outside 2xx is ``BatchError/http(status:message:url:)``.
    func send(_ method: String, _ url: String, shown: String, body: [UInt8], contentType: String?, maxBytes: Int) async throws(BatchError) -> HTTPResponse {
        var headers = headers
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        let request = HTTPRequest(url: url, method: method, headers: headers, body: body, timeouts: timeouts, maxResponseBytes: maxBytes)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw .transport(error)
        } catch {
            throw .transport(TransportError(kind: .other, message: String(describing: error), url: shown))
        }
        guard (200..<300).contains(response.status) else {
            throw .http(status: response.status, message: TeacherClient.errorMessage(response.body), url: shown)
        }
        return response
    }
}
