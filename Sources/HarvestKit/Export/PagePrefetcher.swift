import Foundation
import HarvestCore

/// Reads the export's pages on a thread of its own, one page ahead of the caller, so reading rows (SQLite, logprob
/// decoding) and writing JSON run on two cores. At most ``depth`` pages wait at a time (bounded memory).
///
/// Thread-safety: the queue and flags are guarded by `condition`; `fetch` runs only on the reading thread, which
/// ``cancel()`` and the end of the pages join.
final class PagePrefetcher: @unchecked Sendable {
    /// Reads the page after the given response id.
    typealias Fetch = @Sendable (_ afterId: Int64) throws -> [StoredResponse]

    private let condition = NSCondition()
    private var pages: [[StoredResponse]] = []
    private var ended = false
    private var cancelled = false
    private var failure: (any Error)?
    private var running = true
    private let depth = 1

    /// Starts reading pages of `pageSize` rows after `start`.
    init(pageSize: Int, after start: Int64, fetch: @escaping Fetch) {
        let thread = Thread { [self] in run(pageSize: pageSize, after: start, fetch: fetch) }
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

    /// Stops reading and waits for the reading thread to finish its current page.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running { condition.wait() }
        pages.removeAll()
        condition.unlock()
    }

    private func run(pageSize: Int, after start: Int64, fetch: Fetch) {
        var afterId = start
        while true {
            let result = Result { try fetch(afterId) }
            condition.lock()
            switch result {
            case .failure(let error):
                failure = error
            case .success(let page):
                if !page.isEmpty { pages.append(page) }
                if page.count < pageSize { ended = true }
                if let last = page.last { afterId = last.id }
            }
            condition.broadcast()
            while pages.count >= depth && !cancelled { condition.wait() }
            let stop = cancelled || ended || failure != nil
            if stop {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
        }
    }
}
