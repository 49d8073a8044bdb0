import Notifications

extension SMTPSettings {
    /// SMTP delivery from the original system's variables, `SMTP_SERVER`, `SMTP_PORT`,
    /// `SMTP_USER`, `SMTP_PASSWORD`, plus `SMTP_SECURITY`; nil when `SMTP_SERVER` is unset.
    ///
    /// `SMTP_SECURITY` is one of `starttls`, `starttls-optional`, `tls`, `none`; when unset it
    /// is `tls` for port 465 and `starttls` otherwise.
    static func fromVariables(_ reader: VariableReader) throws(ConfigurationError) -> SMTPSettings? {
        guard let server = reader.string("SMTP_SERVER") else { return nil }
        var port: Int?
        if let text = reader.string("SMTP_PORT") {
            guard let value = Int(text), (1...65_535).contains(value) else {
                throw ConfigurationError(variable: "SMTP_PORT", message: "\(text.debugDescription) is not a port number")
            }
            port = value
        }
        let security: Security
        if let text = reader.string("SMTP_SECURITY") {
            guard let value = Security(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "SMTP_SECURITY",
                                         message: "\(text.debugDescription) is not one of \(Security.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            security = value
        } else {
            security = port == 465 ? .tls : .starttls
        }
        return SMTPSettings(server: server, port: port, security: security, username: reader.string("SMTP_USER"),
                            password: reader.string("SMTP_PASSWORD"))
    }
}
