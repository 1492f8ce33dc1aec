/// A teacher base URL split into the part that may be stored, logged and exported, and the credentials that
/// may only be sent.
///
/// `http://user:secret@host:8000/v1?api_key=K` has the public form `http://host:8000/v1`; the user-info
/// (`user:secret`) and the query (`api_key=K`) are kept only in memory and put back where they belong when a
/// request URL is built: user-info after the scheme, the query after the full path
/// (`http://user:secret@host:8000/v1/models?api_key=K`). A fragment is dropped. Trailing slashes of the path
/// are removed.
public struct TeacherURL: Sendable, Hashable {
    /// `scheme://` (empty when the text has no scheme).
    public var scheme: String
    /// `user:password` without the `@`, nil when absent.
    public var userInfo: String?
    /// Host, port and path, without trailing slashes.
    public var hostAndPath: String
    /// The query without the `?`, nil when absent.
    public var query: String?

    /// Splits `text`.
    public init(_ text: String) {
        var rest = Substring(text)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let q = rest.firstIndex(of: "?") {
            let value = rest[rest.index(after: q)...]
            query = value.isEmpty ? nil : String(value)
            rest = rest[..<q]
        }
        scheme = ""
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://"),
           !rest[..<colon].contains(where: { $0 == "/" || $0 == "@" }) {
            let after = rest.index(colon, offsetBy: 3)
            scheme = String(rest[..<after])
            rest = rest[after...]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            userInfo = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        while rest.hasSuffix("/") { rest.removeLast() }
        hostAndPath = String(rest)
    }

    /// The form that may be stored, logged and exported: no user-info, no query, no fragment.
    public var publicURL: String { scheme + hostAndPath }

    /// True when the text carried user-info or a query (credentials that must never be stored).
    public var hasSecrets: Bool { userInfo != nil || query != nil }

    /// The URL to send a request for `path` (e.g. `/models`, `/chat/completions`) to: user-info restored after
    /// the scheme and the query put after the whole path.
    public func requestURL(path: String) -> String {
        var out = scheme
        if let userInfo { out += userInfo + "@" }
        out += hostAndPath + path
        if let query { out += (path.contains("?") ? "&" : "?") + query }
        return out
    }

    /// `text` without user-info, query or fragment (trailing slashes kept off); for anything stored or printed.
    public static func redacted(_ text: String) -> String { TeacherURL(text).publicURL }
}
