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
    /// The reference answer the teacher's final answer is checked against (a JSON Schema for verifier `json`).
    public var reference: String?
    /// The verifier kind for this prompt (`math`, `choice`, `exact`, `regex`, `json`, `none`); nil: the set's default.
    public var verifier: String?

    /// Creates a prompt input.
    public init(externalId: String, messages: [ChatMessage], metadataJSON: String? = nil, source: InputLocation,
                reference: String? = nil, verifier: String? = nil) {
        self.externalId = externalId
        self.messages = messages
        self.metadataJSON = metadataJSON
        self.source = source
        self.reference = reference
        self.verifier = verifier
    }

    /// Content address of the conversation: ``PromptHash/hash(_:)`` of its messages (ids and metadata excluded).
    public var contentHash: [UInt8] { PromptHash.hash(messages) }
}

/// Content addressing of prompts.
///
/// The canonical encoding (schema version 4 on) cannot collide: the digest is SHA-256 over
/// `"harvest-prompt-v2\n"`, then for each message its role and its content, each as the 8-byte big-endian
/// length of its UTF-8 bytes followed by those bytes. Two conversations have the same encoding only when they
/// have the same messages (a NUL or any other byte in a content cannot fake a message boundary).
public enum PromptHash {
    /// SHA-256 of the canonical, length-prefixed encoding of `messages` (see the type's documentation).
    public static func hash(_ messages: [ChatMessage]) -> [UInt8] {
        var sha = SHA256()
        sha.update("harvest-prompt-v2\n".utf8)
        for m in messages {
            appendField(m.role, to: &sha)
            appendField(m.content, to: &sha)
        }
        return sha.finalize()
    }

    private static func appendField(_ text: String, to sha: inout SHA256) {
        let bytes = Array(text.utf8)
        let n = UInt64(bytes.count)
        sha.update((0..<8).map { UInt8(truncatingIfNeeded: n >> (56 - 8 * UInt64($0))) })
        sha.update(bytes)
    }

    /// The digest older versions stored (SHA-256 over `role NUL content NUL` per message). It collides when a
    /// content holds NUL characters; it is kept only to migrate old databases and for ``PromptHash/defaultIdHash(_:)``.
    public static func legacyHash(_ messages: [ChatMessage]) -> [UInt8] {
        var sha = SHA256()
        for m in messages {
            sha.update(m.role.utf8)
            sha.update(CollectionOfOne(UInt8(0)))
            sha.update(m.content.utf8)
            sha.update(CollectionOfOne(UInt8(0)))
        }
        return sha.finalize()
    }

    /// The digest whose hex prefix names a prompt imported without an id: the legacy digest when no role or
    /// content contains NUL (there it cannot collide, and ids given by older versions stay the same, so a
    /// re-import stays a no-op), else the canonical ``hash(_:)``.
    public static func defaultIdHash(_ messages: [ChatMessage]) -> [UInt8] {
        let hasNUL = messages.contains { $0.role.utf8.contains(0) || $0.content.utf8.contains(0) }
        return hasNUL ? hash(messages) : legacyHash(messages)
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
