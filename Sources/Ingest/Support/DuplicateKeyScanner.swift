import Foundation

/// Finds a key that appears twice in one JSON object. JSON leaves duplicates undefined and
/// Foundation's two readers disagree (`JSONSerialization` keeps the last, `JSONDecoder` the
/// first), so a request with one could be checked as one thing and run as another.
enum DuplicateKeyScanner {
    /// The dotted path of the first repeated key (`metadata.camera`), nil when there is none.
    /// `json` must already be valid JSON: the scanner tracks only nesting and strings.
    static func firstDuplicate(in json: Data) -> String? {
        let bytes = [UInt8](json)
        // One entry per open container: the keys seen so far (nil for an array) and the path.
        var containers: [(keys: Set<String>?, path: String)] = []
        var expectingKey = false
        var lastKey = ""
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let parent = containers.last
                let name = parent?.keys != nil ? lastKey : "[]"
                let path = parent.map { $0.path.isEmpty ? name : $0.path + "." + name } ?? ""
                containers.append((bytes[index] == UInt8(ascii: "{") ? [] : nil, path))
                expectingKey = bytes[index] == UInt8(ascii: "{")
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                containers.removeLast()
            case UInt8(ascii: ","):
                expectingKey = containers.last?.keys != nil
            case UInt8(ascii: "\""):
                let end = endOfString(bytes, openingQuote: index)
                if expectingKey {
                    let key = decodeString(bytes[index...end])
                    let path = containers[containers.count - 1].path
                    if containers[containers.count - 1].keys?.insert(key).inserted == false {
                        return path.isEmpty ? key : path + "." + key
                    }
                    lastKey = key
                    expectingKey = false
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The index of the quote that closes the string opened at `openingQuote`.
    private static func endOfString(_ bytes: [UInt8], openingQuote: Int) -> Int {
        var index = openingQuote + 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return index
    }

    /// A key as a reader sees it: escapes (`\u0070ath` is `path`) resolved.
    private static func decodeString(_ token: ArraySlice<UInt8>) -> String {
        guard token.contains(UInt8(ascii: "\\")) else { return String(decoding: token.dropFirst().dropLast(), as: UTF8.self) }
        let decoded = try? JSONSerialization.jsonObject(with: Data(token), options: .fragmentsAllowed) as? String
        return decoded ?? String(decoding: token, as: UTF8.self)
    }
}
