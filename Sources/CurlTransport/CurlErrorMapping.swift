import CCurl
import HarvestCore

/// Translates curl result codes into ``HarvestCore/TransportError``.
enum CurlErrorMapping {
    /// The failure class for `code`. `capExceeded` tells a write error caused by the
    /// response size cap apart from other write errors.
    static func kind(for code: CURLcode, capExceeded: Bool) -> TransportError.Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE,
            CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3:
            return .connectionLost
        case CURLE_WRITE_ERROR where capExceeded:
            return .responseTooLarge
        default:
            return .other
        }
    }

    /// A transport error for a failed transfer: curl's description of `code`, followed by the
    /// error buffer's detail when it adds something.
    static func error(
        for code: CURLcode, capExceeded: Bool, errorText: String?, maxResponseBytes: Int, url: String
    ) -> TransportError {
        let kind = kind(for: code, capExceeded: capExceeded)
        var message = String(cString: curl_easy_strerror(code))
        if kind == .responseTooLarge {
            message = "response body exceeds \(maxResponseBytes) bytes"
        } else if let errorText, errorText != message {
            message += ": " + errorText
        }
        return TransportError(
            kind: kind, code: Int32(bitPattern: code.rawValue), message: message, url: redactedURL(url))
    }

    /// `url` without user info, query or fragment, which may carry credentials
    /// (`https://user:key@host/p?key=…` becomes `https://host/p`).
    static func redactedURL(_ url: String) -> String {
        var rest = Substring(url)
        var scheme = Substring()
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.upperBound]
            rest = rest[range.upperBound...]
        }
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            rest = rest[..<end]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
        }
        return String(scheme + rest)
    }
}
