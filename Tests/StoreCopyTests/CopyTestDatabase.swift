import Foundation
import PostgresStore
import Testing

/// A fresh PostgreSQL database per test on the cluster named by `HARVEST_TEST_PG_URL` (`.ci/pg-start`), dropped by
/// ``drop()``. Tests that need PostgreSQL are skipped when the variable is unset.
struct CopyTestDatabase {
    /// The admin URL from the environment, nil when PostgreSQL tests are off.
    static let adminURL: String? = ProcessInfo.processInfo.environment["HARVEST_TEST_PG_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether PostgreSQL tests run.
    static var available: Bool { adminURL != nil }
    /// Why they are skipped.
    static let skipNote: Comment = "HARVEST_TEST_PG_URL is not set: PostgreSQL tests skipped (eval \"$(bash .ci/pg-start)\" to run them)"

    /// The new database's URL.
    let url: String
    let name: String

    /// Creates database `harvest_c_<random>`.
    init() throws {
        guard let admin = Self.adminURL else { throw PostgresError.badURL(reason: "HARVEST_TEST_PG_URL is not set") }
        name = "harvest_c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let connection = try PostgresConnection(url: PostgresURL(admin))
        try connection.execute("CREATE DATABASE \(name)")
        guard let scheme = admin.range(of: "://") else { throw PostgresError.badURL(reason: "no scheme") }
        let afterAuthority = admin[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? admin.endIndex
        let query = admin[afterAuthority...].firstIndex(of: "?") ?? admin.endIndex
        url = String(admin[..<afterAuthority]) + "/" + name + String(admin[query...])
    }

    /// A connection to it.
    func connect() throws -> PostgresConnection { try PostgresConnection(url: PostgresURL(url)) }

    /// Drops the database (closing its connections first).
    func drop() {
        guard let admin = Self.adminURL, let connection = try? PostgresConnection(url: PostgresURL(admin)) else { return }
        _ = try? connection.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
