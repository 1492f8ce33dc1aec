/// One daemon's place among the live daemons that serve a teacher (from heartbeat rows in a shared database), and
/// the part of a shared limit it may use.
///
/// Accuracy: the parts add up to the limit exactly while every daemon sees the same members (integers: the
/// remainder goes to the lowest ranks; rates: an equal fraction). When a daemon joins, the others shrink only at
/// their next heartbeat, so for up to one heartbeat interval the sum can exceed the limit by the newcomer's part;
/// when one dies, its part is unused until its row expires. A daemon's part is never below ``minimum`` (1 request
/// in flight), so with more daemons than the limit allows the sum exceeds it.
public struct FleetShare: Sendable, Equatable {
    /// This daemon's place among the live members, 0-based (members ordered by their owner text).
    public var rank: Int
    /// Live daemons serving the teacher, this one included (at least 1).
    public var members: Int

    /// The least in-flight part a daemon gets.
    public static let minimum = 1

    /// The share of a daemon alone.
    public static let alone = FleetShare(rank: 0, members: 1)

    /// Creates a share (`members` at least 1, `rank` within it).
    public init(rank: Int, members: Int) {
        self.members = max(1, members)
        self.rank = min(max(0, rank), self.members - 1)
    }

    /// This daemon's part of an integer limit (requests in flight): `limit / members`, plus one for the first
    /// `limit % members` ranks, at least ``minimum``.
    public func part(of limit: Int) -> Int {
        max(Self.minimum, limit / members + (rank < limit % members ? 1 : 0))
    }

    /// This daemon's part of a rate (requests or tokens per minute or second): an equal fraction.
    public func part(of rate: Double) -> Double { rate / Double(members) }
}
