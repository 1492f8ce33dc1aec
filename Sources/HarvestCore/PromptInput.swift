import HarvestCrypto

/// A place in an input file, for error messages that say where.
public struct InputLocation: Sendable, Hashable, CustomStringConvertible {
    /// File path as the user gave it.
    public var file: String
    /// One-based line number (0 when unknown).
    public var line: Int
    /// Creates a location.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    /// `file:line`.
    public var description: String { line > 0 ? "\(file):\(line)" : file }
}

/// A prompt as read from an import file, before it is stored.
public struct PromptInput: Sendable, Hashable {
    /// The user's id for this prompt, unique within its prompt set (the line number when the file gives none).
    public var externalId: String
    /// The conversation to send: an optional system message, then user (and earlier turns).
    public var messages: [ChatMessage]
    /// The user's `metadata` object as compact JSON text, if any.
    public var metadataJSON: String?
    /// Where it came from.
    public var source: InputLocation

    /// Creates a prompt input.
    public init(externalId: String, messages: [ChatMessage], metadataJSON: String? = nil, source: InputLocation) {
        self.externalId = externalId
        self.messages = messages
        self.metadataJSON = metadataJSON
        self.source = source
    }

    /// Content address of the conversation: SHA-256 over roles and contents (ids and metadata excluded).
    public var contentHash: [UInt8] { PromptHash.hash(messages) }
}

/// Content addressing of prompts.
public enum PromptHash {
    /// SHA-256 over `role NUL content NUL` for each message, in order.
    public static func hash(_ messages: [ChatMessage]) -> [UInt8] {
        var sha = SHA256()
        for m in messages {
            sha.update(m.role.utf8)
            sha.update(CollectionOfOne(UInt8(0)))
            sha.update(m.content.utf8)
            sha.update(CollectionOfOne(UInt8(0)))
        }
        return sha.finalize()
    }

    /// Lower-case hex of a digest.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
