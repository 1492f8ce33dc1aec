import Foundation
import HarvestJSON
import HarvestKit

/// The configuration of `harvest serve` and of queued sweeps (`/etc/harvest/harvest.json`): the database, the
/// metrics endpoint, the teachers with their limits and prices, and the sweeps. Every key is in docs/CONFIG.md.
///
/// Relative paths inside the file (database, prompt files, rescue file) are read relative to the file's directory.
public struct DaemonConfig: Sendable, Equatable {
    /// The file it was read from.
    public var file: String
    /// The SQLite database (`database.path`); nil = `database.url`, `--db`, `$HARVEST_DB` or `./harvest.sqlite`.
    public var databasePath: String?
    /// The PostgreSQL database (`database.url`, `postgres://…` without a password); never set together with
    /// ``databasePath``.
    public var databaseURL: String?
    /// Where answers the database refused are appended (`database.rescue_file`); nil = next to the database.
    public var rescueFile: String?
    /// The metrics and health endpoint (`server.metrics_address`); nil = off.
    public var metricsAddress: MetricsAddress?
    /// Seconds in-flight requests may take to finish after SIGTERM before they are abandoned (`drain_seconds`).
    public var drainSeconds: Double
    /// Seconds a claimed job stays leased without renewal (`lease_seconds`); the daemon renews every third of it.
    public var leaseSeconds: Double
    /// Seconds between looks for new work when the queue is empty (`poll_seconds`).
    public var pollSeconds: Double
    /// The teachers, by unique name.
    public var teachers: [TeacherConfig]
    /// The sweeps, by unique name.
    public var sweeps: [SweepConfig]

    /// Creates a config with the documented defaults.
    public init(file: String = "", databasePath: String? = nil, databaseURL: String? = nil, rescueFile: String? = nil, metricsAddress: MetricsAddress? = nil,
                drainSeconds: Double = 30, leaseSeconds: Double = 60, pollSeconds: Double = 1,
                teachers: [TeacherConfig] = [], sweeps: [SweepConfig] = []) {
        self.file = file
        self.databasePath = databasePath
        self.databaseURL = databaseURL
        self.rescueFile = rescueFile
        self.metricsAddress = metricsAddress
        self.drainSeconds = drainSeconds
        self.leaseSeconds = leaseSeconds
        self.pollSeconds = pollSeconds
        self.teachers = teachers
        self.sweeps = sweeps
    }

    /// The teacher named `name`.
    public func teacher(named name: String) -> TeacherConfig? { teachers.first { $0.name == name } }

    /// The sweep named `name`.
    public func sweep(named name: String) -> SweepConfig? { sweeps.first { $0.name == name } }

    /// The database to use: `--db` first, then `database.url` or `database.path`, then `$HARVEST_DB`, then
    /// `./harvest.sqlite` (a SQLite path or a `postgres://` URL; ``StoreLocation`` tells them apart).
    public func resolveDatabase(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        flag ?? databaseURL ?? databasePath ?? environment["HARVEST_DB"] ?? StoreLocation.defaultPath
    }

