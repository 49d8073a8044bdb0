# debian_mirror [FILE...]: prints the first URI of the main Debian archive in this machine's
# apt sources (not a security or third-party repository), so no committed file names a
# mirror host. Reads FILEs, or apt's own files in apt's order: /etc/apt/sources.list, then
# /etc/apt/sources.list.d/*.list and *.sources (one-line and deb822 formats). Returns 1
# with a message on stderr when there is none.
# Run directly (`bash scripts/lib/debian-mirror.sh [FILE...]`) to see what it finds.
debian_mirror() {
  local files=("$@") codename="" uri
  if ((${#files[@]} == 0)); then
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    local f
    for f in /etc/apt/sources.list.d/*; do
      case $f in *.list | *.sources) [ -f "$f" ] && files+=("$f") ;; esac
    done
  fi
  # The suites of the main archive: this release's codename (and its -updates/-backports)
  # or a suite alias. Docker's or PostgreSQL's repositories also say "bookworm" but have no
  # "main" component, or a suite like bookworm-pgdg.
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  uri=$(awk -v codename="$codename" '
    function is_main_archive(suites, components,   s, c, n, i, ok) {
      n = split(components, c, " "); ok = 0
      for (i = 1; i <= n; i++) if (c[i] == "main") ok = 1
      if (!ok) return 0
      n = split(suites, s, " ")
      for (i = 1; i <= n; i++) {
        if (s[i] ~ /-security$/) continue
        sub(/-(updates|backports|proposed-updates)$/, "", s[i])
        if ((codename != "" && s[i] == codename) || s[i] ~ /^(stable|oldstable|oldoldstable|testing|unstable|sid)$/) return 1
      }
      return 0
    }
    function usable(u) { return u ~ /^(https?|ftp|mirror(\+[a-z]+)?):\/\// && u !~ /debian-security\/?$/ }
    function flush(   n, u) {
      # End of a deb822 stanza: Types, URIs, Suites, Components, Enabled.
      if (types ~ /(^| )deb(-src)?( |$)/ && tolower(enabled) != "no" && uris != "" && is_main_archive(suites, components)) {
        split(uris, u, " ")
        if (usable(u[1])) { print u[1]; found = 1; exit }
      }
      types = uris = suites = components = enabled = ""
    }
    FNR == 1 { if (deb822) flush(); deb822 = (FILENAME ~ /\.sources$/) }
    deb822 {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^[ \t]*#/) next
      if ($0 ~ /^[ \t]/) { value = value " " $0; sub(/^[ \t]+/, "", value) }  # a continuation line
      else { key = tolower($1); sub(/:.*/, "", key); value = $0; sub(/^[^:]*:[ \t]*/, "", value) }
      if (key == "types") types = value
      else if (key == "uris") uris = value
      else if (key == "suites") suites = value
      else if (key == "components") components = value
      else if (key == "enabled") enabled = value
      next
    }
    {
      # One-line format: deb [options] URI SUITE COMPONENT...
      line = $0; sub(/#.*/, "", line); n = split(line, w, " ")
      if (n < 4 || (w[1] != "deb" && w[1] != "deb-src")) next
      i = 2
      if (w[i] ~ /^\[/) { while (i <= n && w[i] !~ /\]$/) i++; i++ }
      comps = ""; for (j = i + 2; j <= n; j++) comps = comps " " w[j]
      if (is_main_archive(w[i + 1], comps) && usable(w[i])) { print w[i]; found = 1; exit }
    }
    END { if (deb822 && !found) flush() }
  ' "${files[@]}" /dev/null)
  if [ -z "$uri" ]; then
    echo "no Debian archive mirror found in ${files[*]:-the apt sources} (want a deb or deb822 entry with suite ${codename:-<codename>} and component main): add one, or build librdkafka >= 2.10 into /usr/local yourself" >&2
    return 1
  fi
  echo "${uri%/}"
}

# Run as a program: print what it finds.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  debian_mirror "$@"
fi
