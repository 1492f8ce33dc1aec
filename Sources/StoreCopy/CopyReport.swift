/// What `harvest db copy` did and what its verification pass found.
public struct CopyReport: Sendable {
    /// One table's figures.
    public struct Table: Sendable {
        /// Table name.
        public let name: String
        /// Rows in the source (in the copy's snapshot).
        public let sourceRows: Int
        /// Rows in the target after the copy.
        public let targetRows: Int
        /// Content digest of the source's rows (hex SHA-256 based; order independent; logprobs decoded).
        public let sourceDigest: String
        /// Content digest of the target's rows.
        public let targetDigest: String
        /// Whether counts and digests are equal.
        public var matches: Bool { sourceRows == targetRows && sourceDigest == targetDigest }
    }

    /// Per table, in copy order.
    public let tables: [Table]
    /// Rows written into the target (rows a resumed copy found already there are not counted).
    public let rowsCopied: Int
    /// Payload bytes of the rows read from the source.
    public let bytesCopied: Int
    /// Seconds spent copying (without the verification pass).
    public let copySeconds: Double
    /// Seconds spent verifying.
    public let verifySeconds: Double
    /// Whether the copy resumed an earlier, interrupted copy into the same target.
    public let resumed: Bool
    /// Whether the target already was a finished copy of the source (this run only added what was new, if anything,
    /// and verified).
    public let alreadyComplete: Bool

    /// Whether every table matches.
    public var verified: Bool { tables.allSatisfy(\.matches) }
}
