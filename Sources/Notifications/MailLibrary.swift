import CCurl

/// Facts about the libcurl used for SMTP delivery.
public enum MailLibrary {
    /// libcurl's version string, e.g. "7.88.1".
    public static var curlVersion: String {
        // CURLVERSION_NOW is a macro the importer cannot see; ELEVENTH is its value in curl 7.88's header.
        guard let info = curl_version_info(CURLVERSION_ELEVENTH), let version = info.pointee.version else { return "unknown" }
        return String(cString: version)
    }
}
