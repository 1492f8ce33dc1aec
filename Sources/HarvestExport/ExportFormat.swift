import HarvestCore
import HarvestJSON

/// How reasoning text is written into an export.
public enum ReasoningMode: String, Sendable, CaseIterable {
    /// Before the answer, wrapped as `<think>\n…\n</think>\n\n` (as DeepSeek-R1 distillations do).
    case inline
    /// In its own `reasoning_content` field next to the answer (`""` when the teacher gave none).
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

    /// Creates options.
    public init(withLogprobs: Bool = false, reasoning: ReasoningMode = .field) {
        self.withLogprobs = withLogprobs
        self.reasoning = reasoning
    }
}

/// One training-file layout: turns a stored response into one JSON object (one JSONL line).
public protocol ExportFormat: Sendable {
    /// The `--format` name.
    var name: String { get }
    /// True when rows must be read with their token logprobs even without `--with-logprobs` (`kd`, `raw`).
    var needsLogprobs: Bool { get }
    /// Why `row` cannot be written in this format (e.g. `no_logprobs` for `kd`), or nil to write it.
    /// ``ExportPipeline`` leaves such rows out and counts them by reason in the manifest's `skipped`.
    func skipReason(_ row: StoredResponse, options: ExportOptions) -> String?
    /// Writes one row as a single JSON object into `writer` (no newline).
    func write(_ row: StoredResponse, options: ExportOptions, to writer: inout JSONWriter)
}

extension ExportFormat {
    /// Most formats only read logprobs when asked to with `--with-logprobs`.
    public var needsLogprobs: Bool { false }

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
