import SQLiteStore

extension TeacherLimits {
    /// The limits one daemon of several applies when they share a teacher through one database: each limit
    /// divided by ``FleetShare`` (accuracy there). The adaptive flag is kept.
    public func part(for share: FleetShare) -> TeacherLimits {
        guard share.members > 1 else { return self }
        var out = self
        out.maxInFlight = share.part(of: maxInFlight)
        out.requestsPerMinute = requestsPerMinute.map { share.part(of: $0) }
        out.tokensPerMinute = tokensPerMinute.map { share.part(of: $0) }
        out.requestsPerSecond = requestsPerSecond.map { share.part(of: $0) }
        return out
    }
}
