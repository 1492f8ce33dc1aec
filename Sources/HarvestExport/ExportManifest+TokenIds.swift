extension ExportManifest {
    /// Token-id coverage of the exported rows that carry logprobs: trainers that read ids (axolotl KD) can only
    /// use rows whose every entry has one. Teachers that do not send ids (OpenAI, DeepSeek, or a vLLM asked without
    /// `token_ids`) show up in ``teachersWithoutIds``.
    public struct TokenIdCoverage: Sendable, Equatable {
        /// Rows whose sampled tokens and alternatives all have token ids.
        public var rowsWithIds = 0
        /// Rows with logprobs where some entry has no token id.
        public var rowsWithoutIds = 0
        /// Teacher models (as configured) of the rows without ids, sorted.
        public var teachersWithoutIds: [String] = []

        /// No rows.
        public init() {}
    }
}
