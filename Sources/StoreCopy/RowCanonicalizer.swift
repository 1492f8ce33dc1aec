import HarvestCore

/// Rows of one database in the backend-independent form the verification digests (``CopyDigest``): leased jobs as
/// pending (``StoreCopier/withoutLease(_:_:)``), and an `HLP2` logprobs blob with each vocabulary index replaced by
/// a label of its entry (``LabelTable``, ``LogprobCodec/appendRelabeledVersion2(_:to:label:)``), so each database's
/// own numbering drops out while every logprob byte, mode and token entry still counts. `HLP1` blobs are digested as stored. A teacher's
/// vocabulary is read on first use. Used by one thread at a time.
final class RowCanonicalizer {
    private let endpoint: any CopyEndpoint
    private var keys: [Int64: LabelTable] = [:]
    /// Whether every teacher's vocabulary is in ``keys`` (``loadAll()``).
    private var complete = false
    private var row: [UInt8] = []
    private var relabeled: [UInt8] = []

    init(_ endpoint: any CopyEndpoint) { self.endpoint = endpoint }

    /// Adds `row` of `table`, as ``CopyEndpoint/readPage(_:after:limit:)`` returned it, to `digest`. Throws
    /// ``CopyError/badRow(location:table:key:detail:)`` for a blob that cannot be read.
    func add(_ raw: [CopyValue], _ table: CopyTable, to digest: inout CopyDigest) throws {
        let values = StoreCopier.withoutLease(raw, table)
        row.removeAll(keepingCapacity: true)
        let logprobs = table.logprobs ? table.index(of: "logprobs") : nil
        for i in 0..<table.columns.count {
            guard i == logprobs, case .blob(let blob) = values[i], LogprobCodec.isVersion2(blob) else {
                values[i].appendCanonical(to: &row)
                continue
            }
            // A logprobs table's rows end with the answer's teacher.
            guard case .int(let teacherId) = values[table.columns.count] else {
                throw CopyError.badRow(location: endpoint.location, table: table.name, key: "\(values[0])", detail: "its job has no teacher")
            }
            let vocabulary = try vocabulary(teacherId)
            relabeled.removeAll(keepingCapacity: true)
            do {
                try vocabulary.withLookup { label in try LogprobCodec.appendRelabeledVersion2(blob, to: &relabeled, label: label) }
            } catch {
                throw CopyError.badRow(location: endpoint.location, table: table.name, key: "\(values[0])", detail: "\(error)")
            }
            CopyValue.appendRelabeledLogprobs(relabeled, to: &row)
        }
        digest.add(encoded: row)
    }

    /// Reads every teacher's vocabulary now, so that ``add(_:_:to:)`` no longer reads from the endpoint (while
    /// another thread reads its rows).
    func loadAll() throws {
        guard !complete else { return }
        for teacher in try endpoint.vocabularyTeachers() where keys[teacher] == nil { _ = try vocabulary(teacher) }
        complete = true
    }

    private func vocabulary(_ teacherId: Int64) throws -> LabelTable {
        if let known = keys[teacherId] { return known }
        if complete { return LabelTable([:]) }
        let loaded = LabelTable(try endpoint.vocabulary(teacherId: teacherId))
        keys[teacherId] = loaded
        return loaded
    }
}
