import Foundation

/// A PostgreSQL cluster of its own for a test that stops and starts the server (a shared one would break the other
/// tests running meanwhile): started with `.ci/pg-start`, stopped (`pg_ctl stop -m fast`) and started again on the
/// same port and socket directory, removed with `.ci/pg-stop`.
final class ScratchCluster: @unchecked Sendable {
    /// The URL of its `postgres` database.
    let url: String
    /// Its directory (data, log, socket).
    let dir: String
    private let port: String

    /// The repository's root (for `.ci/…`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Starts a cluster.
    init() throws {
        let out = try Self.run(["bash", Self.root + "/.ci/pg-start"])
        func value(_ name: String) -> String? {
            out.split(separator: "\n").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
        }
        guard let url = value("HARVEST_TEST_PG_URL"), let dir = value("HARVEST_TEST_PG_DIR") else {
            throw ClusterError(message: "pg-start printed no URL: \(out)")
        }
        self.url = url
        self.dir = dir
        port = String(url.split(separator: ":").last!.prefix { $0.isNumber })
    }

    /// Stops the server the way an operator's restart does (`pg_ctl stop -m fast`: sessions are terminated).
    func stop() throws { _ = try Self.run(Self.asOwner + [Self.bin + "/pg_ctl", "-D", dir + "/data", "-m", "fast", "-w", "stop"]) }

    /// Starts it again on the same port and socket directory.
    func start() throws {
        _ = try Self.run(Self.asOwner + [Self.bin + "/pg_ctl", "-D", dir + "/data", "-l", dir + "/server.log", "-w", "-t", "60", "-o",
                                         "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"])
    }

    /// Stops the server and removes the directory.
    func destroy() { _ = try? Self.run(["bash", Self.root + "/.ci/pg-stop", dir]) }

    private static let bin: String = {
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        let newest = versions.compactMap { Int($0) }.max().map(String.init) ?? "15"
        return "\(base)/\(newest)/bin"
    }()

    private static var asOwner: [String] { getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : [] }

    struct ClusterError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs `args` (posix_spawn + waitpid: the test process may not reap children for Foundation's `Process`) with
    /// its output in a file (a pipe would stay open in the server it starts) and returns the output.
    @discardableResult
    private static func run(_ args: [String]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-scratch-\(UUID().uuidString).out").path
        defer { unlink(out) }
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let argv = ["/bin/sh", "-c", "\(quoted) </dev/null >'\(out)' 2>&1"]
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &cargs, environ) == 0 else { throw ClusterError(message: "cannot start /bin/sh") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard status == 0 else { throw ClusterError(message: "\(args.joined(separator: " ")) failed (status \(status)): \(text)") }
        return text
    }
}
