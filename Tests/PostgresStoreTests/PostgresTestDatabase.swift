import Foundation
import PostgresStore

/// A fresh database per test on the cluster named by `HARVEST_TEST_PG_URL` (`.ci/pg-start` starts one; see
/// docs/OPERATIONS.md, *PostgreSQL*), dropped by ``drop()``. Tests that need PostgreSQL are skipped when the
/// variable is unset.
struct PostgresTestDatabase {
    /// The admin URL from the environment, nil when PostgreSQL tests are off.
    static let adminURL: String? = ProcessInfo.processInfo.environment["HARVEST_TEST_PG_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether PostgreSQL tests run.
    static var available: Bool { adminURL != nil }
    /// Why they are skipped.
    static let skipNote: Comment = "HARVEST_TEST_PG_URL is not set: PostgreSQL tests skipped (eval \"$(bash .ci/pg-start)\" to run them)"

    /// The new database's URL.
    let url: String
    let name: String

    /// Creates database `harvest_t_<random>`; with `icuLocale` (e.g. `en-US`), its default collation is that ICU
    /// locale's (text sorts as people read it, not by bytes), whatever the cluster's.
    init(icuLocale: String? = nil) throws {
        guard let admin = Self.adminURL else { throw PostgresError.badURL(reason: "HARVEST_TEST_PG_URL is not set") }
        name = "harvest_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let connection = try PostgresConnection(url: PostgresURL(admin))
        let collation = icuLocale.map { " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '\($0)' LOCALE 'C.UTF-8'" } ?? ""
        try connection.execute("CREATE DATABASE \(name)" + collation)
        url = Self.replacingDatabase(in: admin, with: name)
    }

    /// Drops the database (closing its connections first).
    func drop() {
        guard let admin = Self.adminURL, let connection = try? PostgresConnection(url: PostgresURL(admin)) else { return }
        _ = try? connection.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// `url` with its database path replaced by `name`.
    static func replacingDatabase(in url: String, with name: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterAuthority = url[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex
        let query = url[afterAuthority...].firstIndex(of: "?") ?? url.endIndex
        return String(url[..<afterAuthority]) + "/" + name + String(url[query...])
    }
}

import Testing
