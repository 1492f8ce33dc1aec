import Foundation
import HarvestCore
import HarvestKit

/// A batch API whose lookup finds nothing and whose create first runs `other` (another process creating and recording
/// its batch for the same lines), then creates its own: the race of a process that lost its lock mid-create.
final class RacingBatchAPI: BatchAPI, @unchecked Sendable {
    private let base: OpenAIBatchClient
    private let other: @Sendable () async throws -> String
    private let lock = NSLock()
    private var ids: (other: String?, own: String?) = (nil, nil)
    var otherId: String? { lock.withLock { ids.other } }
    var ownId: String? { lock.withLock { ids.own } }

    init(_ base: OpenAIBatchClient, other: @escaping @Sendable () async throws -> String) {
        self.base = base
        self.other = other
    }

    var wire: BatchWire { base.wire }
    func line(for job: Job) throws -> [UInt8] { try base.line(for: job) }
    func stage(_ input: [UInt8], ref: String) async throws(BatchError) -> String { try await base.stage(input, ref: ref) }
    func create(input: [UInt8], inputId: String, ref: String, kind: EndpointKind, completionWindow: String) async throws(BatchError) -> BatchInfo {
        do {
            let id = try await other()
            lock.withLock { ids.other = id }
        } catch {
            throw BatchError.malformed(url: "racing create", detail: "\(error)")
        }
        let info = try await base.create(input: input, inputId: inputId, ref: ref, kind: kind, completionWindow: completionWindow)
        lock.withLock { ids.own = info.id }
        return info
    }
    func findCreated(ref: String, inputId: String, requests: Int, recordedAt: Double, known: Set<String>) async throws(BatchError) -> BatchInfo? { nil }
    func batch(_ id: String) async throws(BatchError) -> BatchInfo { try await base.batch(id) }
    func cancel(_ id: String) async throws(BatchError) -> BatchInfo { try await base.cancel(id) }
    func resultFiles(_ info: BatchInfo) async throws(BatchError) -> [[UInt8]] { try await base.resultFiles(info) }
}

/// Coordinator events as text, for assertions.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
    func add(_ event: BatchEvent) { lock.withLock { lines.append(String(describing: event)) } }
}
