import HarvestCore
import HarvestJSON

extension ExportManifest {
    /// Where the exported logprobs come from, for trainers that rescale or index them (written as `provenance`):
    /// how they were obtained, k, temperatures, the models as reported, tokenizer and vocabulary where known, and
    /// for `kd` the shape written and the axolotl dataset entries that load it.
    public struct Provenance: Sendable, Equatable {
        /// `sampled` (logprobs of a generated answer) and/or `scored` (teacher-forced), sorted.
        public var logprobModes: [String] = []
        /// Sampling temperatures sent, sorted; nil stands for "left to the server" (written as `null`).
        public var temperatures: [Double?] = []
        /// The largest token id in the exported logprobs (the vocabulary has more entries), or nil.
        public var maxTokenId: Int?
        /// The `kd` settings, nil for other formats.
        public var kd: KD?

        /// Nothing seen.
        public init() {}

        /// What OpenAI-compatible servers do not say about their logprob values.
        public static let valuesNote = "not reported by the server: vLLM (--logprobs-mode, default raw_logprobs) "
            + "returns logprobs before temperature and other processing, i.e. at temperature 1; processed_logprobs "
            + "returns them after. Tell axolotl the temperature they describe (its dataset `temperature`, "
            + "harvest export --kd-temperature)"

        /// The `kd` part of the provenance.
        public struct KD: Sendable, Equatable {
            /// `current` or `legacy`.
            public var shape: KDShape
            /// The closing token ids appended (current shape).
            public var closingTokenIds: [Int]
            /// The k values written (current shape: one per row, uniform within a row), sorted.
            public var topK: [Int]
            /// The `temperature` written on every row when all rows agree, else nil.
            public var temperature: Double?
            /// True when rows carry different temperatures (export one temperature per file).
            public var mixedTemperatures: Bool

            /// Said next to the axolotl dataset entries of the current shape.
            public static let currentNote = "datasets entries for axolotl's config (plugins: "
                + "[axolotl.integrations.kd.KDPlugin], kd_trainer: true); paths are relative to the folder holding "
                + "this manifest; the student must use the teacher's tokenizer and a chat template that writes "
                + "closing_token_ids after the answer"
            /// Said instead of dataset entries for the legacy shape.
            public static let legacyNote = "axolotl 0.10 and later do not reach load_legacy through a dataset `type:` "
                + "(it resolves to the current loader): export --kd-shape current for axolotl's config, or call "
                + "axolotl.integrations.kd.chat_template.load_legacy from Python"

            /// Creates the record.
            public init(shape: KDShape, closingTokenIds: [Int], topK: [Int], temperature: Double?, mixedTemperatures: Bool) {
                self.shape = shape
                self.closingTokenIds = closingTokenIds
                self.topK = topK
                self.temperature = temperature
                self.mixedTemperatures = mixedTemperatures
            }
        }
    }

    /// Writes the `provenance` object.
    func writeProvenance(to w: inout JSONWriter) {
        let p = provenance
        w.beginObject()
        w.key("logprob_mode"); w.beginArray(); for m in p.logprobModes { w.string(m) }; w.endArray()
        w.key("logprob_values"); w.string(Provenance.valuesNote)
        w.key("top_logprobs"); w.beginArray(); for k in topLogprobsRequested { w.int(k) }; w.endArray()
        w.key("temperatures")
        w.beginArray()
        for t in p.temperatures { if let t { w.double(t) } else { w.null() } }
        w.endArray()
        w.key("models"); w.beginArray(); for m in models { w.string(m) }; w.endArray()
        w.key("tokenizer"); w.null()
        w.key("vocab_size"); w.null()
        w.key("max_token_id"); if let id = p.maxTokenId { w.int(id) } else { w.null() }
        w.key("kd")
        if let kd = p.kd { writeKD(kd, to: &w) } else { w.null() }
        w.endObject()
    }

    private func writeKD(_ kd: Provenance.KD, to w: inout JSONWriter) {
        w.beginObject()
        w.key("shape"); w.string(kd.shape.rawValue)
        w.key("closing_token_ids"); w.beginArray(); for id in kd.closingTokenIds { w.int(id) }; w.endArray()
        w.key("top_k"); w.beginArray(); for k in kd.topK { w.int(k) }; w.endArray()
        w.key("temperature"); if let t = kd.temperature { w.double(t) } else { w.null() }
        w.key("mixed_temperatures"); w.bool(kd.mixedTemperatures)
        w.key("axolotl_note")
        w.string(kd.shape == .current ? Provenance.KD.currentNote : Provenance.KD.legacyNote)
        w.key("axolotl_datasets")
        w.beginArray()
        for f in files where f.path != "-" && kd.shape == .current {
            w.beginObject()
            w.key("path"); w.string(f.path)
            w.key("ds_type"); w.string("json")
            w.key("type"); w.string("axolotl.integrations.kd.chat_template")
            w.key("field_messages"); w.string("messages")
            w.key("logprobs_field"); w.string("logprobs")
            w.key("temperature"); if let t = kd.temperature { w.double(t) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
