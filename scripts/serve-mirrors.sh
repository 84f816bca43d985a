#!/usr/bin/env bash
# Serve local copies of public git repositories to jcb over git://127.0.0.1, for machines that
# cannot reach GitHub: `start` lays out MIRROR/<owner>+<name>/repo (bare repos, as the search tool's
# fetch leaves them) as github.com/<owner>/<name>.git under STATE, runs `git daemon` on 127.0.0.1:PORT
# and writes STATE/config.yaml, a jcb user config whose mirrors map https://github.com/ there;
# `stop` ends that daemon by the PID it recorded.
#   scripts/serve-mirrors.sh start [MIRROR=/work/.mirror] [PORT=19418] [STATE=/tmp/jcb-mirrors]
#   JCB_CONFIG=/tmp/jcb-mirrors/config.yaml jcb lock //llm/sglang:0.4.9
#   scripts/serve-mirrors.sh stop [STATE]
set -euo pipefail
cmd=${1:-}
if [ "$cmd" = start ]; then
    mirror=${2:-/work/.mirror} port=${3:-19418} state=${4:-/tmp/jcb-mirrors}
    mkdir -p "$state/served/github.com"
    for repo in "$mirror"/*+*/repo; do
        slug=$(basename "$(dirname "$repo")")
        owner=${slug%%+*} name=${slug#*+}
        mkdir -p "$state/served/github.com/$owner"
        ln -sfn "$repo" "$state/served/github.com/$owner/$name.git"
    done
    git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$state/served" --export-all \
        --informative-errors --pid-file="$state/daemon.pid" --detach "$state/served"
    printf 'mirrors:\n  https://github.com/: git://127.0.0.1:%s/github.com/\n' "$port" > "$state/config.yaml"
    echo "serving $(ls -d "$state"/served/github.com/*/*.git | wc -l) repositories on git://127.0.0.1:$port/github.com/"
    echo "JCB_CONFIG=$state/config.yaml"
elif [ "$cmd" = stop ]; then
    state=${2:-/tmp/jcb-mirrors}
    kill "$(cat "$state/daemon.pid")" && rm -f "$state/daemon.pid"
else
    echo "usage: $0 start [MIRROR] [PORT] [STATE] | stop [STATE]" >&2
    exit 2
fi
