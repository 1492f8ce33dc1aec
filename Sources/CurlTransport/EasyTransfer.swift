import CCurl
import HarvestCore

/// One request on its way through the multi handle: the easy handle, the memory curl reads
/// from (body, header list), and the response as it arrives.
///
/// Confined to the event thread; curl's callbacks run there, inside `curl_multi_perform`.
/// The event loop keeps the transfer alive while curl holds its address (`CURLOPT_PRIVATE`,
/// `CURLOPT_WRITEDATA`, `CURLOPT_HEADERDATA`).
final class EasyTransfer {
    /// The caller waiting for this transfer.
    let ticket: RequestTicket
    /// The easy handle carrying the transfer.
    let easy: EasyHandle
    private let maxResponseBytes: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var bodyBuffer: UnsafeMutableRawPointer?
    private var responseBody: [UInt8] = []
    private var responseHeaders: [HTTPHeader] = []
    private var capExceeded = false
    /// Monotonic seconds when the transfer was started, and when the latest response byte arrived (0: none yet).
    private(set) var startedAt = 0.0
    private(set) var lastByteAt = 0.0
    /// The first-byte and idle limits of the request (0 = off).
    let firstByteTimeout: Double
    let idleTimeout: Double

    init(ticket: RequestTicket, easy: EasyHandle) {
        self.ticket = ticket
        self.easy = easy
        maxResponseBytes = ticket.request.maxResponseBytes
        firstByteTimeout = max(0, ticket.request.timeouts.firstByte)
        idleTimeout = max(0, ticket.request.timeouts.idle)
    }

    /// True when the transfer has a first-byte or idle limit the event loop must watch.
    var isWatched: Bool { firstByteTimeout > 0 || idleTimeout > 0 }

    /// Marks the start of the transfer (for the first-byte limit).
    func markStarted(at now: Double) {
        startedAt = now
    }

