#!/usr/bin/env bash
# Answers one Data Action through the running demo (demo.yaml): waits for
# serve's /readyz, creates a waiting conversation in the fake, posts the
# escalation the way a Genesys Data Action does, prints the answer and
# exits 0 when it is routed.
set -euo pipefail
serve=http://127.0.0.1:${SERVE_PORT:-8080} fake=http://127.0.0.1:${FAKE_PORT:-8787}
for _ in $(seq 120); do curl -sf "$serve/readyz" >/dev/null && break; sleep 1; done
curl -sS "$serve/readyz"; echo
conv=$(curl -sS -X POST -H 'Authorization: Bearer demo-admin' -H 'Content-Type: application/json' \
  -d '{"skills":["Databases"],"priority":3}' "$fake/_fake/conversations" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
echo "conversation $conv"
answer=$(curl -sS -X POST -H 'Authorization: Bearer change-me' -H 'Content-Type: application/json' \
  -d "{\"conversationId\":\"$conv\",\"skills\":[\"Databases\"],\"priority\":\"P1\"}" "$serve/v1/escalations")
echo "$answer"
case $answer in *'"action":"routed"'*) ;; *) echo "demo-check: not routed" >&2; exit 1 ;; esac
