import Foundation

/// A bounded hand-over of pages from the thread that reads the source to the thread that writes the target, so
/// reading (and re-indexing, and digesting) the next pages overlaps writing the current one, with at most
/// `capacity` pages in memory. The reader ends with ``finish(_:)`` or ``fail(_:)``; the writer takes pages until nil
/// and may ``cancel()`` (then the reader's next ``put(_:)`` returns false).
final class PagePipe<Page: Sendable, Result: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var pages: [Page] = []  // guarded by `condition`
    private var result: Result?  // guarded by `condition`
    private var failure: (any Error)?  // guarded by `condition`
    private var cancelled = false  // guarded by `condition`
    private var ended = false  // guarded by `condition`

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Reader: hands over a page, waiting while `capacity` pages are pending; false when the writer cancelled.
    func put(_ page: Page) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while pages.count >= capacity, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        pages.append(page)
        condition.broadcast()
        return true
    }

    /// Reader: no more pages; `result` is what the reader found (handed to the writer by ``waitForReader()``).
    func finish(_ result: Result) {
        condition.lock()
        defer { condition.unlock() }
        self.result = result
        ended = true
        condition.broadcast()
    }

    /// Reader: stopped by an error (thrown to the writer by its next ``take()``).
    func fail(_ error: any Error) {
        condition.lock()
        defer { condition.unlock() }
        failure = error
        ended = true
        condition.broadcast()
    }

    /// Writer: the next page, nil when the reader finished; rethrows the reader's error.
    func take() throws -> Page? {
        condition.lock()
        defer { condition.unlock() }
        while pages.isEmpty, !ended { condition.wait() }
        if !pages.isEmpty {
            let page = pages.removeFirst()
            condition.broadcast()
            return page
        }
        if let failure { throw failure }
        return nil
    }

    /// Writer: stops the reader (its next ``put(_:)`` returns false) and waits until it has ended.
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        pages.removeAll()
        condition.broadcast()
        while !ended { condition.wait() }
    }

    /// Writer: waits until the reader has ended and returns its result (nil when it failed or was cancelled).
    func waitForReader() throws -> Result? {
        condition.lock()
        defer { condition.unlock() }
        while !ended { condition.wait() }
        if let failure { throw failure }
        return result
    }
}
