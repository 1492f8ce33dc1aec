import Foundation

/// A first-in, first-out hand-off between threads holding at most `capacity` items: ``put(_:)`` blocks while it is
/// full, ``take()`` while it is empty. ``close()`` ends it: waiting and later calls return at once (`put` refuses,
/// `take` returns what is left, then nil). Used by the `verify` stage to overlap reading, judging and writing with
/// bounded memory.
final class BoundedQueue<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    /// At most `capacity` items, oldest first (a taken item is removed at once, so nothing taken stays referenced).
    private var items: [Item] = []
    private var closed = false
    /// Most items held at once.
    let capacity: Int

    /// Creates an open, empty queue.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Appends `item`, waiting while the queue is full; false (the item dropped) when the queue is closed.
    @discardableResult
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count >= capacity { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The oldest item, waiting while the queue is empty and open; nil once it is closed and empty.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.isEmpty { condition.wait() }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Ends the queue: no more items are accepted; items already in it can still be taken.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
