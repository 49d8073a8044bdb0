# vidpipe's image: a release build in the Swift toolchain image (Debian 12), then a slim
# Debian 12 runtime holding only the shared libraries the binary loads.
#
#   docker build -t vidpipe .        (or `docker compose up`, see docker-compose.yml)
#
# No image has been built on the project's machines (no Docker engine there);
# scripts/check-runtime-image replays the runtime stage below in a debootstrapped Debian 12
# root and runs vidpipe in it, so keep that stage to the instructions it understands.

ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /build
# librdkafka >= 2.10 the way scripts/setup builds it (Debian 12's 2.0.2 is too old), before
# the sources are copied so a code change does not rebuild it.
COPY scripts/lib/ scripts/lib/
RUN source scripts/lib/librdkafka.sh \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev \
      libcurl4-openssl-dev libsqlite3-dev "${LIBRDKAFKA_BUILD_PACKAGES[@]}" \
 && install_librdkafka /tmp/librdkafka-src \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# Release build, staged under /staging/usr/local with the libraries no Debian package
# provides: Swift's runtime and librdkafka.
RUN scripts/stage-runtime /staging release

FROM debian:bookworm-slim AS runtime
# The Debian packages of the libraries `ldd vidpipe` lists (FFmpeg 5.1, libcurl, librdkafka's
# TLS, SASL and compression, libstdc++ for Swift's runtime), and CA certificates for TLS
# to brokers and SMTP.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libavcodec59 libavfilter8 libavformat59 libavutil57 libswresample4 libswscale6 \
      libcurl4 libsasl2-2 libssl3 liblz4-1 libzstd1 zlib1g libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --uid 10001 --home-dir /var/lib/vidpipe --shell /usr/sbin/nologin vidpipe \
 && mkdir -p /var/lib/vidpipe/datalake \
 && chown -R vidpipe:vidpipe /var/lib/vidpipe
COPY --from=build /staging/ /
RUN ldconfig
COPY deploy/healthcheck /usr/local/bin/vidpipe-healthcheck
# The HTTP endpoint (/health, /ready, /metrics) must be reachable from outside the container.
ENV VIDPIPE_DATALAKE=/var/lib/vidpipe/datalake \
    VIDPIPE_HTTP_HOST=0.0.0.0 \
    VIDPIPE_HTTP_PORT=9464 \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/swift-backtrace-static
WORKDIR /var/lib/vidpipe
VOLUME /var/lib/vidpipe/datalake
USER vidpipe
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["vidpipe-healthcheck"]
CMD ["vidpipe", "run"]
