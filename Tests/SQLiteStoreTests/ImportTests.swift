import HarvestCore
import Testing
@testable import SQLiteStore

@Suite struct ImportTests {
    @Test func importsAndReimportIsANoOp() throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        let first = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(5), sourceName: "a.jsonl")
        #expect(first == ImportSummary(setName: "s", added: 5, unchanged: 0))
        let before = try store.counts()
        let second = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(5), sourceName: "a.jsonl")
        #expect(second == ImportSummary(setName: "s", added: 0, unchanged: 5))
        #expect(try store.counts() == before)
        #expect(try store.setNames().map(\.name) == ["s"])
        #expect(try store.setNames().map(\.count) == [5])
    }

    @Test func conflictOnLastLineLeavesDatabaseUnchanged() throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        _ = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(2), sourceName: "a.jsonl")
        let before = try store.counts()
        // Three new prompts, a new set member, then id p1 again with other text on the last line.
        var batch = (10..<13).map { Fixtures.prompt($0, file: "b.jsonl") }
        batch.append(Fixtures.prompt(1, file: "b.jsonl", text: "something else"))
        #expect {
            _ = try store.importPrompts(setName: "s", prompts: batch, sourceName: "b.jsonl")
        } throws: { error in
            guard case StoreError.conflict("s", "p1", let location) = error else { return false }
            return location == InputLocation(file: "b.jsonl", line: 2) && "\(error)".hasPrefix("b.jsonl:2: prompt id 'p1'")
        }
        #expect(try store.counts() == before)
        // A conflict inside a brand-new set also rolls back the set itself.
        let dup = [Fixtures.prompt(1), Fixtures.prompt(1, text: "other")]
        #expect(throws: StoreError.self) { try store.importPrompts(setName: "fresh", prompts: dup, sourceName: "c") }
        #expect(try store.counts() == before)
    }

    @Test func promptsAreContentAddressedAcrossSetsAndIds() throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        var twin = Fixtures.prompt(0)
        twin.externalId = "zz-twin"
        let summary = try store.importPrompts(setName: "s", prompts: [Fixtures.prompt(0), twin], sourceName: "a")
        #expect(summary.added == 2)
        _ = try store.importPrompts(setName: "t", prompts: [Fixtures.prompt(0)], sourceName: "b")
        let counts = try store.counts()
        #expect(counts["prompts"] == 1)
        #expect(counts["set_members"] == 3)
        #expect(counts["prompt_sets"] == 2)
    }

    @Test func emptySetNameIsRejected() throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        #expect(throws: StoreError.self) { try store.importPrompts(setName: "", prompts: Fixtures.prompts(1), sourceName: "a") }
    }
}
