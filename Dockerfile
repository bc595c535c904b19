# Lockstep container image: docs/operations.md. Build with `docker build -t lockstep .`.

# ---- build: the official Swift toolchain and the headers of the system libraries Lockstep links.
FROM swift:6.2-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxml2-dev libssl-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest alone first, so the dependency checkout stays cached while only the sources change.
# Package.* also takes Package.resolved when there is one (it is not committed).
COPY Package.* ./
RUN swift package resolve
# Tests/ too: the manifest declares the test targets, and SwiftPM checks every target's directory.
COPY Sources ./Sources
COPY Tests ./Tests
# The static Swift runtime starts faster and uses less memory (docs/benchmarks.md), and keeps the
# toolchain's libraries out of the runtime image.
RUN swift build -c release --static-swift-stdlib --product lockstep \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/lockstep" /out/lockstep

# ---- runtime: the binary and the shared libraries it still links (ldd; checked by Tests/clients/test_container.py).
# No ca-certificates: Lockstep serves plain HTTP and makes no outgoing TLS connections.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxml2 libssl3 libsqlite3-0 libstdc++6 libgcc-s1 libc6 \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric id, so orchestrators can verify it is not root; /data is created here owned by it, and a new named
# volume copies that ownership.
RUN groupadd --system --gid 10001 lockstep \
 && useradd --system --uid 10001 --gid lockstep --no-create-home --home-dir /data --shell /usr/sbin/nologin lockstep \
 && mkdir -p /data \
 && chown lockstep:lockstep /data
COPY --from=build /out/lockstep /usr/local/bin/lockstep
ENV LOCKSTEP_ADDRESS=0.0.0.0 \
    LOCKSTEP_PORT=9000 \
    LOCKSTEP_DATA_DIR=/data
USER 10001:10001
VOLUME /data
EXPOSE 9000
# `lockstep health` GETs /_lockstep/health on LOCKSTEP_PORT over loopback (the image has no curl); it gives up after 5 s.
HEALTHCHECK --interval=5s --timeout=10s --start-period=30s --retries=3 CMD ["lockstep", "health"]
ENTRYPOINT ["lockstep"]
CMD ["serve"]
