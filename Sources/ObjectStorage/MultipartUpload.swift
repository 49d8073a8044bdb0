import Crypto
import Foundation

/// One multipart upload: start it, send the parts a few at a time (each retried on its own
/// and checked against its ETag), complete it, and abort it if anything fails for good so
/// the store keeps no parts and shows no object.
struct MultipartUpload {
    let client: S3Client
    let file: String
    let size: Int64
    let location: S3Location
    let contentType: String

    private var partSize: Int64 { Int64(max(client.configuration.partSize, 5 << 20)) }

    func run() async throws(S3Error) -> S3Client.ObjectInfo {
        let started = try await client.send("POST", location, query: "uploads=", headers: ["Content-Type: \(contentType)"])
        guard let uploadID = S3Document(started.body).first("UploadId"), !uploadID.isEmpty else {
            throw S3Error(.storageRequestRejected, "POST \(location)?uploads: the store answered without an UploadId")
        }
        do throws(S3Error) {
            let etags = try await sendParts(uploadID: uploadID)
            let completed = try await complete(uploadID: uploadID, etags: etags)
            guard let stored = try await client.head(location), stored.size == size else {
                throw S3Error(.storageIntegrity, "\(location): the store holds a different size than the \(size) bytes uploaded", isRetryable: true)
            }
            return S3Client.ObjectInfo(location: location, size: size, etag: completed)
        } catch {
            // Its own task: a cancelled upload must still abort, and a cancelled task's
            // requests stop at once.
            await Task { await abort(uploadID: uploadID) }.value
            throw error
        }
    }

    /// Aborts the upload so the store drops its parts, retrying for
    /// ``S3Configuration/abortPatience`` while the store does not answer (it may be
    /// restarting after the very failure that ended the upload).
    private func abort(uploadID: String) async {
        let deadline = ContinuousClock.now + client.configuration.abortPatience
        var attempt = 1
        while true {
            do {
                _ = try await client.send("DELETE", location, query: "uploadId=\(S3Client.encode(uploadID, keepSlash: false))")
                return
            } catch where error.isRetryable && ContinuousClock.now < deadline {
                try? await Task.sleep(for: client.configuration.backoff.delay(afterAttempt: attempt))
                attempt += 1
            } catch {
                return  // gone already (404), refused, or out of patience: the upload's own error says more
            }
        }
    }

    /// ETags of parts 1…n, in order.
    private func sendParts(uploadID: String) async throws(S3Error) -> [String] {
        let count = Int((size + partSize - 1) / partSize)
        let width = max(1, client.configuration.uploadConcurrency)
        do {
            return try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var etags = [String](repeating: "", count: count)
                var next = 0
                func addPart(_ index: Int) {
                    group.addTask {
                        let offset = Int64(index) * partSize
                        let length = min(partSize, size - offset)
                        // Part numbers start at 1; parameters in sorted order, as libcurl signs them.
                        let query = "partNumber=\(index + 1)&uploadId=\(S3Client.encode(uploadID, keepSlash: false))"
                        let response = try await client.send("PUT", location, query: query,
                                                              body: .file(path: file, offset: offset, length: length), verifyUploadETag: true)
                        return (index, S3Client.etag(response))
                    }
                }
                while next < min(width, count) { addPart(next); next += 1 }
                while let (index, etag) = try await group.next() {
                    etags[index] = etag
                    if next < count { addPart(next); next += 1 }
                }
                return etags
            }
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.storageUnreachable, "\(location): upload interrupted (\(error))")
        }
    }

    /// Completes the upload; returns the object's ETag after checking it is the MD5 of the
    /// parts' MD5s with the part count, as S3 computes it.
    private func complete(uploadID: String, etags: [String]) async throws(S3Error) -> String {
        let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\"\($0.element)\"</ETag></Part>" }
        let body = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
        let response = try await client.send("POST", location, query: "uploadId=\(S3Client.encode(uploadID, keepSlash: false))",
                                             headers: ["Content-Type: application/xml"], body: .bytes(Array(body.utf8)))
        let document = S3Document(response.body)
        // A 200 can still carry an error document when the store failed late.
        if let code = document.first("Code") {
            throw S3Error(.storageServerError, "\(location): completing the upload failed (\(code): \(document.first("Message") ?? ""))", isRetryable: true)
        }
        let answered = (document.first("ETag") ?? S3Client.etag(response)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        var digests: [UInt8] = []
        for etag in etags { digests += Self.bytes(hex: etag) }
        let expected = Insecure.MD5.hash(data: digests).map { String(format: "%02x", $0) }.joined() + "-\(etags.count)"
        if !answered.isEmpty, answered != expected {
            throw S3Error(.storageIntegrity, "\(location): the store's ETag \(answered) is not \(expected), the one its parts make", isRetryable: true)
        }
        return expected
    }

    private static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while let end = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index < hex.endIndex {
            bytes.append(UInt8(hex[index..<end], radix: 16) ?? 0)
            index = end
        }
        return bytes
    }
}
