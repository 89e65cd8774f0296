#!/usr/bin/env bash
# Builds the shadowq image FROM scratch from a locally built static binary
# (for machines that cannot pull base images), and, with --redis, a local
# Redis image from this machine's redis-server and its libraries (the demo
# compose file's redis image, where redis:7 cannot be pulled).
#   deploy/docker/build-local.sh [--redis] [TAG]      (default tag shadowq:local)
set -euo pipefail
cd "$(dirname "$0")/../.."
redis=0
if [ "${1:-}" = "--redis" ]; then redis=1; shift; fi
tag=${1:-shadowq:local}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=$(git describe --always --dirty 2>/dev/null || echo dev)" -o "$ctx/shadowq" ./cmd/shadowq
cp /etc/ssl/certs/ca-certificates.crt deploy/docker/shadowq.yaml scenarios/policy.yaml "$ctx/"
docker build -q -f deploy/docker/Dockerfile.scratch -t "$tag" "$ctx"
if [ $redis = 1 ]; then
  rctx=$(mktemp -d)
  trap 'rm -rf "$ctx" "$rctx"' EXIT
  bin=$(command -v redis-server)
  mkdir -p "$rctx/root/usr/bin" "$rctx/root/data"
  cp "$bin" "$rctx/root/usr/bin/redis-server"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$rctx/root$(dirname "$lib")"
    cp -L "$lib" "$rctx/root$lib"
  done
  printf 'FROM scratch\nCOPY root/ /\nEXPOSE 6379\nENTRYPOINT ["/usr/bin/redis-server"]\nCMD ["--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--dir", "/data"]\n' > "$rctx/Dockerfile"
  docker build -q -t shadowq-redis:local "$rctx"
fi
