import Foundation

extension DAG {
    /// Graphviz DOT source: tasks as boxes labelled with their names (CPU-heavy ones filled),
    /// external inputs as ellipses, edges labelled with artifact names; in a merged DAG, one
    /// cluster per fragment.
    public func dot() -> String {
        var lines = ["digraph \(quoted(name)) {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for input in externalInputs {
            lines.append("  \(quoted("input:" + input.name)) [label=\(quoted(input.name)), shape=ellipse, style=dashed];")
        }
        let clustered = fragments.count > 1
        for fragment in fragments {
            var indent = "  "
            if clustered {
                lines.append("  subgraph \(quoted("cluster_" + fragment)) {")
                lines.append("    label=\(quoted(fragment));")
                indent = "    "
            }
            for task in tasks where task.fragment == fragment {
                let style = task.options.resource == .cpuHeavy ? ", style=\"rounded,filled\", fillcolor=lightsalmon" : ""
                lines.append("\(indent)\(quoted("task:" + task.name)) [label=\(quoted(task.name))\(style)];")
            }
            if clustered { lines.append("  }") }
        }
        let producerByArtifact = Dictionary(
            tasks.compactMap { task in task.output.map { ($0.name, task.name) } },
            uniquingKeysWith: { first, _ in first }
        )
        for task in tasks {
            for input in task.inputs {
                let source = producerByArtifact[input.name].map { "task:" + $0 } ?? "input:" + input.name
                lines.append("  \(quoted(source)) -> \(quoted("task:" + task.name)) [label=\(quoted(input.name))];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A numbered listing in topological order: `inputs -> task -> output`, with options and fragment.
    public func textOutline() -> String {
        var lines = ["DAG \(name): \(tasks.count) tasks"]
        if !externalInputs.isEmpty {
            lines.append("  external inputs: " + externalInputs.map { "\($0.name): \($0.valueTypeName)" }.joined(separator: ", "))
        }
        let numberWidth = String(tasks.count).count
        for (position, task) in tasks.enumerated() {
            let number = String(position + 1)
            let padding = String(repeating: " ", count: numberWidth - number.count)
            let inputs = task.inputs.map(\.name).joined(separator: ", ")
            let output = task.output.map { " -> \($0.name): \($0.valueTypeName)" } ?? ""
            var notes: [String] = []
            if fragments.count > 1 { notes.append(task.fragment) }
            if task.options.resource == .cpuHeavy { notes.append("cpuHeavy") }
            if task.options.retry.maxAttempts > 1 { notes.append("\(task.options.retry.maxAttempts) attempts") }
            if let timeout = task.options.timeout { notes.append("timeout \(timeout)") }
            let annotation = notes.isEmpty ? "" : "  [\(notes.joined(separator: ", "))]"
            lines.append("  \(padding)\(number). \(task.name)(\(inputs))\(output)\(annotation)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
