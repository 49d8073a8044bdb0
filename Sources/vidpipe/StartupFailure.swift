import Catalog
import Foundation
import ObjectStorage

/// Why a command could not start on its lake or catalog: a stable code, the file at fault,
/// what is wrong and what to do. Printed as `vidpipe: <explanation> [<code>]`.
struct StartupFailure: Error, CustomStringConvertible {
    var code: String
    var explanation: String
    var description: String { "\(explanation) [\(code)]" }

    /// The lake folder (or one it needs) cannot be created or written.
    static func unwritableLake(_ folder: String, errno code: Int32) -> StartupFailure {
        let reason = String(cString: strerror(code))
        if code == ENOSPC {
            return StartupFailure(code: "disk_full", explanation: "the data lake \(folder) (VIDPIPE_DATALAKE) is on a full disk (\(reason)): free space there, or point VIDPIPE_DATALAKE elsewhere")
        }
        return StartupFailure(code: "datalake_unwritable",
                              explanation: "the data lake \(folder) (VIDPIPE_DATALAKE) cannot be written (\(reason)): fix its permissions or mount, or point VIDPIPE_DATALAKE at a writable folder")
    }

    /// The lake's bucket did not answer to the credentials. Names the endpoint, the bucket
    /// and the access key id; never the secret.
    static func objectStore(_ lake: S3Location, _ storage: S3Configuration, _ error: S3Error) -> StartupFailure {
        let code = error.code.description
        switch error.code {
        case .storageCredentialsRejected:
            return StartupFailure(code: code, explanation: "the object store at \(storage.endpoint) refused the access key \(storage.accessKeyID) for the data lake \(lake) (VIDPIPE_DATALAKE): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, AWS_REGION)")
        case .storageBucketMissing:
            return StartupFailure(code: code, explanation: "the bucket \(lake.bucket) of the data lake \(lake) (VIDPIPE_DATALAKE) does not exist at \(storage.endpoint): create it (aws s3 mb s3://\(lake.bucket) --endpoint-url \(storage.endpoint)) or point VIDPIPE_DATALAKE at an existing bucket")
        case .storageUnreachable:
            return StartupFailure(code: code, explanation: "the object store at \(storage.endpoint) holding the data lake \(lake) did not answer: start it, or fix AWS_ENDPOINT_URL")
        default:
            return StartupFailure(code: code, explanation: "the data lake \(lake) cannot be read at \(storage.endpoint): \(error.message)")
        }
    }

    /// The SQLite catalog could not be opened: locked, not a database, or on a full disk.
    static func catalog(_ path: String, _ error: any Error) -> StartupFailure {
        let text = "\(error)"
        if (error as? CatalogError)?.code == .busy || text.contains("database is locked") {
            return StartupFailure(code: "catalog_locked",
                                  explanation: "the catalog \(path) stayed locked by another process: stop the program holding it (a sqlite3 shell or a backup in a transaction) and run vidpipe again")
        }
        if text.contains("notADatabase") || text.contains("not a database") || text.contains("malformed") || text.contains("corrupt") {
            return StartupFailure(code: "catalog_corrupt",
                                  explanation: "the catalog \(path) is not a readable SQLite database (\(Self.sqliteReason(text))): move it aside and restore a backup; with no file there vidpipe starts a new, empty catalog")
        }
        if text.contains("disk is full") || text.contains("full") {
            return StartupFailure(code: "disk_full", explanation: "the catalog \(path) cannot grow: the disk is full; free space and run vidpipe again")
        }
        return StartupFailure(code: "catalog_unavailable", explanation: "cannot open the catalog at \(path): \(error)")
    }

    /// SQLite's own words, without the Swift type and source location around them.
    private static func sqliteReason(_ text: String) -> String {
        let afterType = text.split(separator: ": ", maxSplits: 8).last.map(String.init) ?? text
        return afterType.replacingOccurrences(of: #" \([A-Za-z]+/[A-Za-z+]+\.swift:\d+\)$"#, with: "", options: .regularExpression)
    }
}
