# syntax=docker/dockerfile:1
# The etcd-pilot image: etcd-pilot (the entrypoint) with etcd, etcdctl and etcdutl beside it.
#   docker build -t etcd-pilot:3.6.16 .
#   docker build --build-arg ETCD_VERSION=3.5.21 -t etcd-pilot:3.5.21 .
# The chart runs it as `etcd-pilot member ...` with etcd at /usr/local/bin/etcd.

ARG ETCD_VERSION=3.6.16
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

# etcd's own release image carries the three binaries in /usr/local/bin, for every architecture.
FROM gcr.io/etcd-development/etcd:v${ETCD_VERSION} AS etcd

# Built on the same Debian release as the final stage, so glibc matches; the Swift runtime is
# linked in statically.
FROM ${SWIFT_IMAGE} AS build
WORKDIR /src
COPY . .
RUN swift build -c release --product etcd-pilot --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/etcd-pilot" /out/etcd-pilot

FROM ${BASE_IMAGE}
ARG ETCD_VERSION
# uid/gid 10001 as in the chart's securityContext (a high UID: no clash with users on the node).
RUN groupadd --system --gid 10001 etcd \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/run/etcd --no-create-home --shell /usr/sbin/nologin etcd \
    && mkdir -p /var/run/etcd \
    && chown 10001:10001 /var/run/etcd \
    && chmod 0700 /var/run/etcd
COPY --from=etcd /usr/local/bin/etcd /usr/local/bin/etcdctl /usr/local/bin/etcdutl /usr/local/bin/
COPY --from=build /out/etcd-pilot /usr/local/bin/etcd-pilot
LABEL org.opencontainers.image.title="etcd-pilot" \
      org.opencontainers.image.description="etcd ${ETCD_VERSION} run by etcd-pilot" \
      io.etcd-pilot.etcd-version="${ETCD_VERSION}"
ENV ETCDCTL_API=3
USER 10001:10001
WORKDIR /var/run/etcd
VOLUME ["/var/run/etcd"]
EXPOSE 2379 2380 2390
ENTRYPOINT ["etcd-pilot"]
CMD ["--help"]
