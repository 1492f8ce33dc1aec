import HarvestCore
import HarvestJSON

/// A pre-flight check before a sweep spends money: `GET {base}/models` must answer, and answer JSON.
/// A 404 (servers without the endpoint) passes; a transport error or an HTML page fails with advice.
public enum TeacherProbe {
    /// Why the teacher is not usable.
    public struct ProbeError: Error, Sendable, CustomStringConvertible {
        /// One line for people: what, where, what to do.
        public var description: String
    }

    /// Checks the endpoint; returns the model ids it lists (empty when it lists none).
    @discardableResult
    public static func check(_ teacher: TeacherEndpoint, transport: any HTTPTransport, apiKey: String?) async throws -> [String] {
        var headers = [HTTPHeader("Accept", "application/json")]
        if let apiKey { headers.append(HTTPHeader("Authorization", "Bearer " + apiKey)) }
        // Sent with the base URL's credentials (query after the path); messages name only the public form.
        let requestURL = teacher.url(path: "/models")
        let url = teacher.publicBaseURL + "/models"
        let request = HTTPRequest(url: requestURL, method: "GET", headers: headers,
                                  timeouts: HTTPTimeouts(connect: 5, total: 30), maxResponseBytes: 8 << 20)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let e as TransportError {
            throw ProbeError(description: "cannot reach the teacher at \(teacher.publicBaseURL): \(e.message) — is the server running and the URL right (it usually ends in /v1)?")
        }
        if response.status == 401 || response.status == 403 {
            throw ProbeError(description: "the teacher at \(teacher.publicBaseURL) refused the credentials (HTTP \(response.status)) — check the API key variable")
        }
        if response.status == 404 || response.status == 405 { return [] }
        let contentType = response.header("content-type") ?? ""
        let parsed = try? JSONValue.parse(response.body)
        guard let parsed, !contentType.contains("html") else {
            throw ProbeError(description: "the teacher at \(url) answered HTTP \(response.status) with \(contentType.isEmpty ? "a non-JSON body" : contentType), not JSON: \(BodyPreview.text(response.body, limit: 80)) — is the base URL right (it usually ends in /v1)?")
        }
        guard (200..<300).contains(response.status) else {
            throw ProbeError(description: "the teacher at \(url) answered HTTP \(response.status): \(BodyPreview.text(response.body, limit: 120))")
        }
        return parsed["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }
}
