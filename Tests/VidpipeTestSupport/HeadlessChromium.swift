import Foundation

/// Debian's `chromium` in headless mode, as a user's browser would open a local page: the
/// DOM after load, and a screenshot. Each run gets a fresh profile and no network services.
public enum HeadlessChromium {
    /// The page's DOM as Chromium serialises it once the page has loaded.
    public static func dumpDOM(of page: String) throws -> String {
        try run(["--dump-dom", URL(fileURLWithPath: page).absoluteString]).text
    }

    /// A PNG screenshot of the page in a `width`×`height` window, written to `png`.
    public static func screenshot(of page: String, to png: String, width: Int, height: Int) throws {
        try run(["--screenshot=\(png)", "--window-size=\(width),\(height)", "--hide-scrollbars",
                 URL(fileURLWithPath: page).absoluteString])
    }

    @discardableResult
    private static func run(_ arguments: [String]) throws -> ToolResult {
        let profile = try ScratchDirectory(prefix: "vidpipe-chromium")
        defer { profile.remove() }
        return try CommandLineTool.checked("chromium", [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--user-data-dir=\(profile.path)",
        ] + arguments)
    }
}

/// An HTML document as Python's `html.parser` reads it: every element with its attributes
/// and the text directly inside it. An oracle independent of the code that wrote the HTML.
public struct ParsedHTML: Sendable {
    public struct Element: Decodable, Sendable {
        public var tag: String
        public var attributes: [String: String]
        /// The element's own text, without its children's.
        public var text: String

        public var classes: Set<String> { Set((attributes["class"] ?? "").split(separator: " ").map(String.init)) }
        public func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
    }

    public var elements: [Element]

    private static let script = #"""
    import html.parser, json, sys
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    class Reader(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.elements, self.open = [], []
        def handle_starttag(self, tag, attrs):
            element = {"tag": tag, "attributes": {k: v or "" for k, v in attrs}, "text": ""}
            self.elements.append(element)
            if tag not in VOID:
                self.open.append(element)
        def handle_startendtag(self, tag, attrs):
            self.elements.append({"tag": tag, "attributes": {k: v or "" for k, v in attrs}, "text": ""})
        def handle_endtag(self, tag):
            while self.open:
                if self.open.pop()["tag"] == tag:
                    break
        def handle_data(self, data):
            if self.open:
                self.open[-1]["text"] += data
    reader = Reader()
    reader.feed(open(sys.argv[1], encoding="utf-8").read())
    print(json.dumps(reader.elements))
    """#

    public init(_ html: String) throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-html")
        defer { scratch.remove() }
        let input = scratch.path("page.html")
        try Data(html.utf8).write(to: URL(fileURLWithPath: input))
        let result = try CommandLineTool.checked("python3", ["-c", Self.script, input])
        elements = try JSONDecoder().decode([Element].self, from: result.stdout)
    }

    /// Elements with `tag` (any tag when nil) that carry every class in `classes`.
    public func all(_ tag: String? = nil, classes: Set<String> = []) -> [Element] {
        elements.filter { (tag == nil || $0.tag == tag) && classes.isSubset(of: $0.classes) }
    }
}
