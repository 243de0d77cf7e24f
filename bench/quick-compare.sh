#!/bin/bash
# Quick side-by-side timing of probe against the tools people use today, alternating the
# commands within each round so that machine load hits all of them alike. Not `make bench`
# (issue #6): it expects the servers to be running already, on loopback:
#   HTTP_URL   an HTTP health URL           (default http://127.0.0.1:18181/health)
#   REDIS_PORT / REDIS_PASSWORD             (default 16379 / sekret)
#   MYSQL_PORT / MYSQL_USER / MYSQL_PASSWORD / MYSQL_DB (default 13306 / probe / pw1 / app)
#   N          rounds (default 150)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-150}
HTTP_URL=${HTTP_URL:-http://127.0.0.1:18181/health}
REDIS_PORT=${REDIS_PORT:-16379}
REDIS_PASSWORD=${REDIS_PASSWORD:-sekret}
MYSQL_PORT=${MYSQL_PORT:-13306}
MYSQL_USER=${MYSQL_USER:-probe}
MYSQL_PASSWORD=${MYSQL_PASSWORD:-pw1}
MYSQL_DB=${MYSQL_DB:-app}
export REDIS_PASSWORD MYSQL_PASSWORD
three="$HTTP_URL mysql://$MYSQL_USER:\${MYSQL_PASSWORD}@127.0.0.1:$MYSQL_PORT/$MYSQL_DB redis://:\${REDIS_PASSWORD}@127.0.0.1:$REDIS_PORT"
cmds=(
    "build/probe-static check $three"
    "build/probe check $three"
    "sh -c 'curl -fsS $HTTP_URL >/dev/null && redis-cli -h 127.0.0.1 -p $REDIS_PORT -a \"\$REDIS_PASSWORD\" --no-auth-warning ping >/dev/null && mysqladmin -h127.0.0.1 -P$MYSQL_PORT -u$MYSQL_USER -p\"\$MYSQL_PASSWORD\" ping'"
    "build/probe-static check $HTTP_URL"
    "curl -fsS $HTTP_URL"
    "/bin/true"
)
declare -A tot
for ((i = 0; i < N; i++)); do
    for j in "${!cmds[@]}"; do
        s=$(date +%s%N)
        eval "${cmds[$j]}" >/dev/null 2>&1 || true
        e=$(date +%s%N)
        tot[$j]=$((${tot[$j]:-0} + e - s))
    done
done
for j in "${!cmds[@]}"; do
    printf "%8.2f ms  %s\n" "$(echo "${tot[$j]} / $N / 1000000" | bc -l)" "${cmds[$j]:0:110}"
done
