"""Prints the instructions of one stage of a Dockerfile, one per line as
INSTRUCTION<TAB>ARGUMENTS, with continuation lines joined and comments dropped the way
Docker does, so scripts/check-deployment can replay the stage without Docker.

usage: python3 dockerfile_stage.py DOCKERFILE STAGE
"""

import re
import sys


def logical_lines(text):
    """Yields the Dockerfile's instructions: a trailing backslash continues a line, and
    comment lines inside a continuation are skipped (as BuildKit does)."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending.rstrip()


def stage(text, name):
    instructions, current = [], None
    for line in logical_lines(text):
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            current = re.search(r"\bAS\s+(\S+)\s*$", arguments, re.IGNORECASE)
            current = current.group(1) if current else None
        if current == name:
            instructions.append((instruction, arguments.strip()))
    if not instructions:
        sys.exit(f"{sys.argv[1]}: no stage named {name!r} (want a line `FROM IMAGE AS {name}`)")
    return instructions


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as dockerfile:
        for instruction, arguments in stage(dockerfile.read(), sys.argv[2]):
            print(f"{instruction}\t{arguments}")
