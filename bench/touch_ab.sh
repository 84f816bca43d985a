#!/bin/bash
# Two jcb trees on one build-benchmark workspace, alternated: a cold build each, then ROUNDS times
# (change ffmpeg's file; touch-rebuild with A; then with B), then ROUNDS alternated no-ops. Each
# tree has its own jcb cache directory; BuildKit's cache is shared (the trees' keys differ where
# their plans do). Prints one line per build: what, which tree, wall seconds, solves.
#
#   bash bench/touch_ab.sh TREE_A TREE_B [ROUNDS]    (a TREE holds tools/, e.g. from git archive)
set -euo pipefail
A=$1 B=$2 ROUNDS=${3:-5}
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=$REPO/.venv/bin/python
OUT=$(mktemp -d /tmp/jcb-touch-ab-XXXXXX)
BASE=$("$PY" -c "import sys; sys.path.insert(0, '$REPO/bench'); from gen_build_workspace import ensure_base_image; print(ensure_base_image())" | tail -1)
"$PY" "$REPO/bench/gen_build_workspace.py" "$OUT/ws" --base-image "$BASE" --prefix jcbab >/dev/null
cd "$OUT/ws/jcb"
unset PYTHONDONTWRITEBYTECODE
export NO_COLOR=1
build() {  # build NAME TREE WHAT
  local start end
  start=$(date +%s.%N)
  JCB_CACHE_DIR=$OUT/cache-$1 PYTHONPATH=$2/tools "$PY" -m jc_build.cli.main build //llm/sglang:sglang \
    --event-log="$OUT/$1.jsonl" >"$OUT/$1.log" 2>&1
  end=$(date +%s.%N)
  echo "$3 $1 $(echo "$end - $start" | bc) solves=$(grep -o '"solves": [0-9]*' "$OUT/$1.jsonl" | awk '{s += $2} END {print s}')"
}
build a "$A" cold; build b "$B" cold
for i in $(seq "$ROUNDS"); do
  echo "touch $i" >> pkgs/multimedia/ffmpeg/ffmpeg.txt
  build a "$A" touch; build b "$B" touch
done
for i in $(seq "$ROUNDS"); do build a "$A" noop; build b "$B" noop; done
echo "logs and workspace: $OUT"
