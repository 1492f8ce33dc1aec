import HarvestCore
import HarvestKit
import SQLiteStore
import Testing

/// The identity rules against a real store: adoption of an older version's URL identity, warnings, explicit names.
@Suite struct SweepIdentityTests {
    static let params = SamplingParams(maxTokens: 8)

    func store(_ dir: TempDir) throws -> SQLiteStore {
        let store = try SQLiteStore(path: dir.path("i.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: [PromptInput(externalId: "1", messages: [ChatMessage(role: "user", content: "q")],
                                                                         source: InputLocation(file: "f", line: 1))], sourceName: "f")
        return store
    }

    @Test func legacyURLIdentityIsAdoptedForTheSameDefinitionOnly() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try store(dir)
        // What an older version stored: the URL as the identity.
        let legacy = TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "m", name: "http://127.0.0.1:8000/v1")
        _ = try store.createSweep(name: "s:m:old", setName: "s", teacher: legacy, params: Self.params, samples: 1)
        let same = try await SweepIdentity.resolve(store: store, setName: "s", explicitName: nil, model: "m", kind: .chat, params: Self.params, builtinMock: false)
        #expect(same.name == "http://127.0.0.1:8000/v1")
        #expect(same.adoptedLegacy)
        #expect(same.warnings.count == 1 && same.warnings[0].hasPrefix("note: keeping the teacher identity"))
        // Other parameters: the default identity (and no answers yet, so no warning).
        let other = try await SweepIdentity.resolve(store: store, setName: "s", explicitName: nil, model: "m", kind: .chat,
                                              params: SamplingParams(maxTokens: 9), builtinMock: false)
        #expect(other.name == "m@chat")
        #expect(!other.adoptedLegacy)
        #expect(other.warnings.isEmpty)
        // An explicit name is never replaced; the mock keeps its stable name.
        #expect(try await SweepIdentity.resolve(store: store, setName: "s", explicitName: "gpu", model: "m", kind: .chat, params: Self.params, builtinMock: false).name == "gpu")
        #expect(try await SweepIdentity.resolve(store: store, setName: "s", explicitName: nil, model: "m", kind: .chat, params: Self.params, builtinMock: true).name == "builtin-mock")
    }
}
