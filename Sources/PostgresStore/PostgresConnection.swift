import CPostgres
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection: statements with parameters, scripts, transactions; failures become ``PostgresError``s
/// carrying the SQL and the SQLSTATE. The password is never part of anything it prints (the URL holds none:
/// libpq reads `PGPASSWORD`, `.pgpass` or the service file itself).
///
/// Not safe for concurrent use: one thread at a time (``PostgresPool`` gives each connection its own thread).
///
/// A lost connection (server restarted, network cut) is detected on the failing call (``PostgresError/connectionLost(url:message:)``)
/// and re-established by the next call (`PQreset`: a new session on the same handle), at most as often as its
/// ``PostgresBackoff`` allows; calls made before then fail at once with `connectionLost` instead of waiting.
public final class PostgresConnection: @unchecked Sendable {
    /// The libpq connection (internal: `COPY` lives in an extension, PostgresConnection+Copy.swift).
    let conn: OpaquePointer
    /// When the next reconnection may be tried.
    private var backoff: PostgresBackoff
    /// Where it is connected (no secrets).
    public let url: PostgresURL

    /// Connects to `url` (the libpq URI form; `application_name` is set to `harvest`).
    public init(url: PostgresURL, backoff: PostgresBackoff = .standard) throws(PostgresError) {
        self.url = url
        self.backoff = backoff
        let keywords = ["dbname", "application_name"]
        let values = [url.value, "harvest"]
        let made: OpaquePointer? = Self.withCStrings(keywords) { k in
            Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let made else { throw .connect(url: url.value, message: "out of memory") }
        guard PQstatus(made) == CONNECTION_OK else {
            let message = Self.message(made)
            PQfinish(made)
            throw .connect(url: url.value, message: message)
        }
        conn = made
        // Notices (e.g. "already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { PQfinish(conn) }

    /// Runs one statement with `$1…$n` parameters and returns its rows (empty for commands).
    @discardableResult
    public func execute(_ sql: String, _ params: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        try ensureConnected()
        // Text goes as a C string: an inner NUL would cut it short without a word. PostgreSQL text cannot hold U+0000
        // anyway; refuse it as the server would (SQLSTATE 22021).
        for (i, p) in params.enumerated() {
            if case .text(let t) = p, t.utf8.contains(0) {
                throw .query(sql: sql, sqlstate: "22021", message: "parameter $\(i + 1) holds U+0000, which PostgreSQL text cannot store",
                             detail: nil)
            }
        }
        let wires = params.map(\.wire)
        let types = params.map(\.oid)
        let formats = params.map(\.format)
        let lengths = wires.map { Int32($0?.count ?? 0) }
        // Copies that live until the call returns; nil entries are NULLs.
        let buffers: [UnsafeMutablePointer<UInt8>?] = wires.map { w in
            guard let w else { return nil }
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, w.count))
            p.initialize(from: w, count: w.count)
            return p
        }
        defer { for b in buffers { b?.deallocate() } }
        let values = buffers.map { $0.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } }
        let raw = values.withUnsafeBufferPointer { v in
            types.withUnsafeBufferPointer { t in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in
                        PQexecParams(conn, sql, Int32(params.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress, 0)
                    }
                }
            }
        }
        return try check(raw, sql: sql)
    }

    /// Runs a script of several statements without parameters (migrations).
    public func script(_ sql: String) throws(PostgresError) {
        try ensureConnected()
        _ = try check(PQexec(conn, sql), sql: sql)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws (the error is rethrown).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if PQstatus(conn) == CONNECTION_OK { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Whether the connection is usable (false after the server went away, until a statement reconnects it).
    public var isConnected: Bool { PQstatus(conn) == CONNECTION_OK }

    /// Reconnects a broken connection (outside a transaction: a broken transaction is lost with it), unless the
    /// backoff says to wait: then it throws `connectionLost` at once. Returns true when it reconnected.
    @discardableResult
    func ensureConnected() throws(PostgresError) -> Bool {
        guard PQstatus(conn) != CONNECTION_OK else { return false }
        let wait = backoff.wait()
        guard wait == 0 else {
            throw .connectionLost(url: url.value, message: "reconnecting: next try in \(Double(Int(wait * 10 + 1)) / 10) s")
        }
        PQreset(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            backoff.failed()
            throw .connectionLost(url: url.value, message: Self.message(conn))
        }
        backoff.succeeded()
        return true
    }

    func check(_ raw: OpaquePointer?, sql: String) throws(PostgresError) -> PostgresResult {
        guard let raw else {
            throw PQstatus(conn) == CONNECTION_OK ? .query(sql: sql, sqlstate: nil, message: Self.message(conn), detail: nil)
                : .connectionLost(url: url.value, message: Self.message(conn))
        }
        let result = PostgresResult(raw, sql: sql)
        let status = PQresultStatus(raw)
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return result }
        let state = Self.field(raw, "C")
        // Whatever the SQLSTATE (08…, 57P01 when the server shuts down), a connection that broke is a lost connection.
        if PQstatus(conn) != CONNECTION_OK {
            throw .connectionLost(url: url.value, message: Self.field(raw, "M") ?? Self.message(conn))
        }
        throw .query(sql: sql, sqlstate: state, message: Self.field(raw, "M") ?? Self.message(conn), detail: Self.field(raw, "D"))
    }

    private static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: p)
    }

    static func message(_ conn: OpaquePointer) -> String {
        let text = PQerrorMessage(conn).map { String(cString: $0) } ?? ""
        let trimmed = text.split(whereSeparator: \.isNewline).joined(separator: "; ")
        return trimmed.isEmpty ? "unknown error" : trimmed
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        var pointers = strings.map { UnsafePointer(strdup($0)) } + [nil]
        defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
        return pointers.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress!)) }
    }
}
