import Foundation
import HarvestCore
import OpenAIWire
import Testing

/// Loads a fixture file's bytes from the test bundle.
func fixture(_ name: String) throws -> [UInt8] {
    let dot = name.lastIndex(of: ".")!
    let url = try #require(Bundle.module.url(
        forResource: String(name[..<dot]), withExtension: String(name[name.index(after: dot)...]), subdirectory: "Fixtures"))
    return Array(try Data(contentsOf: url))
}

/// The bit pattern Swift's own conversion gives for a decimal literal, to compare bit-exactly.
func bits(_ literal: String) -> UInt64 { Double(literal)!.bitPattern }

/// Decodes a string body.
func decode(_ json: String, _ kind: EndpointKind = .chat) throws(WireError) -> TeacherResponse {
    try ResponseDecoder.decode(Array(json.utf8), kind: kind)
}

/// The error a decode throws, or nil.
func decodeError(_ body: [UInt8], _ kind: EndpointKind = .chat) -> WireError? {
    do {
        _ = try ResponseDecoder.decode(body, kind: kind)
        return nil
    } catch {
        return error
    }
}
