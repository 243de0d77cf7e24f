#!/bin/bash
# alternate the commands, N rounds, report mean wall ms per command
N=${N:-150}
declare -A tot
cmds=(
 "build/probe-static check http://127.0.0.1:18181/health mysql://probe:pw1@127.0.0.1:13306/app redis://:sekret@127.0.0.1:16379"
 "build/probe check http://127.0.0.1:18181/health mysql://probe:pw1@127.0.0.1:13306/app redis://:sekret@127.0.0.1:16379"
 "sh -c 'curl -fsS http://127.0.0.1:18181/health >/dev/null && redis-cli -h 127.0.0.1 -p 16379 -a sekret --no-auth-warning ping >/dev/null && mysqladmin -h127.0.0.1 -P13306 -uprobe -ppw1 ping'"
 "build/probe-static check http://127.0.0.1:18181/health"
 "curl -fsS http://127.0.0.1:18181/health"
 "/bin/true"
)
for ((i=0;i<N;i++)); do for j in "${!cmds[@]}"; do s=$(date +%s%N); eval "${cmds[$j]}" >/dev/null 2>&1; e=$(date +%s%N); tot[$j]=$(( ${tot[$j]:-0} + e - s )); done; done
for j in "${!cmds[@]}"; do printf "%8.2f ms  %s\n" "$(echo "${tot[$j]} / $N / 1000000" | bc -l)" "$(echo "${cmds[$j]}" | cut -c1-110)"; done
