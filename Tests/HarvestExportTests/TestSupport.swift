import CZlib
import Foundation
import HarvestCore
import HarvestCrypto
import HarvestExport
import HarvestJSON

/// A fresh folder under the system temp folder, removed by ``remove()``.
struct TempDir {
    let path: String

    init(_ label: String = "export") {
        path = NSTemporaryDirectory() + "harvest-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Sorted entry names, hidden ones included.
    func entries(_ sub: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: sub.isEmpty ? path : path + "/" + sub)) ?? []).sorted()
    }

    func file(_ name: String) -> String { path + "/" + name }
}

func readBytes(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

func readLines(_ bytes: [UInt8]) -> [String] {
    String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .dropLast().map(String.init)
}

func hex(_ digest: [UInt8]) -> String { digest.map { String(format: "%02x", $0) }.joined() }

/// Decompresses a gzip stream (possibly several members) with zlib's inflate.
func gunzip(_ data: [UInt8]) -> [UInt8]? {
    var stream = z_stream()
    guard inflateInit2_(&stream, 31, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var input = data
    return input.withUnsafeMutableBufferPointer { inBuf -> [UInt8]? in
        stream.next_in = inBuf.baseAddress
        stream.avail_in = UInt32(inBuf.count)
        while true {
            let (rc, produced) = chunk.withUnsafeMutableBufferPointer { o -> (Int32, Int) in
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                return (rc, o.count - Int(stream.avail_out))
            }
            out.append(contentsOf: chunk[0..<produced])
            if rc == Z_STREAM_END {
                if stream.avail_in == 0 { return out }
                inflateReset(&stream)
            } else if rc != Z_OK {
                return nil
            }
        }
    }
}

/// Rows with distinct prompts, `size` bytes of answer each.
func syntheticRows(_ count: Int, answerBytes: Int = 200, startId: Int64 = 1) -> [StoredResponse] {
    (0..<count).map { synthetic(Int64($0) + startId, answerBytes: answerBytes) }
}

func synthetic(_ id: Int64, answerBytes: Int = 200, promptHash: String? = nil) -> StoredResponse {
    let answer = String(repeating: "x", count: answerBytes)
    return StoredResponse(
        id: id, jobId: id, promptId: id, promptHash: promptHash ?? hex(SHA256.digest(Array("prompt-\(id)".utf8))),
        externalId: nil, metadataJSON: nil, messages: [ChatMessage(role: "user", content: "Question number \(id)?")],
        teacher: Fixtures.teacher, params: SamplingParams(temperature: 0.7), sampleIndex: 0,
        choice: CompletionChoice(index: 0, content: answer, finishReason: "stop"), usage: nil, model: "m",
        responseId: nil, receivedAt: 1_700_000_000 + Double(id))
}

struct SourceFailure: Error, CustomStringConvertible {
    var description: String { "database is locked" }
}
