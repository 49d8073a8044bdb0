import Foundation
import Ingest

/// The bytes of a `<name>.json` sidecar: any bytes must end in metadata fields or an
/// `invalid_sidecar` error naming the sidecar, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSidecar(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = Data(bytes: bytes, count: size)
    do {
        let fields = try Sidecar.parse(data, path: "clip.json")
        // What the sidecar is stored as in the catalog and the lake: "null" would be metadata lost.
        precondition(JSONValue.object(fields).jsonText.hasPrefix("{"), "the sidecar's fields do not encode")
    } catch {
        precondition(error.code == .invalidSidecar && error.path == "clip.json", "unexpected error: \(error)")
    }
    return 0
}
