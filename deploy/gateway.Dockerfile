# syntax=docker/dockerfile:1
# The gateway image: the public HTTP API (serve), the migration Job (migrate) and the admin CLI.
# Build from the repository root: docker build -f deploy/gateway.Dockerfile -t ghcr.io/insider-bulk/gateway .

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY proto proto
COPY crates crates
RUN cargo build --release --locked -p insider-bulk-gateway --bin insider-bulk-gateway \
    && strip target/release/insider-bulk-gateway

FROM debian:bookworm-slim
# Only the shared libraries the binary links (libpq, SQLite) and CA roots for TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 nonroot \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
COPY --from=build /src/target/release/insider-bulk-gateway /usr/local/bin/insider-bulk-gateway
USER 65532:65532
WORKDIR /tmp
ENV INSIDER_BULK_DATA_DIR=/tmp/insider-bulk GATEWAY_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/insider-bulk-gateway"]
CMD ["serve"]
