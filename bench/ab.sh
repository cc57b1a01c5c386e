#!/usr/bin/env bash
# Two builds of Butaca side by side: which is faster on one URL, told apart from a shared
# machine's drift. Both servers run at once on CPU 0 (empty DATA_DIRs, NODE_ENV=production, the
# defaults otherwise); wrk on CPU 1 alternates between them in short runs (A then B, then B then A),
# and the median of the pairwise ratios B/A is the answer.
#
#   git worktree add /tmp/base HEAD~1 && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npm run build:server)
#   npm run build:server && bench/ab.sh /healthz 12 /tmp/base "$PWD"
#   A_ENV=LOG_LEVEL=info B_ENV=LOG_LEVEL=warn bench/ab.sh /healthz 12 "$PWD" "$PWD"   # one build, two settings
set -euo pipefail
path=${1:-/healthz}; rounds=${2:-12}; a=${3:?build A}; b=${4:?build B}
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
start() { # DIR PORT SETTINGS
  mkdir -p "$work/$2"
  # shellcheck disable=SC2086 # SETTINGS is a list of NAME=value words
  (cd "$work/$2" && exec env DATA_DIR="$work/$2" NODE_ENV=production PORT=$2 $3 taskset -c 0 node "$1/bin/butaca.js" serve >/dev/null 2>&1) &
  echo $! > "$work/$2.pid"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "the server in $1 did not start" >&2; exit 1
}
rps() { taskset -c 1 wrk -t1 -c32 -d"$2" "http://127.0.0.1:$1$path" 2>&1 | awk '/Requests\/sec/ {print int($2)}'; }
start "$a" 8201 "${A_ENV:-}"; start "$b" 8202 "${B_ENV:-}"
rps 8201 3s >/dev/null; rps 8202 3s >/dev/null
ra=(); rb=(); ratios=()
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then x=$(rps 8201 2s); y=$(rps 8202 2s); else y=$(rps 8202 2s); x=$(rps 8201 2s); fi
  ra+=("$x"); rb+=("$y"); ratios+=("$(awk -v a="$x" -v b="$y" 'BEGIN {printf "%.3f", b/a}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "A ($a): median $(median "${ra[@]}") r/s   [${ra[*]}]"
echo "B ($b): median $(median "${rb[@]}") r/s   [${rb[*]}]"
echo "B/A, pair by pair: median $(median "${ratios[@]}")   [${ratios[*]}]"
