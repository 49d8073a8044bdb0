import Foundation

/// Checks a JSON document against its schema under `docs/schemas/` with Python's
/// `jsonschema` (Debian's python3-jsonschema): an implementation independent of vidpipe's
/// encoder, reading the same schema files users read.
public enum JSONSchemaOracle {
    /// Every violation of `docs/schemas/<schema>.schema.json` in `document`, one line each
    /// (where, and what is wrong); empty when the document is valid.
    public static func violations(of document: Data, schema: String) throws -> [String] {
        let scratch = try ScratchDirectory(prefix: "vidpipe-schema")
        defer { scratch.remove() }
        let instance = scratch.path("instance.json")
        try document.write(to: URL(fileURLWithPath: instance))
        // Debian's interpreter: another python3 first on PATH may lack the module.
        let result = try CommandLineTool.run("/usr/bin/python3", ["-c", script, PackageDirectory.path("docs/schemas"), schema, instance])
        guard result.status == 0 else { throw TestEnvironmentError("jsonschema could not check \(schema): \(result.stderr)") }
        return result.text.split(separator: "\n").map(String.init)
    }

    /// Loads every schema of the folder, so `$ref`s between them resolve by `$id`.
    private static let script = #"""
    import json, pathlib, sys
    import jsonschema
    folder, name, instance = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    schemas = {p.name: json.loads(p.read_text()) for p in folder.glob("*.schema.json")}
    store = {s["$id"]: s for s in schemas.values()}
    schema = schemas[name + ".schema.json"]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store))
    for error in sorted(validator.iter_errors(json.loads(pathlib.Path(instance).read_text())), key=lambda e: list(e.absolute_path)):
        print("/" + "/".join(map(str, error.absolute_path)) + ": " + error.message)
    """#
}
