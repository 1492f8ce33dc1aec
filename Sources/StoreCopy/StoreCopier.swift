import Foundation
import PostgresStore

/// `harvest db copy`: copies a whole harvest between two databases — a SQLite file and a PostgreSQL database, either
/// way (or SQLite to SQLite) — and then verifies it.
///
/// # Guarantees
/// - **Exact.** Every row of every table in ``CopyTable/all`` keeps its id and values (doubles bit for bit);
///   `responses.logprobs` are decoded with the source teacher's vocabulary and encoded with the target's, so tokens
///   and logprob bits are the same while the indices follow the target (dense per teacher in SQLite, sequence values
///   in PostgreSQL). Leased jobs arrive as pending, without the lease (nothing holds it in the target). The source
///   is read in one snapshot, so a daemon writing to it meanwhile does not make the copy inconsistent (rows it
///   commits later are not copied).
/// - **Verified.** Afterwards, per table, row counts and a content digest (``CopyDigest``, logprobs decoded) of the
///   source snapshot and of the target are compared; ``CopyReport/verified`` says whether all match.
/// - **Resumable.** Rows go in key order in batches, each its own transaction, inserted with "skip when the key is
///   there"; the target's `meta` row `copy_source` names the source. A copy killed at any point and run again with
///   the same `--from` continues (tables keyed by `id` after the target's largest id) and ends without duplicates.
/// - **Refusals** (before anything is written): the same database on both sides; a source that is missing or not a
///   harvest; a SQLite target that holds data and is not a copy of this source; any target with a prompt or job
///   whose id matches a source row with another prompt hash or job key (a different harvest).
/// - **Streams.** Pages of ``CopyOptions/pageRows`` rows; memory stays flat apart from the teachers' vocabularies.
public final class StoreCopier {
    /// The source, as given.
    public let from: String
    /// The target, as given.
    public let to: String
    /// Options.
    public let options: CopyOptions

    /// Prepares a copy (nothing is opened yet).
    public init(from: String, to: String, options: CopyOptions = .init()) {
        self.from = from
        self.to = to
        self.options = options
    }

