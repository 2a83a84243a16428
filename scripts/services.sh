#!/usr/bin/env bash
# Makes sure what the tests and the split service need is installed and
# running on this machine: the C libraries diesel links (libpq, sqlite3),
# PostgreSQL, RabbitMQ and Redis (shared rate limits), and the S3-protocol
# test server. Starts a service that is installed but stopped; fails with a
# clear message when one cannot be had.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
need_packages=()
[ -e /usr/include/postgresql/libpq-fe.h ] || need_packages+=(libpq-dev)
[ -e /usr/include/sqlite3.h ] || need_packages+=(libsqlite3-dev)
command -v pg_isready >/dev/null || need_packages+=(postgresql-client)
command -v redis-cli >/dev/null || need_packages+=(redis-tools)
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "services: installing ${need_packages[*]}"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

failed=()

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
pg_isready -q -h "$pg_host" -p "$pg_port" || failed+=("PostgreSQL on $pg_host:$pg_port")

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null; then
    echo "services: starting RabbitMQ"
    rabbitmq-server -detached || true
    for _ in $(seq 1 60); do port_open 5672 && break; sleep 1; done
  fi
fi
port_open 5672 || failed+=("RabbitMQ on 127.0.0.1:5672")

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    echo "services: starting Redis"
    mkdir -p /tmp/insider-bulk-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/insider-bulk-redis --logfile /tmp/insider-bulk-redis/redis.log || true
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || failed+=("Redis on 127.0.0.1:6379")

# The S3-protocol server the bundle-store tests run against (a real server
# over HTTP, backed by a directory). Pinned: later versions need a newer rustc.
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ ! -x "$cargo_bin/s3s-fs" ]; then
  echo "services: installing s3s-fs (S3-protocol test server)"
  cargo install --quiet --locked s3s-fs@0.14.1 --features binary
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf 'services: not running and could not be started: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "services: PostgreSQL, RabbitMQ and Redis are up"
