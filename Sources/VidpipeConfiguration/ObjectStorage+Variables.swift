import Ingest
import ObjectStorage

extension S3Configuration {
    /// The standard AWS variables: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (both or
    /// neither), `AWS_SESSION_TOKEN`, `AWS_REGION` (else `AWS_DEFAULT_REGION`, else
    /// us-east-1), `AWS_ENDPOINT_URL` (else AWS's regional endpoint), plus
    /// `VIDPIPE_S3_ADDRESSING`. Nil when no access key is set.
    static func fromVariables(_ reader: VariableReader) throws(ConfigurationError) -> S3Configuration? {
        let keyID = reader.string("AWS_ACCESS_KEY_ID")
        let secret = reader.string("AWS_SECRET_ACCESS_KEY")
        switch (keyID, secret) {
        case (nil, nil): return nil
        case (_?, nil):
            throw ConfigurationError(variable: "AWS_SECRET_ACCESS_KEY", message: "is not set, but AWS_ACCESS_KEY_ID is: set both or neither")
        case (nil, _?):
            throw ConfigurationError(variable: "AWS_ACCESS_KEY_ID", message: "is not set, but AWS_SECRET_ACCESS_KEY is: set both or neither")
        case let (keyID?, secret?):
            let endpoint = reader.string("AWS_ENDPOINT_URL")
            if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) || endpoint.count < 10 {
                throw ConfigurationError(variable: "AWS_ENDPOINT_URL",
                                         message: "\(endpoint.debugDescription) is not an http:// or https:// URL like https://s3.example.com:9000")
            }
            let region = reader.string("AWS_REGION") ?? reader.string("AWS_DEFAULT_REGION") ?? "us-east-1"
            let addressing = try reader.choice("VIDPIPE_S3_ADDRESSING", of: Addressing.self)
            return S3Configuration(endpoint: endpoint, region: region, accessKeyID: keyID, secretAccessKey: secret,
                                   sessionToken: reader.string("AWS_SESSION_TOKEN"), addressing: addressing)
        }
    }
}

/// `VIDPIPE_ALLOWED_ROOTS`: colon-separated, as `PATH` is, except that the colon of an
/// `s3://` entry belongs to it.
enum AllowedRootsSyntax {
    static func split(_ text: String) -> [String] {
        var entries: [String] = []
        for piece in text.split(separator: ":", omittingEmptySubsequences: false) {
            if piece.hasPrefix("//"), entries.last == "s3" {
                entries[entries.count - 1] += ":" + piece
            } else {
                entries.append(String(piece))
            }
        }
        return entries.filter { !$0.isEmpty }
    }
}
