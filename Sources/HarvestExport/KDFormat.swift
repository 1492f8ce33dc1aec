import HarvestCore
import HarvestJSON

/// `--format kd`: logprob-level knowledge-distillation rows for axolotl's KD plugin, in one of two shapes
/// (``KDShape``, `--kd-shape`):
///
/// * ``KDShape/current`` (default) — axolotl's current loader (`type: axolotl.integrations.kd.chat_template`):
///   ```json
///   {"messages":[…, {"role":"assistant","content":…}],
///    "target_token_ids":[[9906,13347],…], "logprobs":[[-0.01,-4.6],…], "temperature":0.7}
///   ```
///   One entry per position: the completion tokens, then the chat template's closing tokens
///   (``closingTokenIds``, e.g. ChatML's `<|im_end|>` and newline) that the completion does not already end with,
///   because axolotl right-aligns the lists to the end of the tokenized conversation. Every position has the same
///   k (the row's smallest top-k list; a position without alternatives counts its sampled token), as axolotl
///   truncates the logprobs but not the ids to one k. A closing token gets probability 1, written as its id k
///   times with logprob −ln k.
/// * ``KDShape/legacy`` — axolotl's legacy loader (`load_legacy`): `logprobs` as per-position lists of
///   `{"token":"token_id:N","logprob":x}`, completion tokens only.
///
/// Both shapes need token ids: rows whose sampled token or any alternative lacks one are refused
/// (reason `no_token_ids`, counted in the manifest's `skipped` and printed), as are rows without logprobs
/// (`no_logprobs`). Scored sequences (scoring sweeps) are written in the current shape from their answer's positions
/// (`KDFormat+Scored`). `temperature` is ``temperature`` when given (`--kd-temperature`: the temperature the
/// teacher's logprobs describe), else the sampling temperature sent (`null` when the request left it to the
/// server). Reasoning follows ``ExportOptions/reasoning`` as in ``OpenAIChatFormat``.
///
/// Rows read with ``StoredResponse/logprobColumns`` (the export's reader asks for them) are written from those flat
/// columns, byte for byte as from ``CompletionChoice/logprobs``.
public struct KDFormat: ExportFormat {
    /// `kd`.
    public let name = "kd"
    /// Always reads logprobs.
    public var needsLogprobs: Bool { true }
    /// Only ids and logprobs are written (a row whose entries lack ids is refused); the store still decodes scored
    /// sequences whole, whose answer `KDFormat+Scored` finds by token texts.
    public var needsLogprobTexts: Bool { false }
    /// The row layout.
    public var shape: KDShape
    /// Token ids the student's chat template writes after the assistant's content (``KDShape/current`` only).
    public var closingTokenIds: [Int]
    /// The temperature written on every row instead of the sampling temperature, or nil.
    public var temperature: Double?

    /// Creates the format.
    public init(shape: KDShape = .current, closingTokenIds: [Int] = [], temperature: Double? = nil) {
        self.shape = shape
        self.closingTokenIds = closingTokenIds
        self.temperature = temperature
    }

    /// The `token` value of the legacy shape: `token_id:N` when the id is known, else the token text.
    public static func tokenKey(text: String, id: Int?) -> String {
        if let id { return "token_id:" + String(id) }
        return text
    }

    /// Reason `no_token_ids`: rows with logprobs where some entry has no token id (axolotl needs ids).
    public static let noTokenIds = "no_token_ids"
    /// Reason `no_logprobs`: rows stored without token logprobs.
    public static let noLogprobs = "no_logprobs"
    /// Reason `scored_sequence`: rows of a scoring sweep in the legacy shape (it has no place for a sequence's
    /// positions; ``KDShape/current`` writes their answer's positions, see `KDFormat+Scored`).
    public static let scoredSequence = "scored_sequence"

    /// True when every sampled token and every alternative of `logprobs` has a token id.
    public static func hasAllIds(_ logprobs: [TokenLogprob]) -> Bool {
        LogprobScan.allHaveIds(logprobs)
    }

    /// `no_logprobs` or `no_token_ids` for rows axolotl cannot read; nil otherwise.
    public func skipReason(_ row: StoredResponse, options: ExportOptions) -> String? {
        if row.params.score != nil { return scoredSkipReason(row) }
        if let columns = row.logprobColumns {
            if columns.isEmpty { return Self.noLogprobs }
            return columns.allHaveIds ? nil : Self.noTokenIds
        }
        guard let lp = row.choice.logprobs, !lp.isEmpty else { return Self.noLogprobs }
        return Self.hasAllIds(lp) ? nil : Self.noTokenIds
    }

    /// Writes one row in ``shape`` (``ExportPipeline`` skips rows with a ``skipReason(_:options:)``).
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        if row.params.score != nil { return writeScored(row, options: options, to: &w) }
        w.beginObject()
        w.key("messages")
        w.beginArray()
        for m in row.messages { ExportFields.writeMessage(role: m.role, content: m.content, to: &w) }
        ExportFields.writeAssistantMessage(row.choice, mode: options.reasoning, to: &w)
        w.endArray()
        switch (shape, row.logprobColumns) {
        case (.current, let columns?): writeCurrent(columns, to: &w)
        case (.legacy, let columns?):
            w.key("logprobs")
            LogprobWriter.writeLegacyLists(columns, to: &w)
        case (.current, nil): writeCurrent(row.choice.logprobs ?? [], to: &w)
        case (.legacy, nil): Self.writeLegacy(row.choice.logprobs ?? [], to: &w)
        }
        w.key("temperature")
        if let t = temperature ?? row.params.temperature { w.double(t) } else { w.null() }
        w.endObject()
    }

    private static func writeLegacy(_ logprobs: [TokenLogprob], to w: inout JSONWriter) {
        w.key("logprobs")
        LogprobWriter.writeLegacyLists(logprobs, to: &w)
    }
}
