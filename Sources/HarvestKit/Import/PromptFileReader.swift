import Foundation
import HarvestCore
import HarvestJSON
import HarvestVerify

/// Reads a prompt file (JSONL, CSV or text) into ``PromptInput`` values, validating every line first.
/// Nothing is written anywhere: the caller imports the result in one transaction.
public struct PromptFileReader: Sendable {
    /// CSV column holding the prompt text.
    public var promptColumn: String
    /// CSV column holding the id (used when present).
    public var idColumn: String
    /// CSV column holding a system message (used when present).
    public var systemColumn: String
    /// A system message added to every prompt that has none.
    public var defaultSystem: String?
    /// JSONL field holding the reference answer.
    public var answerField: String = "answer"
    /// CSV column holding the reference answer (used when present).
    public var answerColumn: String = "answer"
    /// JSONL field / CSV column holding the verifier kind (used when present).
    public var verifierField: String = "verifier"
    /// Verifier kind stored for prompts that name none (nil: decided when verifying).
    public var defaultVerifier: VerifierKind?
    /// An SFT file to score (JSONL `messages` only): every conversation must end with the assistant turn that a
    /// scoring sweep (``SamplingParams/score``) scores, instead of the user turn the teacher answers.
    public var sft = false

    /// Creates a reader.
    public init(promptColumn: String = "prompt", idColumn: String = "id", systemColumn: String = "system", defaultSystem: String? = nil) {
        self.promptColumn = promptColumn
        self.idColumn = idColumn
        self.systemColumn = systemColumn
        self.defaultSystem = defaultSystem
    }

    /// Reads and validates `path`.
    public func read(path: String, format: PromptFileFormat? = nil) throws(ImportError) -> [PromptInput] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(InputLocation(file: path, line: 0), "cannot read the file (does it exist and is it readable?)")
        }
        return try parse(Array(data), name: path, format: format ?? .guess(path: path))
    }

    /// Parses file contents already in memory; `name` is used in errors.
    public func parse(_ bytes: [UInt8], name: String, format: PromptFileFormat) throws(ImportError) -> [PromptInput] {
        var prompts: [PromptInput]
        if sft, format != .jsonl {
            throw ImportError(InputLocation(file: name, line: 0), "an SFT file to score must be JSONL with \"messages\" (ending in the assistant turn)")
        }
        switch format {
        case .jsonl: prompts = try JSONLPromptParser(defaultSystem: defaultSystem, reader: self).parse(bytes, name: name)
        case .csv: prompts = try CSVPromptParser(reader: self).parse(bytes, name: name)
        case .text: prompts = try parseText(bytes, name: name)
        }
        var seen: [String: Int] = [:]
        for (i, p) in prompts.enumerated() {
            if let first = seen[p.externalId] {
                if prompts[first].messages == p.messages { continue }
                throw ImportError(p.source, field: "id",
                                  "id \"\(p.externalId)\" is used again with a different prompt (first at line \(prompts[first].source.line))")
            }
            seen[p.externalId] = i
        }
        if prompts.isEmpty { throw ImportError(InputLocation(file: name, line: 0), "the file holds no prompts") }
        // A repeated id with an identical prompt is the same prompt: keep the first.
        var kept = Set<String>()
        prompts.removeAll { !kept.insert($0.externalId).inserted }
        return prompts
    }

    private func parseText(_ bytes: [UInt8], name: String) throws(ImportError) -> [PromptInput] {
        var out: [PromptInput] = []
        var lineNo = 0
        // Split on bytes: in Swift "\r\n" is one Character, so a String split on "\n" would miss CRLF lines.
        for var line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            if line.last == 0x0D { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard let s = String(validating: line, as: UTF8.self) else {
                throw ImportError(InputLocation(file: name, line: lineNo), "the line is not valid UTF-8")
            }
            var messages: [ChatMessage] = []
            if let defaultSystem { messages.append(ChatMessage(role: "system", content: defaultSystem)) }
            messages.append(ChatMessage(role: "user", content: String(s)))
            out.append(PromptInput(externalId: Self.defaultId(messages), messages: messages, source: InputLocation(file: name, line: lineNo)))
        }
        return out
    }

    /// The id given to a prompt whose file has none: the first 16 hex digits of ``PromptHash/defaultIdHash(_:)``,
    /// so re-importing a reordered file is still a no-op (also for files imported by older versions).
    public static func defaultId(_ messages: [ChatMessage]) -> String {
        String(PromptHash.hex(PromptHash.defaultIdHash(messages)).prefix(16))
    }
}
