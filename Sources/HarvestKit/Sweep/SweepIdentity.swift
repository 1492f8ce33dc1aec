import HarvestCore
import SQLiteStore

/// The teacher identity of a foreground sweep, resolved against what the database already holds.
///
/// Rules (the one place they live):
/// 1. `--teacher-name` wins; the built-in mock is `builtin-mock` (``TeacherIdentity/resolve(explicitName:model:kind:builtinMock:)``).
/// 2. Without a name, a database written by an older version may hold a sweep of the same set, model, endpoint kind
///    and sampling parameters whose identity is its URL: that stored identity is adopted, so the identical command
///    (even against a teacher restarted on another port) finds its jobs and pays for nothing again.
/// 3. Otherwise the default ``TeacherIdentity/defaultName(model:kind:)`` (model plus endpoint kind, no URL).
///
/// When the set already has answers from the same model under other identities, ``warnings`` says so (before
/// anything is sent): those answers do not count for this identity and their prompts would be paid for again.
public struct SweepIdentity: Sendable {
    /// The identity to use in job keys.
    public var name: String
    /// True when a stored (URL) identity of an older version was adopted.
    public var adoptedLegacy: Bool
    /// Lines for people, printed before sending.
    public var warnings: [String]

    /// Resolves the identity for a sweep of `setName`.
    public static func resolve(store: any SetupStore, setName: String, explicitName: String?, model: String, kind: EndpointKind,
                               params: SamplingParams, builtinMock: Bool) async throws -> SweepIdentity {
        var name = TeacherIdentity.resolve(explicitName: explicitName, model: model, kind: kind, builtinMock: builtinMock)
        var adopted = false
        if explicitName?.isEmpty ?? true, !builtinMock,
           let legacy = try await store.legacyTeacherIdentity(setName: setName, model: model, kind: kind, canonicalParams: params.canonicalJSON) {
            name = legacy
            adopted = true
        }
        var warnings: [String] = []
        if adopted {
            warnings.append("note: keeping the teacher identity \"\(shown(name))\" stored by an earlier version for this set, model and parameters "
                + "(so its answers count); new sweeps without --teacher-name use \"\(TeacherIdentity.defaultName(model: model, kind: kind))\"")
        }
        let others = try await store.answeredIdentities(setName: setName, model: model, kind: kind).filter { $0.name != name }
        if !others.isEmpty {
            let listed = others.prefix(3).map { "\"\(shown($0.name))\" (\($0.answers) answers)" }.joined(separator: ", ")
            warnings.append("warning: set \"\(setName)\" already has answers from model \(model) under another teacher identity: \(listed); "
                + "this sweep uses \"\(shown(name))\" and pays for its prompts again — pass --teacher-name \(shown(others[0].name)) to reuse them")
        }
        return SweepIdentity(name: name, adoptedLegacy: adopted, warnings: warnings)
    }

    /// An identity as printed: a URL identity without credentials.
    static func shown(_ name: String) -> String {
        TeacherIdentity.isLegacyURLName(name) ? TeacherURL.redacted(name) : name
    }
}
