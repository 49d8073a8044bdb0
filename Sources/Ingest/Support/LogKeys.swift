/// Metadata keys of every log line vidpipe writes, in one place.
public enum LogKeys {
    public static let job = "job"
    public static let path = "path"
    public static let state = "state"
    public static let verdict = "verdict"
    public static let error = "error"
    public static let request = "request"
    public static let video = "video"
    public static let messageID = "message_id"
    public static let kind = "kind"
}
