import HarvestCore
import HarvestJSON

/// How reasoning text is written into an export.
public enum ReasoningMode: String, Sendable, CaseIterable {
    /// Before the answer, wrapped as `<think>\n…\n</think>\n\n` (as DeepSeek-R1 distillations do).
    case inline
    /// In its own `reasoning_content` field next to the answer (`""` when the teacher gave none, so Arrow-based
    /// loaders see one column type). Not offered by `openai`: OpenAI's fine-tuning rejects unknown message keys.
    case field
    /// Left out.
    case drop
}

/// Options shared by every export format.
public struct ExportOptions: Sendable, Equatable {
    /// Add the teacher's token logprobs to each row (a top-level `logprobs` array, `null` when none were stored).
    public var withLogprobs: Bool
    /// Where reasoning goes.
    public var reasoning: ReasoningMode
    /// False when no mode was given: ``ExportPlan`` then uses the format's ``ExportFormat/defaultReasoning``.
    public var reasoningGiven: Bool

    /// Creates options. Without `reasoning`, an ``ExportPlan`` picks the format's default (``ReasoningMode/field``
    /// when the options are used without a plan).
    public init(withLogprobs: Bool = false, reasoning: ReasoningMode? = nil) {
        self.withLogprobs = withLogprobs
        self.reasoning = reasoning ?? .field
        self.reasoningGiven = reasoning != nil
    }
}

/// One training-file layout: turns a stored response into one JSON object (one JSONL line).
public protocol ExportFormat: Sendable {
    /// The `--format` name.
    var name: String { get }
    /// True when rows must be read with their token logprobs even without `--with-logprobs` (`kd`, `raw`).
    var needsLogprobs: Bool { get }
    /// False when the format writes only token ids and logprob values, never token texts or `bytes` (`kd`): rows
    /// can then be read with ids and logprobs only (`ResponseQuery.logprobTexts`), which is much cheaper.
    var needsLogprobTexts: Bool { get }
    /// Why `row` cannot be written in this format (e.g. `no_logprobs` for `kd`), or nil to write it.
    /// ``ExportPipeline`` leaves such rows out and counts them by reason in the manifest's `skipped`.
    func skipReason(_ row: StoredResponse, options: ExportOptions) -> String?
    /// The reasoning mode used when `--reasoning` is not given: what the format's target trainer trains on.
    var defaultReasoning: ReasoningMode { get }
    /// The reasoning modes the format's target accepts; ``ExportPlan/validate()`` refuses others.
    var reasoningModes: [ReasoningMode] { get }
    /// Writes one row as a single JSON object into `writer` (no newline).
    func write(_ row: StoredResponse, options: ExportOptions, to writer: inout JSONWriter)
}

extension ExportFormat {
    /// Most formats only read logprobs when asked to with `--with-logprobs`.
    public var needsLogprobs: Bool { false }

    /// Formats that write logprobs write their token texts, unless they say otherwise.
    public var needsLogprobTexts: Bool { true }

    /// `field`, unless the format says otherwise.
    public var defaultReasoning: ReasoningMode { .field }

    /// Every mode, unless the format says otherwise.
    public var reasoningModes: [ReasoningMode] { ReasoningMode.allCases }

    /// Most formats can write every row.
    public func skipReason(_ row: StoredResponse, options: ExportOptions) -> String? { nil }

    /// Whether a reader must load token logprobs for this format under `options`.
    public func loadsLogprobs(_ options: ExportOptions) -> Bool { needsLogprobs || options.withLogprobs }
}

/// The built-in formats, by `--format` name.
public enum ExportFormats {
    /// Every built-in format, in the order shown in help texts.
    public static let all: [any ExportFormat] = [
        OpenAIChatFormat(), ShareGPTFormat(), AlpacaFormat(), TRLFormat(), KDFormat(), RawFormat(),
    ]

    /// The `--format` names, in help order.
    public static var names: [String] { all.map(\.name) }

    /// The format called `name`, or nil.
    public static func named(_ name: String) -> (any ExportFormat)? {
        all.first { $0.name == name }
    }
}
