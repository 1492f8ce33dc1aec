import Foundation
import PostgresStore

/// `harvest db copy`: copies a whole harvest between two databases — a SQLite file and a PostgreSQL database, either
/// way (or SQLite to SQLite) — and then verifies it.
///
/// # Guarantees
/// - **Exact.** Every row of every table in ``CopyTable/all`` keeps its id and values (doubles bit for bit). Each
///   teacher's logprob vocabulary is copied first (the entries the target lacks, keeping their source index where the
///   target allows it); `responses.logprobs` blobs then keep every byte but their vocabulary indices, which are
///   rewritten for the target (``LogprobCarrier``) — or are copied untouched when the numbering is the same on both
///   sides. Leased jobs arrive as pending, without the lease (nothing holds it in the target). The source is read in
///   one snapshot, so a daemon writing to it meanwhile does not make the copy inconsistent (rows it commits later are
///   not copied).
/// - **Verified.** Afterwards, per table, row counts and a content digest (``CopyDigest`` over ``RowCanonicalizer``'s
///   form: logprob indices replaced by their entries' keys, read through each database's own vocabulary) of the
///   source snapshot and of the target are compared; ``CopyReport/verified`` says whether all match. The source's
///   digest of a table is taken while copying it when the copy reads it whole (else in the verification pass); the
///   target is always read back.
/// - **Resumable.** Rows go in key order in batches, each its own transaction, inserted with "skip when the key is
///   there"; the target's `meta` row `copy_source` names the source. A copy killed at any point and run again with
///   the same `--from` continues (tables keyed by `id` after the target's largest id) and ends without duplicates.
/// - **Refusals** (before anything is written): the same database on both sides; a source that is missing or not a
///   harvest; a SQLite target that holds data and is not a copy of this source; any target with a prompt or job
///   whose id matches a source row with another prompt hash or job key (a different harvest).
/// - **Streams.** Pages of ``CopyOptions/pageRows`` rows; a reader thread prepares the next pages (at most two
///   pending) while the target writes the current one; memory stays flat apart from the teachers' vocabularies.
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
        let sourceRows = RowCanonicalizer(source)
        var carrier: LogprobCarrier?
        var sourceDigests: [String: CopyDigest] = [:]
        var rows = 0, bytes = 0, batches = 0
        for table in CopyTable.all {
            // The vocabularies go first (their teachers are copied by now): one transaction, then blobs only
            // change their indices.
            if table.logprobs, carrier == nil { carrier = try LogprobCarrier.transfer(from: source, to: target) }
            var after: [CopyValue]? = nil
            if table.serialId, let last = try target.maxId(table) { after = [.int(last)] }
            let pipe = PagePipe<TableReader.Page, TableReader.Summary>(capacity: 2)
            TableReader(source, table, after: after, pageRows: options.pageRows, carrier: carrier, canonicalizer: sourceRows).start(into: pipe)
            do {
                while let page = try pipe.take() {
                    var inserted = 0
                    try target.write { inserted = try target.insert(table, rows: page.rows) }
                    rows += inserted
                    bytes += page.bytes
                    batches += 1
                    options.progress?(table.name, rows)
                    if let stop = options.stopAfterBatches, batches >= stop { throw CopyError.stopped(afterBatches: batches) }
                }
            } catch {
                pipe.cancel()
                throw error
            }
            if let digest = try pipe.waitForReader()?.digest { sourceDigests[table.name] = digest }
        }
        try target.finishWrites()
        try target.write { try target.setMeta("copy_state", "done") }
        let copySeconds = Date().timeIntervalSince(started)

        let verifyStart = Date()
        var tables: [CopyReport.Table] = []
        let targetRows = RowCanonicalizer(target)
        try target.beginRead()
        defer { target.endRead() }
        for table in CopyTable.all {
            let s = try sourceDigests[table.name] ?? digest(table, source, sourceRows)
            let t = try digest(table, target, targetRows)
            tables.append(.init(name: table.name, sourceRows: s.rows, targetRows: t.rows, sourceDigest: s.hex, targetDigest: t.hex))
        }
        return CopyReport(tables: tables, rowsCopied: rows, bytesCopied: bytes, copySeconds: copySeconds,
                          verifySeconds: Date().timeIntervalSince(verifyStart), resumed: resumed && !wasComplete,
                          alreadyComplete: wasComplete)
    }

    /// Row count and content digest of every copied table of one database (as the verification pass computes them:
    /// leased jobs as pending, logprobs by vocabulary key), e.g. to compare a database with one copied there and back.
    public static func digests(of location: String, pageRows: Int = 500) throws -> [String: (rows: Int, digest: String)] {
        let endpoint = try endpoint(location, create: false)
        defer { endpoint.close() }
        try endpoint.beginRead()
        defer { endpoint.endRead() }
        let copier = StoreCopier(from: location, to: location, options: CopyOptions(pageRows: pageRows))
        let canonicalizer = RowCanonicalizer(endpoint)
        var out: [String: (rows: Int, digest: String)] = [:]
        for table in CopyTable.all {
            let d = try copier.digest(table, endpoint, canonicalizer)
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

    /// A job row with a lease becomes pending without it.
    static func withoutLease(_ row: [CopyValue], _ table: CopyTable) -> [CopyValue] {
        guard table.leases, let state = table.index(of: "state"), row[state] == .text("leased") else { return row }
        var out = row
        out[state] = .text("pending")
        if let owner = table.index(of: "lease_owner") { out[owner] = .null }
        if let expires = table.index(of: "lease_expires") { out[expires] = .null }
        return out
    }

    /// The digest of a table as stored in `endpoint` (jobs without leases, logprobs by vocabulary key); a reader
    /// thread reads the next page while this one digests the current one.
    private func digest(_ table: CopyTable, _ endpoint: any CopyEndpoint, _ canonicalizer: RowCanonicalizer) throws -> CopyDigest {
        var d = CopyDigest()
        if table.logprobs { try canonicalizer.loadAll() }
        let pipe = PagePipe<[[CopyValue]], Bool>(capacity: 2)
        PageReader(endpoint, table, pageRows: options.pageRows).start(into: pipe)
        do {
            while let page = try pipe.take() {
                for row in page { try canonicalizer.add(row, table, to: &d) }
            }
        } catch {
            pipe.cancel()
            throw error
        }
        _ = try pipe.waitForReader()
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
