import Foundation
import HarvestCore
import HarvestStore

/// Reads the export's pages on a thread of its own, one page ahead of the caller, so reading rows (the database,
/// logprob decoding) and writing JSON run on two cores. At most ``depth`` pages wait at a time (bounded memory).
/// The page stream (``ResponsePages``: keyset pages on SQLite, a server-side cursor on PostgreSQL) is opened, read
/// and closed on the reading thread only.
///
/// Thread-safety: the queue and flags are guarded by `condition`; the stream lives on the reading thread, which
/// ``cancel()`` and the end of the pages join.
final class PagePrefetcher: @unchecked Sendable {
    /// Opens the stream of pages (called once, on the reading thread).
    typealias Open = @Sendable () throws -> any ResponsePages

    private let condition = NSCondition()
    private var pages: [[StoredResponse]] = []
    private var ended = false
    private var cancelled = false
    private var failure: (any Error)?
    private var running = true
    private let depth = 1

    /// Starts reading the pages of the stream `open` returns.
    init(open: @escaping Open) {
        let thread = Thread { [self] in run(open: open) }
        thread.name = "harvest-export-read"
        thread.start()
    }

    deinit { cancel() }

    /// The next page, or nil after the last one; throws what reading threw.
    func next() throws -> [StoredResponse]? {
        condition.lock()
        defer { condition.unlock() }
        while pages.isEmpty && !ended && failure == nil { condition.wait() }
        if !pages.isEmpty {
            let page = pages.removeFirst()
            condition.broadcast()
            return page
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops reading and waits for the reading thread to finish its current page and close the stream.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running { condition.wait() }
        pages.removeAll()
        condition.unlock()
    }

    private func run(open: Open) {
        var stream: (any ResponsePages)?
        defer {
            stream?.close()
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        do {
            stream = try open()
        } catch {
            condition.lock()
            failure = error
            condition.broadcast()
            condition.unlock()
            return
        }
        while let stream {
            let result = Result { try stream.next() }
            condition.lock()
            switch result {
            case .failure(let error):
                failure = error
            case .success(let page):
                if let page, !page.isEmpty { pages.append(page) } else { ended = true }
            }
            condition.broadcast()
            while pages.count >= depth && !cancelled { condition.wait() }
            let stop = cancelled || ended || failure != nil
            condition.unlock()
            if stop { return }
        }
    }
}