    /// Runs the copy and its verification. Throws ``CopyError`` for refusals, and the backends' errors.
    public func run() throws -> CopyReport {
        try refuseSameDatabase()
        let source = try Self.endpoint(from, create: false)
        defer { source.close() }
        try source.beginRead()
        defer { source.endRead() }
        guard try source.meta("schema_version") != nil else {
            throw CopyError.badSource(location: source.location, reason: "it holds no harvest schema")
        }
        // Names the source database itself (its creation facts), not where it lies: a moved file still resumes.
        let identity = "harvest database created \(try source.meta("created_at") ?? "?") by \(try source.meta("created_by") ?? "?")"
        let target = try Self.endpoint(to, create: true)
        defer { target.close() }
        let resumed = try checkTarget(target, source: source, identity: identity)
        let wasComplete = try resumed && target.meta("copy_state") == "done"
        try target.write {
            try target.setMeta("copy_source", identity)
            try target.setMeta("copy_state", "copying")
        }

        let started = Date()
        let recoder = LogprobRecoder(source: source)
        var rows = 0, bytes = 0, batches = 0
        for table in CopyTable.all {
            var after: [CopyValue]? = nil
            if table.serialId, let last = try target.maxId(table) { after = [.int(last)] }
            while true {
                let page = try source.readPage(table, after: after, limit: options.pageRows)
                guard let last = page.last else { break }
                var inserted = 0
                try target.write {
                    let out = try page.map { row in try carry(row, table, recoder, target) }
                    inserted = try target.insert(table, rows: out)
                }
                rows += inserted
                bytes += page.reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteCount } }
                batches += 1
                options.progress?(table.name, rows)
                if let stop = options.stopAfterBatches, batches >= stop { throw CopyError.stopped(afterBatches: batches) }
                after = table.keyIndices.map { last[$0] }
            }
        }
        try target.finishWrites()
        try target.write { try target.setMeta("copy_state", "done") }
        let copySeconds = Date().timeIntervalSince(started)

        let verifyStart = Date()
        var tables: [CopyReport.Table] = []
        let targetRecoder = LogprobRecoder(source: target)
        try target.beginRead()
        defer { target.endRead() }
        for table in CopyTable.all {
            let s = try digest(table, source, recoder)
            let t = try digest(table, target, targetRecoder)
            tables.append(.init(name: table.name, sourceRows: s.rows, targetRows: t.rows, sourceDigest: s.hex, targetDigest: t.hex))
        }
        return CopyReport(tables: tables, rowsCopied: rows, bytesCopied: bytes, copySeconds: copySeconds,
                          verifySeconds: Date().timeIntervalSince(verifyStart), resumed: resumed && !wasComplete,
                          alreadyComplete: wasComplete)
    }

    /// Row count and content digest of every copied table of one database (as the verification pass computes them:
    /// leased jobs as pending, logprobs decoded), e.g. to compare a database with one copied there and back.
    public static func digests(of location: String, pageRows: Int = 500) throws -> [String: (rows: Int, digest: String)] {
        let endpoint = try endpoint(location, create: false)
        defer { endpoint.close() }
        try endpoint.beginRead()
        defer { endpoint.endRead() }
        let copier = StoreCopier(from: location, to: location, options: CopyOptions(pageRows: pageRows))
        let recoder = LogprobRecoder(source: endpoint)
        var out: [String: (rows: Int, digest: String)] = [:]
        for table in CopyTable.all {
            let d = try copier.digest(table, endpoint, recoder)
            out[table.name] = (d.rows, d.hex)
        }
        return out
    }

    /// Opens a SQLite path or a `postgres://` URL.
    static func endpoint(_ location: String, create: Bool) throws -> any CopyEndpoint {
        if PostgresURL.isPostgres(location) { return try PostgresCopyEndpoint(url: location) }
        return try SQLiteCopyEndpoint(path: location, create: create)
    }

    /// `location` for messages: a URL without any password.
    public static func redact(_ location: String) -> String { PostgresURL.redact(location) }

    private func refuseSameDatabase() throws {
        for (option, location) in [("--from", from), ("--to", to)] where PostgresURL.isPostgres(location) {
            do {
                _ = try PostgresURL(location)
            } catch {
                throw CopyError.badLocation(option: option, reason: error.description)
            }
        }
        if PostgresURL.isPostgres(from) || PostgresURL.isPostgres(to) {
            if from == to { throw CopyError.sameDatabase(location: PostgresURL.redact(from)) }
            return
        }
        let a = URL(fileURLWithPath: from).standardizedFileURL.resolvingSymlinksInPath().path
        let b = URL(fileURLWithPath: to).standardizedFileURL.resolvingSymlinksInPath().path
        if a == b { throw CopyError.sameDatabase(location: from) }
    }

    /// Refuses a target that holds another harvest; returns whether this resumes an earlier copy of the source.
    private func checkTarget(_ target: any CopyEndpoint, source: any CopyEndpoint, identity: String) throws -> Bool {
        guard try target.holdsData() else { return false }
        let resumed = try target.meta("copy_source") == identity
        if !resumed, target is SQLiteCopyEndpoint {
            throw CopyError.targetNotEmpty(location: target.location, detail: "the SQLite file holds a harvest that is not a copy of \(source.location)")
        }
        // Every prompt and job the target has must be the source's row with that id.
        for table in CopyTable.all {
            guard let column = table.identity, let at = table.index(of: column) else { continue }
            var after: [CopyValue]? = nil
            while true {
                let page = try target.readPage(table, after: after, limit: options.pageRows)
                guard let first = page.first?[0].intValue, let last = page.last?[0].intValue else { break }
                let theirs = try source.identities(table, first: first, last: last)
                for row in page {
                    let id = row[0].intValue ?? -1
                    guard let expected = theirs[id] else {
                        throw CopyError.differentHarvest(location: target.location, table: table.name, id: id, detail: "the source has no such row")
                    }
                    if row[at].blobValue != expected {
                        throw CopyError.differentHarvest(location: target.location, table: table.name, id: id,
                                                         detail: "its \(column) differs from the source's")
                    }
                }
                after = [.int(last)]
            }
        }
        return resumed
    }

    /// A source row as the target stores it.
    private func carry(_ row: [CopyValue], _ table: CopyTable, _ recoder: LogprobRecoder, _ target: any CopyEndpoint) throws -> [CopyValue] {
        var out = Self.withoutLease(row, table)
        if table.logprobs {
            let teacher = out.removeLast()
            if let at = table.index(of: "logprobs"), case .blob(let blob) = out[at] {
                guard case .int(let teacherId) = teacher else {
                    throw CopyError.badRow(location: from, table: table.name, key: "\(out[0])", detail: "its job has no teacher")
                }
                do {
                    out[at] = .blob(try recoder.recode(blob, teacherId: teacherId, into: target))
                } catch let error as CopyError {
                    throw error
                } catch {
                    throw CopyError.badRow(location: from, table: table.name, key: "\(out[0])", detail: "\(error)")
                }
            }
        }
        return out
    }

    /// A job row with a lease becomes pending without it.
    static func withoutLease(_ row: [CopyValue], _ table: CopyTable) -> [CopyValue] {
        guard table.leases, let state = table.index(of: "state"), row[state] == .text("leased") else { return row }
        var out = row
        out[state] = .text("pending")
        if let owner = table.index(of: "lease_owner") { out[owner] = .null }
        if let expires = table.index(of: "lease_expires") { out[expires] = .null }
        return out
    }

    /// The digest of a table as stored in `endpoint` (jobs without leases, logprobs decoded).
    private func digest(_ table: CopyTable, _ endpoint: any CopyEndpoint, _ recoder: LogprobRecoder) throws -> CopyDigest {
        var d = CopyDigest()
        var after: [CopyValue]? = nil
        while true {
            let page = try endpoint.readPage(table, after: after, limit: options.pageRows)
            guard let last = page.last else { break }
            for row in page {
                var canonical = Self.withoutLease(row, table)
                if table.logprobs {
                    let teacher = canonical.removeLast()
                    if let at = table.index(of: "logprobs"), case .blob(let blob) = canonical[at], case .int(let teacherId) = teacher {
                        do {
                            canonical[at] = .blob(try recoder.canonical(blob, teacherId: teacherId))
                        } catch {
                            throw CopyError.badRow(location: endpoint.location, table: table.name, key: "\(canonical[0])", detail: "\(error)")
                        }
                    }
                }
                d.add(canonical)
            }
            after = table.keyIndices.map { last[$0] }
        }
        return d
    }
}

/// How ``StoreCopier`` runs.
public struct CopyOptions: Sendable {
    /// Rows per batch (one read, one target transaction).
    public var pageRows: Int
    /// Test hook: stop (throw ``CopyError/stopped(afterBatches:)``) right after this many batches were committed, as a
    /// kill at that point would.
    public var stopAfterBatches: Int?
    /// Called after each committed batch with the table and the rows copied so far.
    public var progress: (@Sendable (String, Int) -> Void)?

    /// Options with `pageRows` rows per batch.
    public init(pageRows: Int = 500, stopAfterBatches: Int? = nil, progress: (@Sendable (String, Int) -> Void)? = nil) {
        self.pageRows = max(1, pageRows)
        self.stopAfterBatches = stopAfterBatches
        self.progress = progress
    }
}
