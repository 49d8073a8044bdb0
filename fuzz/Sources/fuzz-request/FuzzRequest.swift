import Foundation
import Ingest

/// One request message as the inbox and the Kafka intake receive it: any bytes must end in
/// a request or an `invalid_request` error, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = Data(bytes: bytes, count: size)
    do {
        let request = try IngestRequest.decode(data, origin: "fuzz.json")
        // A decoded request has passed validation; checking it again must agree.
        try request.validate(origin: "fuzz.json")
        // Request metadata is stored like a sidecar: "null" for anything but null would be metadata lost.
        if let metadata = request.metadata, metadata != .null {
            precondition(metadata.jsonText != "null", "the request's metadata does not encode")
        }
    } catch {
        precondition(error.code == .invalidRequest, "unexpected code \(error.code): \(error)")
    }
    return 0
}
