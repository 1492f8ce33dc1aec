import Foundation
import HarvestJSON

/// How an eval set file is laid out.
public enum EvalSetFormat: Sendable, Hashable {
    /// One JSON object per line; the text is the first of `fields` present (each must be a string).
    case jsonl(fields: [String])
    /// One item per line.
    case lines

    /// Text fields tried by default, in order.
    public static let defaultFields = ["question", "prompt", "problem"]

    /// `.jsonl(fields:)` for `.jsonl` / `.ndjson` files, `.lines` otherwise.
    public static func infer(path: String, fields: [String] = defaultFields) -> EvalSetFormat {
        let lower = path.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") ? .jsonl(fields: fields) : .lines
    }
}

/// Where an eval set comes from.
public struct EvalSetSource: Sendable, Hashable {
    /// File path.
    public var path: String
    /// Name reported in marks (default: the file name without extension).
    public var name: String
    /// Layout (default: inferred from the extension).
    public var format: EvalSetFormat

    /// Creates a source.
    public init(path: String, name: String? = nil, format: EvalSetFormat? = nil) {
        self.path = path
        let file = (path as NSString).lastPathComponent
        self.name = name ?? ((file as NSString).deletingPathExtension.isEmpty ? file : (file as NSString).deletingPathExtension)
        self.format = format ?? EvalSetFormat.infer(path: path)
    }
}

/// A loaded eval set: its items with their 1-based line numbers, and a hash of the file's bytes.
public struct EvalSet: Sendable, Hashable {
    /// One item.
    public struct Item: Sendable, Hashable {
        /// 1-based line in the file.
        public var line: Int
        /// The item's text.
        public var text: String
    }

    /// Name reported in marks.
    public var name: String
    /// File path (or a label for in-memory sets).
    public var path: String
    /// Items in file order (blank lines skipped).
    public var items: [Item]
    /// Hash of the file's bytes (part of the stage parameters: a changed file invalidates marks).
    public var contentHash: ContentHash

    /// Creates an in-memory eval set.
    public init(name: String, texts: [String]) {
        self.name = name
        path = "<memory:\(name)>"
        items = texts.enumerated().map { Item(line: $0.offset + 1, text: $0.element) }
        contentHash = ContentHash(of: texts.joined(separator: "\n"))
    }

    /// Reads and parses a file; any problem is reported as `file:line: field "x": what`, before anything is marked.
    public static func load(_ source: EvalSetSource) throws(CurationError) -> EvalSet {
        guard let data = FileManager.default.contents(atPath: source.path) else {
            throw CurationError(.evalSet, location: source.path, "cannot read the eval set file",
                                hint: "check the path and permissions; nothing was marked")
        }
        let bytes = [UInt8](data)
        var items = [Item]()
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let next = end + 1
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            let line = bytes[start..<end]
            start = next
            if line.allSatisfy({ TextNormalizer.isASCIISpace($0) }) { continue }
            let where_ = "\(source.path):\(lineNumber)"
            switch source.format {
            case .lines:
                items.append(Item(line: lineNumber, text: String(decoding: line, as: UTF8.self)))
            case .jsonl(let fields):
                items.append(Item(line: lineNumber, text: try text(of: line, fields: fields, at: where_)))
            }
        }
        guard !items.isEmpty else {
            throw CurationError(.evalSet, location: source.path, "the eval set has no items",
                                hint: "point to a file with one item per line; nothing was marked")
        }
        return EvalSet(name: source.name, path: source.path, items: items, contentHash: ContentHash(of: String(decoding: bytes, as: UTF8.self)))
    }

    private init(name: String, path: String, items: [Item], contentHash: ContentHash) {
        self.name = name
        self.path = path
        self.items = items
        self.contentHash = contentHash
    }

    private static func text(of line: ArraySlice<UInt8>, fields: [String], at location: String) throws(CurationError) -> String {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw CurationError(.evalSet, location: location, "not valid JSON: \(error)",
                                hint: "fix the line or use the plain-text format; nothing was marked")
        }
        guard let members = value.objectValue else {
            throw CurationError(.evalSet, location: location, "expected a JSON object, found \(value.typeName)",
                                hint: "each line must be an object with a text field; nothing was marked")
        }
        for field in fields {
            guard let v = value[field] else { continue }
            guard let s = v.stringValue else {
                throw CurationError(.evalSet, location: location, field: field, "expected a string, found \(v.typeName)",
                                    hint: "choose another text field; nothing was marked")
            }
            return s
        }
        let keys = members.map(\.0).joined(separator: ", ")
        throw CurationError(.evalSet, location: location, field: fields.joined(separator: "|"),
                            "missing; the object has keys: \(keys.isEmpty ? "(none)" : keys)",
                            hint: "set the eval set's text field to one of its keys; nothing was marked")
    }
}
