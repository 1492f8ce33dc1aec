import Foundation
import HarvestJSON

/// A JSON Schema subset for the `json` verifier: `type` (a name or a list), `properties`, `required`,
/// `additionalProperties` (boolean or schema), `items`, `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minLength`, `maxLength`, `minItems`, `maxItems`, `pattern`, `anyOf`. Other keywords are ignored.
public struct JSONSchemaSubset: Sendable {
    /// The schema document.
    public let schema: JSONValue

    /// Parses a schema from JSON text; throws when it is not JSON or not an object.
    public init(text: String) throws(JSONError) {
        let v = try JSONValue.parse(text)
        guard case .object = v else { throw JSONError("a JSON Schema must be an object", offset: 0) }
        schema = v
    }

    /// The first violation of `value` (`$.path: what`), nil when it conforms.
    public func violation(of value: JSONValue) -> String? {
        JSONSchemaSubset.check(value, schema, "$")
    }

    static func check(_ v: JSONValue, _ s: JSONValue, _ path: String) -> String? {
        guard case .object = s else { return nil }
        if let type = s["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            if !names.contains(where: { matchesType(v, $0) }) {
                return "\(path): expected \(names.joined(separator: " or ")), found \(v.typeName)"
            }
        }
        if let e = s["enum"]?.arrayValue, !e.contains(where: { $0 == v }) { return "\(path): not one of the enum values" }
        if let c = s["const"], c != v { return "\(path): not the const value" }
        if let any = s["anyOf"]?.arrayValue, !any.contains(where: { check(v, $0, path) == nil }) {
            return "\(path): matches none of anyOf"
        }
        switch v {
        case .number(let n):
            if let m = s["minimum"]?.doubleValue, n < m { return "\(path): \(n) < minimum \(m)" }
            if let m = s["maximum"]?.doubleValue, n > m { return "\(path): \(n) > maximum \(m)" }
            if let m = s["exclusiveMinimum"]?.doubleValue, n <= m { return "\(path): \(n) ≤ exclusiveMinimum \(m)" }
            if let m = s["exclusiveMaximum"]?.doubleValue, n >= m { return "\(path): \(n) ≥ exclusiveMaximum \(m)" }
        case .string(let str):
            let n = str.count
            if let m = s["minLength"]?.intValue, n < m { return "\(path): length \(n) < minLength \(m)" }
            if let m = s["maxLength"]?.intValue, n > m { return "\(path): length \(n) > maxLength \(m)" }
            if let p = s["pattern"]?.stringValue, let re = try? NSRegularExpression(pattern: p),
               re.firstMatch(in: str, range: NSRange(str.startIndex..., in: str)) == nil {
                return "\(path): does not match pattern \(p)"
            }
        case .array(let items):
            if let m = s["minItems"]?.intValue, items.count < m { return "\(path): \(items.count) items < minItems \(m)" }
            if let m = s["maxItems"]?.intValue, items.count > m { return "\(path): \(items.count) items > maxItems \(m)" }
            if let itemSchema = s["items"] {
                for (k, item) in items.enumerated() {
                    if let e = check(item, itemSchema, "\(path)[\(k)]") { return e }
                }
            }
        case .object(let members):
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !members.contains(where: { $0.0 == name }) {
                return "\(path): missing required property \"\(name)\""
            }
            let props = s["properties"]?.objectValue ?? []
            for (name, value) in members {
                if let ps = props.first(where: { $0.0 == name })?.1 {
                    if let e = check(value, ps, "\(path).\(name)") { return e }
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) { return "\(path): property \"\(name)\" is not allowed" }
                    if let e = check(value, extra, "\(path).\(name)") { return e }
                }
            }
        default: break
        }
        return nil
    }

    static func matchesType(_ v: JSONValue, _ name: String) -> Bool {
        switch (name, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): return true
        case ("number", .number): return true
        case ("integer", .number(let n)): return n == n.rounded() && n.isFinite
        default: return false
        }
    }
}
