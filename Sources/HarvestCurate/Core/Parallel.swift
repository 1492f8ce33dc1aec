import Dispatch
import Foundation

/// Splits index ranges over a few threads (Dispatch `concurrentPerform`). Results are written by index, so the
/// output does not depend on the number of threads.
enum Parallel {
    /// The default number of threads: the active processor count.
    static var defaultWidth: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Calls `body` with disjoint contiguous chunks covering `0..<count`, on up to `width` threads.
    static func forEachChunk(count: Int, width: Int, minimumChunk: Int = 64, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = max(1, min(width, count / max(1, minimumChunk)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((count * c / chunks)..<(count * (c + 1) / chunks))
        }
    }

    /// `transform` applied to every element, computed in chunks on up to `width` threads.
    static func map<T: Sendable, R: Sendable>(_ items: [T], width: Int, _ transform: @Sendable (inout Scratch, T) -> R) -> [R] {
        var results = [R?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            items.withUnsafeBufferPointer { input in
                nonisolated(unsafe) let input = input
                forEachChunk(count: input.count, width: width) { range in
                    var scratch = Scratch()
                    for i in range { out[i] = transform(&scratch, input[i]) }
                }
            }
        }
        return results.map { $0! }
    }
}

/// Per-thread reusable buffers for hashing.
struct Scratch {
    var words: [UInt64] = []
    var shingles: [UInt64] = []
    var reduced: [UInt64] = []
}
