# syntax=docker/dockerfile:1
# The ingest image: the EDGAR ingest CronJob (edgar --catch-up).
# Build from the repository root: docker build -f deploy/ingest.Dockerfile -t ghcr.io/insider-bulk/ingest .

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY proto proto
COPY crates crates
RUN cargo build --release --locked -p insider-bulk-ingest --bin insider-bulk-ingest \
    && strip target/release/insider-bulk-ingest

FROM debian:bookworm-slim
# Only the shared libraries the binary links (libpq, SQLite) and CA roots for TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 nonroot \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
COPY --from=build /src/target/release/insider-bulk-ingest /usr/local/bin/insider-bulk-ingest
USER 65532:65532
WORKDIR /tmp
ENV INSIDER_BULK_DATA_DIR=/tmp/insider-bulk
ENTRYPOINT ["/usr/local/bin/insider-bulk-ingest"]
CMD ["edgar", "--catch-up"]
