#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis the tests use when they are down (this machine's
# packages; the commands are the ones that start them at boot), Chromium for page tests and
# promtool (Debian's prometheus package) for the alerting rules' tests.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
for _ in $(seq 1 50); do
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break
  sleep 0.2
done
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (page tests)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed"
fi
if ! command -v promtool >/dev/null 2>&1; then
  echo "installing promtool (alerting rules tests)"
  # Only promtool is used: without the recommended exporters.
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) ||
    echo "promtool could not be installed"
fi
