# install_librdkafka WORKDIR: makes sure librdkafka >= RDKAFKA_MIN is installed, building
# Debian unstable's source package into /usr/local (where pkg-config and ld find it) when
# neither /usr/local nor the system has one; WORKDIR holds the sources while it builds.
# Needs root, the packages in LIBRDKAFKA_BUILD_PACKAGES, and a Debian mirror in this
# machine's apt sources. Used by scripts/setup and by the Dockerfile's build stage.
#
# Why: Debian 12's librdkafka (2.0.2) cannot talk to current brokers, and 2.4-2.9 crash when
# a topic comes back with a new id (a broker that lost its data; librdkafka #4964, fixed in 2.10).

RDKAFKA_MIN=2.10.0
# build-essential: compilers, make, and dpkg-dev for `apt-get source` (the Swift image has
# none of them); the rest are the features vidpipe's users need (TLS, SASL, compression).
LIBRDKAFKA_BUILD_PACKAGES=(build-essential libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev)

install_librdkafka() {
  local D=$1
  if PKG_CONFIG_PATH=/usr/local/lib/pkgconfig pkg-config --atleast-version=$RDKAFKA_MIN rdkafka 2>/dev/null; then
    return 0
  fi
  # The mirror comes from this machine's apt sources: no committed file names a registry host.
  # shellcheck source=debian-mirror.sh
  source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"
  local MIRROR
  MIRROR=$(debian_mirror) || { echo "cannot build librdkafka: no Debian mirror in the apt sources" >&2; return 1; }
  # Each step checks its own status: callers may run this where errexit is off (after &&).
  rm -rf "$D" && mkdir -p "$D/lists/partial" && chmod -R a+rwx "$D" || return 1
  echo "building librdkafka >= $RDKAFKA_MIN from Debian unstable's source package via $MIRROR (a few minutes)" >&2
  echo "deb-src $MIRROR sid main" >"$D/src.list"
  local APT="-o Dir::Etc::sourcelist=$D/src.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$D/lists"
  # shellcheck disable=SC2086
  apt-get $APT update -qq && (cd "$D" && apt-get $APT source --download-only -qq librdkafka) ||
    { echo "cannot download librdkafka's source package from $MIRROR sid" >&2; return 1; }
  local tarball src
  tarball=$(ls "$D"/librdkafka_*.orig.tar.gz 2>/dev/null | head -n1)
  [ -n "$tarball" ] && tar -xzf "$tarball" -C "$D" || { echo "no librdkafka_*.orig.tar.gz to unpack in $D" >&2; return 1; }
  # The tarball unpacks to librdkafka-VERSION or confluentinc-librdkafka-COMMIT.
  src=$(find "$D" -mindepth 1 -maxdepth 1 -type d -name '*librdkafka-*' | head -n1)
  (cd "$src" && ./configure --prefix=/usr/local && make -j"$(nproc)" libs && make -C src install) >"$D.log" 2>&1 ||
    { tail -n 20 "$D.log" >&2; echo "librdkafka build failed: see $D.log" >&2; return 1; }
  ldconfig
  rm -rf "$D"
}