    /// The timeout error when the first-byte or idle limit has passed at `now`, else nil.
    func expiredLimit(at now: Double) -> TransportError? {
        if lastByteAt == 0 {
            guard firstByteTimeout > 0, now - startedAt >= firstByteTimeout else { return nil }
            return TransportError(kind: .timeout, code: 0,
                                  message: "no response within \(Self.seconds(firstByteTimeout)) s (first-byte timeout)",
                                  url: CurlErrorMapping.redactedURL(ticket.request.url))
        }
        guard idleTimeout > 0, now - lastByteAt >= idleTimeout else { return nil }
        return TransportError(kind: .timeout, code: 0,
                              message: "response stalled: no data for \(Self.seconds(idleTimeout)) s (idle timeout)",
                              url: CurlErrorMapping.redactedURL(ticket.request.url))
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    deinit {
        releaseRequestMemory()
    }

    /// Sets every option for the ticket's request. Returns an error when the request is malformed
    /// or curl rejects an option.
    func configure(_ configuration: CurlTransport.Configuration) -> TransportError? {
        let request = ticket.request
        guard Self.isToken(request.method) else {
            return invalid("invalid HTTP method")
        }
        var options = EasyOptions(handle: easy.raw)
        options.set(CURLOPT_NOSIGNAL, 1)
        options.set(CURLOPT_ERRORBUFFER, pointer: easy.errorBuffer)
        options.set(CURLOPT_PRIVATE, pointer: Unmanaged.passUnretained(self).toOpaque())
        options.set(CURLOPT_URL, string: request.url)
        options.set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        options.set(CURLOPT_USERAGENT, string: configuration.userAgent)
        options.set(CURLOPT_HTTP_VERSION, configuration.http2 ? Int(CURL_HTTP_VERSION_2TLS) : Int(CURL_HTTP_VERSION_1_1))
        if !configuration.verifyTLS {
            options.set(CURLOPT_SSL_VERIFYPEER, 0)
            options.set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if !configuration.proxyFromEnvironment {
            options.set(CURLOPT_PROXY, string: "")
        }
        if configuration.acceptCompressedResponses {
            options.set(CURLOPT_ACCEPT_ENCODING, string: "")
        }
        options.set(CURLOPT_TCP_KEEPALIVE, 1)
        options.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.timeouts.connect))
        options.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeouts.total))
        if request.timeouts.lowSpeedSeconds > 0 {
            options.set(CURLOPT_LOW_SPEED_LIMIT, max(1, request.timeouts.lowSpeedBytes))
            options.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(request.timeouts.lowSpeedSeconds.rounded(.up))))
        }
        setMethodAndBody(request, &options)
        guard buildHeaderList(request.headers) else {
            return invalid("invalid request header")
        }
        options.set(CURLOPT_HTTPHEADER, pointer: headerList)
        let user = Unmanaged.passUnretained(self).toOpaque()
        options.set(CURLOPT_WRITEDATA, pointer: user)
        options.set(CURLOPT_HEADERDATA, pointer: user)
        options.setCallback(CURLOPT_WRITEFUNCTION) { data, size, count, user in
            EasyTransfer.from(user).receiveBody(data, size * count)
        }
        options.setCallback(CURLOPT_HEADERFUNCTION) { data, size, count, user in
            EasyTransfer.from(user).receiveHeader(data, size * count)
        }
        if let failure = options.firstFailure {
            return CurlErrorMapping.error(
                for: failure, capExceeded: false, errorText: nil, maxResponseBytes: maxResponseBytes,
                url: request.url)
        }
        return nil
    }

    /// The response, or the error curl reported. Call before the handle is reset.
    func outcome(for code: CURLcode) -> Result<HTTPResponse, TransportError> {
        guard code == CURLE_OK else {
            return .failure(
                CurlErrorMapping.error(
                    for: code, capExceeded: capExceeded, errorText: easy.errorText,
                    maxResponseBytes: maxResponseBytes, url: ticket.request.url))
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy.raw, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: responseHeaders, body: responseBody))
    }

    /// Frees the body copy and header list; curl must no longer use this transfer.
    func releaseRequestMemory() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        bodyBuffer?.deallocate()
        bodyBuffer = nil
    }

    // MARK: - Request

    private func setMethodAndBody(_ request: HTTPRequest, _ options: inout EasyOptions) {
        let method = request.method.uppercased()
        if method == "HEAD" {
            options.set(CURLOPT_NOBODY, 1)
            return
        }
        if method == "GET" && request.body.isEmpty {
            options.set(CURLOPT_HTTPGET, 1)
            return
        }
        // The body is copied once into memory owned by this transfer, valid until it completes.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, request.body.count), alignment: 1)
        request.body.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
        bodyBuffer = buffer
        options.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(request.body.count))
        options.set(CURLOPT_POSTFIELDS, pointer: buffer)
        if method != "POST" {
            options.set(CURLOPT_CUSTOMREQUEST, string: method)
        }
    }

    /// Builds the `curl_slist`; false when a header would break the request framing.
    private func buildHeaderList(_ headers: [HTTPHeader]) -> Bool {
        var hasExpect = false
        for header in headers {
            guard Self.isToken(header.name), !header.value.contains(where: { $0.isNewline || $0 == "\0" }) else {
                return false
            }
            if header.name.lowercased() == "expect" { hasExpect = true }
            // "Name:" would tell curl to drop the header; "Name;" sends it with an empty value.
            append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        // No `Expect: 100-continue` round trip before large bodies.
        if !hasExpect { append("Expect:") }
        return true
    }

    private func append(_ line: String) {
        headerList = curl_slist_append(headerList, line)
    }

    private func invalid(_ message: String) -> TransportError {
        TransportError(kind: .other, message: message, url: CurlErrorMapping.redactedURL(ticket.request.url))
    }

    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        seconds > 0 ? max(1, Int((seconds * 1000).rounded(.up))) : 0
    }

    // MARK: - Response callbacks

    private static func from(_ user: UnsafeMutableRawPointer?) -> EasyTransfer {
        Unmanaged<EasyTransfer>.fromOpaque(user!).takeUnretainedValue()
    }

    /// `CURLOPT_WRITEFUNCTION`: appends body bytes; returning less than `length` aborts the transfer.
    private func receiveBody(_ data: UnsafeMutablePointer<CChar>?, _ length: Int) -> Int {
        guard length > 0, let data else { return length }
        if isWatched { lastByteAt = MonotonicTime.now() }
        guard responseBody.count + length <= maxResponseBytes else {
            capExceeded = true
            return 0
        }
        responseBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    /// `CURLOPT_HEADERFUNCTION`: one header line per call, status lines included.
    private func receiveHeader(_ data: UnsafeMutablePointer<CChar>?, _ length: Int) -> Int {
        guard length > 0, let data else { return length }
        if isWatched { lastByteAt = MonotonicTime.now() }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response (after 1xx or an auth round): keep only the final one's headers.
            responseHeaders.removeAll(keepingCapacity: true)
            return length
        }
        if let first = line.first, first == " " || first == "\t", !responseHeaders.isEmpty {
            // Obsolete line folding continues the previous value.
            let last = responseHeaders.count - 1
            responseHeaders[last].value += " " + Self.trimmed(line[...])
            return length
        }
        guard let colon = line.firstIndex(of: ":") else { return length }
        let name = String(line[..<colon])
        let value = Self.trimmed(line[line.index(after: colon)...])
        responseHeaders.append(HTTPHeader(name, value))
        if name.lowercased() == "content-length", let declared = Int(value) {
            if declared > maxResponseBytes && ticket.request.method.uppercased() != "HEAD" {
                capExceeded = true
                return 0
            }
            responseBody.reserveCapacity(declared)
        }
        return length
    }

    /// `text` without leading blanks and trailing whitespace (including the CRLF).
    private static func trimmed(_ text: Substring) -> String {
        var slice = text
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
