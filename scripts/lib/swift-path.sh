# Sourced by every script that runs swift: use the `swift` on PATH, and only when there is
# none fall back to the toolchain folder of this project's machines (/opt/swift).
# Fails (non-zero from `source`, which ends a `set -e` script) when neither has it.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null 2>&1 || { echo "swift not found: install Swift 6.1+ and put it on PATH" >&2; return 1 2>/dev/null || exit 1; }
