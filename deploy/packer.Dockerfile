# syntax=docker/dockerfile:1
# The packer image: the queue consumer (run) and the nightly CronJob (nightly).
# Build from the repository root: docker build -f deploy/packer.Dockerfile -t ghcr.io/insider-bulk/packer .

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY proto proto
COPY crates crates
RUN cargo build --release --locked -p insider-bulk-packer --bin insider-bulk-packer \
    && strip target/release/insider-bulk-packer

FROM debian:bookworm-slim
# Only the shared libraries the binary links (libpq, SQLite) and CA roots for TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 nonroot \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
COPY --from=build /src/target/release/insider-bulk-packer /usr/local/bin/insider-bulk-packer
USER 65532:65532
WORKDIR /tmp
ENV INSIDER_BULK_DATA_DIR=/tmp/insider-bulk PACKER_METRICS_ADDR=0.0.0.0:9101
EXPOSE 9101
ENTRYPOINT ["/usr/local/bin/insider-bulk-packer"]
CMD ["run"]
