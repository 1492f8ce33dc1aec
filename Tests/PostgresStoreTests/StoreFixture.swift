import Foundation
import HarvestCore
import PostgresStore
import SQLiteStore

/// The store backends the conformance suite runs against.
enum Backend: String, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    /// SQLite always; PostgreSQL when `HARVEST_TEST_PG_URL` is set.
    static var available: [Backend] { PostgresTestDatabase.available ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }

    /// A fresh, empty database of this backend.
    func fixture() async throws -> any StoreFixture {
        switch self {
        case .sqlite: try SQLiteFixture()
        case .postgres: try PostgresFixture()
        }
    }
}

/// One fresh database and the views a test needs of it, whatever the backend. ``store()`` opens another
/// independent store on the same database (another process, as far as leases and fences go).
protocol StoreFixture: Sendable {
    /// Opens a new store instance on the database.
    func store() async throws -> any JobStore
    /// Imports `prompts` prompts into set `s` and creates sweep `s` (mock teacher at `baseURL`); returns its id.
    func sweep(prompts: Int, samples: Int, baseURL: String) async throws -> Int64
    /// The job's state and lease owner.
    func job(_ id: Int64) async throws -> (state: JobState, owner: String?)
    /// Responses stored for the job.
    func responses(_ id: Int64) async throws -> Int
    /// Attempts recorded for the job.
    func attempts(_ id: Int64) async throws -> Int
    /// The stored answer's content.
    func content(_ id: Int64) async throws -> String?
    /// Closes the stores and removes the database.
    func cleanup()
}

/// The prompts every fixture imports.
func conformancePrompts(_ n: Int) -> [PromptInput] {
    (0..<n).map { i in
        PromptInput(externalId: "q\(i)", messages: [ChatMessage(role: "user", content: "Question \(i): what is \(i) + \(i)?")],
                    source: InputLocation(file: "gen", line: i + 1))
    }
}

/// The sweep's teacher and parameters (with logprobs, so answers carry a vocabulary).
func conformanceTeacher(_ baseURL: String) -> TeacherEndpoint { TeacherEndpoint(baseURL: baseURL, model: "mock-teacher") }
let conformanceParams = SamplingParams(maxTokens: 16, temperature: 0.7, seed: 3, topLogprobs: 3)

final class SQLiteFixture: StoreFixture, @unchecked Sendable {
    let dir: URL
    var path: String { dir.appendingPathComponent("store.sqlite").path }
    private let lock = NSLock()
    private var opened: [SQLiteStore] = []
    private let main: SQLiteStore

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        main = try SQLiteStore(path: dir.appendingPathComponent("store.sqlite").path)
    }

    func store() async throws -> any JobStore {
        let s = try SQLiteStore(path: path)
        lock.withLock { opened.append(s) }
        return s
    }

    func sweep(prompts: Int, samples: Int, baseURL: String) async throws -> Int64 {
        _ = try main.importPrompts(setName: "s", prompts: conformancePrompts(prompts), sourceName: "gen")
        return try main.createSweep(name: "s", setName: "s", teacher: conformanceTeacher(baseURL), params: conformanceParams,
                                    samples: samples).sweepId
    }

    func job(_ id: Int64) async throws -> (state: JobState, owner: String?) {
        let info = try #require(try main.jobInfo(id: id))
        return (info.state, info.leaseOwner)
    }

    func responses(_ id: Int64) async throws -> Int { try main.responseCount(jobId: id) }
    func attempts(_ id: Int64) async throws -> Int { try main.attemptCount(jobId: id) }

    func content(_ id: Int64) async throws -> String? {
        try main.responses(query: ResponseQuery(setName: "s", limit: 100_000, includeLogprobs: false)).first { $0.jobId == id }?.choice.content
    }

    func cleanup() {
        for s in lock.withLock({ opened }) { s.close() }
        main.close()
        try? FileManager.default.removeItem(at: dir)
    }
}

final class PostgresFixture: StoreFixture, @unchecked Sendable {
    let database: PostgresTestDatabase
    private let lock = NSLock()
    private var opened: [PostgresStore] = []
    private let main: PostgresStore

    init() throws {
        database = try PostgresTestDatabase()
        main = try PostgresStore(url: database.url)
    }

    func store() async throws -> any JobStore {
        let s = try PostgresStore(url: database.url, connections: 2)
        lock.withLock { opened.append(s) }
        return s
    }

    func sweep(prompts: Int, samples: Int, baseURL: String) async throws -> Int64 {
        _ = try await main.importPrompts(setName: "s", prompts: conformancePrompts(prompts), sourceName: "gen")
        return try await main.createSweep(name: "s", setName: "s", teacher: conformanceTeacher(baseURL), params: conformanceParams,
                                          samples: samples).sweepId
    }

    func job(_ id: Int64) async throws -> (state: JobState, owner: String?) {
        let info = try #require(try await main.jobInfo(id: id))
        return (info.state, info.leaseOwner)
    }

    func responses(_ id: Int64) async throws -> Int { try await main.responseCount(jobId: id) }
    func attempts(_ id: Int64) async throws -> Int { try await main.attemptCount(jobId: id) }
    func content(_ id: Int64) async throws -> String? { try await main.answer(jobId: id)?.content }

    func cleanup() {
        for s in lock.withLock({ opened }) { s.close() }
        main.close()
        database.drop()
    }
}

import Testing
