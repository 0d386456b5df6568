# syntax=docker/dockerfile:1
# The etcd-pilot image: etcd-pilot (the entrypoint) with etcd, etcdctl and etcdutl beside it, and
# nothing else the pod does not run.
#   docker build -t etcd-pilot:3.6.14 .
#   docker build --build-arg ETCD_VERSION=3.5.29 -t etcd-pilot:3.5.29 .
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg ETCD_PILOT_COMMIT="$(git rev-parse HEAD)" ...
# The chart runs it as `etcd-pilot member ...` with etcd at /usr/local/bin/etcd.
# .github/workflows/release.yml builds one image per etcd line (ETCD_VERSION) for each platform.

# Base images, pinned by the digest of their multi-platform index. The digests are Docker Hub's
# for the tags named in front of them (swift:6.3-bookworm was Swift 6.3.3 there), as recorded in
# docker-library/repo-info (repos/swift/remote/6.3-bookworm.md, repos/debian/remote/bookworm-slim.md);
# `docker buildx imagetools inspect <tag>` prints a tag's current one. They change only by a commit
# (by hand, or a Renovate pull request) that passes CI: nothing rewrites them during a release.
ARG SWIFT_IMAGE=swift:6.3-bookworm@sha256:7060a792f4cd9eaa0d00826d941cec00ab8d252d33b8b28bc8e105f51f2dba73
ARG BASE_IMAGE=debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241

# The etcd release in the image: the default is the newest 3.6; the release workflow also builds
# the newest 3.5.
ARG ETCD_VERSION=3.6.14
# The SHA-256 of each etcd tarball this file can build: pairs of "<sha256> <file>", the lines of
# the release's SHA256SUMS asset (https://github.com/etcd-io/etcd/releases/download/v<version>/SHA256SUMS).
# These were taken from kubespray's record of etcd's release files (its checksums.yml, August
# 2026); 3.6.14's agree with other projects' pins of the same files. A wrong one fails the build,
# never passes it. A version or architecture not listed here does not build; the suite checks
# that every version the workflows build has a line for each of their platforms.
ARG ETCD_SHA256SUMS="\
ffe840ff9295808e88cce2794a18a5ac87f12a5203c8314d0bf6aa119b41bac5 etcd-v3.6.14-linux-amd64.tar.gz \
fa1b80565ee6fc2df1ae6f57a508b221f3ecc7d591c317c581cd8281b0842b3e etcd-v3.6.14-linux-arm64.tar.gz \
7692f812db0bfeee3a731c45046864cf729e552bad82ce7cb5b507053d033267 etcd-v3.5.29-linux-amd64.tar.gz \
10817d916de91fdab373947977682e083f0a1ac7f37650c1b690c2a746e4c269 etcd-v3.5.29-linux-arm64.tar.gz"

# etcd, etcdctl and etcdutl from etcd's release tarball for the platform being built, checked.
FROM ${BASE_IMAGE} AS etcd
ARG ETCD_VERSION
ARG ETCD_SHA256SUMS
ARG TARGETARCH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /etcd
ADD https://github.com/etcd-io/etcd/releases/download/v${ETCD_VERSION}/etcd-v${ETCD_VERSION}-linux-${TARGETARCH}.tar.gz ./
RUN tarball="etcd-v${ETCD_VERSION}-linux-${TARGETARCH}.tar.gz" \
    && echo "${ETCD_SHA256SUMS}" | xargs -n 2 printf '%s  %s\n' | awk -v file="${tarball}" '$2 == file' >etcd.sha256 \
    && if [ ! -s etcd.sha256 ]; then echo "no SHA-256 for ${tarball} in ETCD_SHA256SUMS: add its line from etcd's SHA256SUMS" >&2; exit 1; fi \
    && sha256sum -c --strict etcd.sha256 \
    && tar -xzf "${tarball}" --strip-components=1 --no-same-owner \
       "etcd-v${ETCD_VERSION}-linux-${TARGETARCH}/etcd" "etcd-v${ETCD_VERSION}-linux-${TARGETARCH}/etcdctl" "etcd-v${ETCD_VERSION}-linux-${TARGETARCH}/etcdutl" \
    && ./etcd --version | grep -x "etcd Version: ${ETCD_VERSION}"

# etcd-pilot, built by a user without root on the same Debian release as the final stage, so
# glibc matches; the Swift runtime is linked in statically.
# Package resolution: Package.swift pins most packages exactly; the rest (and what they pull in)
# are fixed by a Package.resolved in the context. The release workflow passes the one its test run
# resolved and REQUIRE_RESOLVED=true; with one present, `--force-resolved-versions` refuses to
# resolve anything else. Without one (a plain `docker build` of a checkout), SwiftPM resolves.
FROM ${SWIFT_IMAGE} AS build
# The commit the sources are from (.git is not in the build context): BuildInfo.commit.
ARG ETCD_PILOT_COMMIT=""
ARG REQUIRE_RESOLVED=false
RUN useradd --create-home --uid 10001 --shell /bin/bash builder
USER 10001
WORKDIR /home/builder/src
COPY --chown=builder:builder . .
RUN set --; \
    if [ -f Package.resolved ]; then set -- --force-resolved-versions; \
    elif [ "${REQUIRE_RESOLVED}" = true ]; then echo "Package.resolved is missing: the release builds what its tests resolved" >&2; exit 1; fi; \
    swift build -c release --product etcd-pilot --static-swift-stdlib "$@" \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/etcd-pilot" /home/builder/out/etcd-pilot

FROM ${BASE_IMAGE}
ARG ETCD_VERSION
ARG ETCD_PILOT_COMMIT=""
# uid/gid 10001 as in the chart's securityContext (a high UID: no clash with users on the node).
RUN groupadd --system --gid 10001 etcd \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/run/etcd --no-create-home --shell /usr/sbin/nologin etcd \
    && mkdir -p /var/run/etcd \
    && chown 10001:10001 /var/run/etcd \
    && chmod 0700 /var/run/etcd
COPY --from=etcd /etcd/etcd /etcd/etcdctl /etcd/etcdutl /usr/local/bin/
COPY --from=build /home/builder/out/etcd-pilot /usr/local/bin/etcd-pilot
LABEL org.opencontainers.image.title="etcd-pilot" \
      org.opencontainers.image.description="etcd ${ETCD_VERSION} run by etcd-pilot" \
      org.opencontainers.image.source="https://github.com/etcd-pilot/etcd-pilot" \
      org.opencontainers.image.revision="${ETCD_PILOT_COMMIT}" \
      io.etcd-pilot.etcd-version="${ETCD_VERSION}"
ENV ETCDCTL_API=3
USER 10001:10001
# The binaries start in this image (the libraries they need are here), before it is pushed.
RUN /usr/local/bin/etcd-pilot --version && /usr/local/bin/etcdctl version
WORKDIR /var/run/etcd
VOLUME ["/var/run/etcd"]
EXPOSE 2379 2380 2390
ENTRYPOINT ["etcd-pilot"]
CMD ["--help"]