    /// ``resolveDatabase(flag:environment:)`` as a location (a URL with a password is refused).
    public func resolveLocation(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreLocation {
        try StoreLocation(parsing: resolveDatabase(flag: flag, environment: environment))
    }

    /// The rescue file for database `database`: `database.rescue_file`, else `harvest-rescue.jsonl` beside a SQLite
    /// database, or beside this config file for PostgreSQL.
    public func resolveRescueFile(database: String) -> String {
        if let rescueFile { return rescueFile }
        let anchor = ConfigPaths.directory(of: StoreLocation.isURL(database) ? file : database)
        return ConfigPaths.resolve("harvest-rescue.jsonl", against: anchor)
    }

    static let topKeys = ["database", "server", "teachers", "sweeps", "drain_seconds", "lease_seconds", "poll_seconds"]

    /// Reads and validates a config file. Errors name the file and the field path.
    public static func load(path: String) throws(DaemonConfigError) -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the config file (check its permissions)"
                : "no such config file — give --config FILE, set $HARVEST_CONFIG, or create \(ConfigPaths.systemDefault)"
            throw DaemonConfigError(file: path, field: nil, message: reason)
        }
        return try parse(Array(data), file: path)
    }

    /// Parses config text; `file` names it in errors and anchors relative paths.
    public static func parse(_ bytes: [UInt8], file: String) throws(DaemonConfigError) -> DaemonConfig {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw DaemonConfigError(file: file, field: nil, message: "not valid JSON: \(error) — see docs/CONFIG.md for the format")
        }
        if root["teacher"] != nil, root["teachers"] == nil {
            throw DaemonConfigError(file: file, field: "teacher", message: FlatConfigMigration.message(root))
        }
        let r = try ConfigReader(file: file, path: "", value: root, keys: topKeys)
        let base = ConfigPaths.directory(of: file)
        var c = DaemonConfig(file: file)
        if let db = try r.object("database", keys: ["path", "url", "rescue_file"]) {
            c.databasePath = try db.string("path").map { ConfigPaths.resolve($0, against: base) }
            if let url = try db.string("url") {
                guard c.databasePath == nil else {
                    throw db.bad("url", "set either database.path (a SQLite file) or database.url (PostgreSQL), not both")
                }
                guard StoreLocation.isURL(url) else { throw db.bad("url", "must start with postgres:// or postgresql:// (a SQLite file goes in database.path)") }
                do {
                    c.databaseURL = try StoreLocation(parsing: url).description
                } catch {
                    throw db.bad("url", "\(error)")
                }
            }
            c.rescueFile = try db.string("rescue_file").map { ConfigPaths.resolve($0, against: base) }
        }
        if let server = try r.object("server", keys: ["metrics_address"]), let text = try server.string("metrics_address") {
            switch MetricsAddress.parse(text) {
            case .success(let address): c.metricsAddress = address
            case .failure(let e): throw server.bad("metrics_address", e.reason)
            }
        }
        c.drainSeconds = try r.number("drain_seconds", min: 0) ?? c.drainSeconds
        c.leaseSeconds = try r.positive("lease_seconds") ?? c.leaseSeconds
        c.pollSeconds = try r.positive("poll_seconds") ?? c.pollSeconds
        for (i, v) in (try r.array("teachers") ?? []).enumerated() {
            let t = try TeacherSpec.parse(ConfigReader(file: file, path: "teachers[\(i)]", value: v, keys: TeacherSpec.configKeys))
            if c.teachers.contains(where: { $0.name == t.name }) {
                throw DaemonConfigError(file: file, field: "teachers[\(i)].name", message: "duplicate teacher name \"\(t.name)\"")
            }
            c.teachers.append(t)
        }
        for (i, v) in (try r.array("sweeps") ?? []).enumerated() {
            let reader = try ConfigReader(file: file, path: "sweeps[\(i)]", value: v, keys: SweepConfig.keys)
            let s = try SweepConfig.parse(reader, teachers: c.teachers, baseDirectory: base)
            if c.sweeps.contains(where: { $0.name == s.name }) {
                throw DaemonConfigError(file: file, field: "sweeps[\(i)].name", message: "duplicate sweep name \"\(s.name)\"")
            }
            c.sweeps.append(s)
        }
        return c
    }

    /// Checks what only matters for a running daemon: every teacher's API key variable is set.
    public func checkEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(DaemonConfigError) {
        for (i, t) in teachers.enumerated() {
            if let name = t.apiKeyEnv, (environment[name] ?? "").isEmpty {
                throw DaemonConfigError(file: file, field: "teachers[\(i)].api_key_env",
                                        message: "names \(name), but that environment variable is not set — put it in the EnvironmentFile of harvest.service")
            }
        }
    }
}
