import HarvestCore

/// Rows of one database in the backend-independent form the verification digests (``CopyDigest``): leased jobs as
/// pending (``StoreCopier/withoutLease(_:_:)``), and an `HLP2` logprobs blob with each vocabulary index replaced by
/// its entry's key (``LogprobCodec/appendKeyedVersion2(_:to:key:)``), so each database's own numbering drops out
/// while every logprob byte, mode and token entry still counts. `HLP1` blobs are digested as stored. A teacher's
/// vocabulary is read on first use. Used by one thread at a time.
final class RowCanonicalizer {
    private let endpoint: any CopyEndpoint
    private var keys: [Int64: IndexedEntries<[UInt8]>] = [:]
    private var row: [UInt8] = []
    private var keyed: [UInt8] = []

    init(_ endpoint: any CopyEndpoint) { self.endpoint = endpoint }

    /// Adds `row` of `table`, as ``CopyEndpoint/readPage(_:after:limit:)`` returned it, to `digest`. Throws
    /// ``CopyError/badRow(location:table:key:detail:)`` for a blob that cannot be read.
    func add(_ raw: [CopyValue], _ table: CopyTable, to digest: inout CopyDigest) throws {
        var values = StoreCopier.withoutLease(raw, table)
        row.removeAll(keepingCapacity: true)
        if table.logprobs {
            let teacher = values.removeLast()
            let at = table.index(of: "logprobs")
            for (i, v) in values.enumerated() {
                guard i == at, case .blob(let blob) = v, LogprobCodec.isVersion2(blob) else {
                    v.appendCanonical(to: &row)
                    continue
                }
                guard case .int(let teacherId) = teacher else {
                    throw CopyError.badRow(location: endpoint.location, table: table.name, key: "\(values[0])", detail: "its job has no teacher")
                }
                let vocabulary = try vocabulary(teacherId)
                keyed.removeAll(keepingCapacity: true)
                do {
                    try LogprobCodec.appendKeyedVersion2(blob, to: &keyed) { vocabulary[$0] }
                } catch {
                    throw CopyError.badRow(location: endpoint.location, table: table.name, key: "\(values[0])", detail: "\(error)")
                }
                CopyValue.appendKeyedLogprobs(keyed, to: &row)
            }
        } else {
            for v in values { v.appendCanonical(to: &row) }
        }
        digest.add(encoded: row)
    }

    private func vocabulary(_ teacherId: Int64) throws -> IndexedEntries<[UInt8]> {
        if let known = keys[teacherId] { return known }
        let loaded = IndexedEntries(try endpoint.vocabulary(teacherId: teacherId).map { ($0.key, $0.value) })
        keys[teacherId] = loaded
        return loaded
    }
}
