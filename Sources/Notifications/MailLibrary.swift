import CCurl

/// Facts about the libcurl used for SMTP delivery.
public enum MailLibrary {
    /// libcurl's version string, e.g. "7.88.1".
    public static var curlVersion: String {
        guard let info = vp_curl_version_info(), let version = info.pointee.version else { return "unknown" }
        return String(cString: version)
    }
}
