import HarvestCore

/// Carries `responses.logprobs` from one database's vocabulary to another's: an `HLP2` blob is decoded with the
/// source teacher's vocabulary and encoded again with the target's (the same entries and logprob bits; only the
/// indices change). `HLP1` blobs need no vocabulary and are copied as they are. Also gives the canonical form
/// digests compare (the `HLP1` encoding of the decoded tokens).
final class LogprobRecoder {
    private let source: any CopyEndpoint
    /// Source vocabularies, parsed, per teacher (loaded on first use).
    private var entries: [Int64: [Int: LogprobCodec.VocabularyEntry]] = [:]

    init(source: any CopyEndpoint) { self.source = source }

    /// The decoded tokens of a blob stored for teacher `teacherId` in the source.
    func decode(_ blob: [UInt8], teacherId: Int64) throws -> [TokenLogprob] {
        guard LogprobCodec.isVersion2(blob) else { return try LogprobCodec.decode(blob) }
        let vocabulary = try entriesOf(teacherId)
        return try LogprobCodec.decode(blob) { vocabulary[$0] }
    }

    /// The blob as the target stores it (inside the target's write transaction: new vocabulary keys are added).
    func recode(_ blob: [UInt8], teacherId: Int64, into target: any CopyEndpoint) throws -> [UInt8] {
        guard LogprobCodec.isVersion2(blob) else { return blob }
        let table = try LogprobTable(hlp1: LogprobCodec.encode(try decode(blob, teacherId: teacherId)))
        let indices = try target.vocabularyIndices(teacherId: teacherId, keys: table.keys)
        return table.encode(vocabularyIndex: indices)
    }

    /// The canonical form of a stored blob, for digests.
    func canonical(_ blob: [UInt8], teacherId: Int64) throws -> [UInt8] {
        LogprobCodec.encode(try decode(blob, teacherId: teacherId))
    }

    private func entriesOf(_ teacherId: Int64) throws -> [Int: LogprobCodec.VocabularyEntry] {
        if let known = entries[teacherId] { return known }
        var parsed: [Int: LogprobCodec.VocabularyEntry] = [:]
        for (idx, key) in try source.vocabulary(teacherId: teacherId) { parsed[idx] = try LogprobCodec.VocabularyEntry(key: key) }
        entries[teacherId] = parsed
        return parsed
    }
}
