import HarvestCore
import HarvestCurate
import HarvestStore

/// One stage of a curation run: a single-stage ``CurationPipeline``, its parameters, how far it has judged the
/// set, and (for dedup) its in-memory state of everything kept before.
struct CurationStagePlan {
    /// Stage name (`filter.length`, `dedup.near`, ...).
    let stage: String
    /// Canonical parameters; their fingerprint keys marks, state and progress.
    let params: CurationParams
    /// The pipeline running only this stage.
    let pipeline: CurationPipeline
    /// Dedup stages consider only rows without marks; filters judge every row.
    let isDedup: Bool
    /// Rows with `id <= lastId` were judged under these parameters.
    var lastId: Int64 = 0
    /// State carried from page to page.
    var state: CurationState

    var fingerprint: String { params.fingerprint }

    /// One plan per active stage of `config`, in run order.
    static func plans(_ config: CurationConfig) throws(CurationError) -> [CurationStagePlan] {
        let p = config.promptText
        var configs: [CurationConfig] = config.filters.map {
            CurationConfig(promptText: p, filters: [$0], decontaminator: nil, exactDedup: nil, nearDedup: nil)
        }
        if let d = config.decontaminator { configs.append(CurationConfig(promptText: p, decontaminator: d, exactDedup: nil, nearDedup: nil)) }
        if let e = config.exactDedup { configs.append(CurationConfig(promptText: p, exactDedup: e, nearDedup: nil)) }
        if let n = config.nearDedup { configs.append(CurationConfig(promptText: p, exactDedup: nil, nearDedup: n)) }
        var out: [CurationStagePlan] = []
        for (c, params) in zip(configs, config.stageParams) {
            guard !out.contains(where: { $0.stage == params.stage }) else {
                throw CurationError(.parameter, location: params.stage, "is configured twice", hint: "configure each stage once")
            }
            let isDedup = params.stage == CurationStage.exactDedup || params.stage == CurationStage.nearDedup
            let pipeline = try CurationPipeline(c)
            out.append(CurationStagePlan(stage: params.stage, params: params, pipeline: pipeline, isDedup: isDedup, lastId: 0,
                                         state: try pipeline.makeState()))
        }
        return out
    }

    /// Loads the stored dedup state of this stage (when its parameters are unchanged) and builds the in-memory state.
    mutating func loadState(store: any CurationStore, setName: String, resume: Bool) throws {
        var stored = StoredCurationState()
        if resume && isDedup {
            let signatures = stage == CurationStage.nearDedup
            let entries = try store.curationState(setName: setName, fingerprint: fingerprint, signatures: signatures)
            for e in entries {
                if signatures {
                    let kept = KeptSignature(id: e.ownerId, signature: try MinHashSignature(bytes: e.bytes))
                    if e.target == "prompt" { stored.promptSignatures.append(kept) } else { stored.responseSignatures.append(kept) }
                } else {
                    let kept = KeptHash(id: e.ownerId, hash: try ContentHash(bytes: e.bytes))
                    if e.target == "prompt" { stored.promptHashes.append(kept) } else { stored.responseHashes.append(kept) }
                }
            }
        }
        state = try pipeline.makeState(stored)
    }

    /// The new state entries of a result, to persist: (hashes, signatures).
    func entries(_ s: StoredCurationState) -> ([CurationStateEntry], [CurationStateEntry]) {
        let fp = fingerprint
        let hashes = s.promptHashes.map { CurationStateEntry(target: "prompt", ownerId: $0.id, bytes: $0.hash.bytes, paramsFingerprint: fp) }
            + s.responseHashes.map { CurationStateEntry(target: "response", ownerId: $0.id, bytes: $0.hash.bytes, paramsFingerprint: fp) }
        let sigs = s.promptSignatures.map { CurationStateEntry(target: "prompt", ownerId: $0.id, bytes: $0.signature.bytes, paramsFingerprint: fp) }
            + s.responseSignatures.map { CurationStateEntry(target: "response", ownerId: $0.id, bytes: $0.signature.bytes, paramsFingerprint: fp) }
        return (hashes, sigs)
    }
}
