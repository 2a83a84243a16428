#!/usr/bin/env bash
# Makes sure what the tests and the split service need is installed and
# running on this machine: the C libraries diesel links (libpq, sqlite3),
# PostgreSQL and RabbitMQ. Starts a service that is installed but stopped;
# fails with a clear message when one cannot be had.
set -euo pipefail

need_packages=()
[ -e /usr/include/postgresql/libpq-fe.h ] || need_packages+=(libpq-dev)
[ -e /usr/include/sqlite3.h ] || need_packages+=(libsqlite3-dev)
command -v pg_isready >/dev/null || need_packages+=(postgresql-client)
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "services: installing ${need_packages[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

pg_host=127.0.0.1
pg_port=5432
if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "services: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$pg_host" -p "$pg_port" && break; sleep 1; done
  fi
fi
if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
  # The S3-protocol server the bundle-store tests run against (a real server
# over HTTP, backed by a directory). Pinned: later versions need a newer rustc.
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ ! -x "$cargo_bin/s3s-fs" ]; then
  echo "services: installing s3s-fs (S3-protocol test server)"
  cargo install --quiet --locked s3s-fs@0.14.1 --features binary
fi

echo "services: PostgreSQL is not running on $pg_host:$pg_port and could not be started" >&2
  exit 1
fi

rabbit_up() { (exec 3<>"/dev/tcp/127.0.0.1/5672") 2>/dev/null; }
if ! rabbit_up; then
  if command -v rabbitmq-server >/dev/null; then
    echo "services: starting RabbitMQ"
    rabbitmq-server -detached || true
    for _ in $(seq 1 60); do rabbit_up && break; sleep 1; done
  fi
fi
if ! rabbit_up; then
  echo "services: RabbitMQ is not running on 127.0.0.1:5672 (the queue tests need it)" >&2
fi
# The S3-protocol server the bundle-store tests run against (a real server
# over HTTP, backed by a directory). Pinned: later versions need a newer rustc.
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ ! -x "$cargo_bin/s3s-fs" ]; then
  echo "services: installing s3s-fs (S3-protocol test server)"
  cargo install --quiet --locked s3s-fs@0.14.1 --features binary
fi

echo "services: PostgreSQL $(pg_isready -h "$pg_host" -p "$pg_port" | sed 's/.*- //'), RabbitMQ $(rabbit_up && echo up || echo down)"
