#!/usr/bin/env bash
# Runs the test suite N times in a row while two busy loops load both cores, so tests that
# only pass on an idle machine show up; stops at the first failing run and names it.
#
#   tests/repeat.sh N [pytest arguments...]     e.g. tests/repeat.sh 5, tests/repeat.sh 2 tests/unit
set -u

runs=${1:-5}
shift $(( $# > 0 ? 1 : 0 ))
case $runs in
    '' | *[!0-9]* | 0) echo "usage: tests/repeat.sh N [pytest arguments...] (N a whole number >= 1)" >&2
                       exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 2
bin=${BIN:-.venv/bin}
logs=$(mktemp -d "${TMPDIR:-/tmp}/changegate-repeat.XXXXXX")

hogs=()
stop_hogs() {
    if (( ${#hogs[@]} )); then
        kill "${hogs[@]}" 2>/dev/null
        wait "${hogs[@]}" 2>/dev/null
        hogs=()
    fi
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM
for _ in 1 2; do  # each also ends by itself should this script be killed outright
    "$bin/python" -c $'import os\nparent = os.getppid()\nwhile os.getppid() == parent: pass' &
    hogs+=("$!")
done
echo "load: two busy loops (pids ${hogs[*]}); logs in $logs"

for (( run = 1; run <= runs; run++ )); do
    log="$logs/run-$run.log"
    started=$SECONDS
    "$bin/pytest" -p no:cacheprovider "$@" >"$log" 2>&1
    status=$?
    summary=$(grep -E '(passed|failed|error|no tests ran).* in [0-9.]+s' "$log" | tail -n 1 |
              sed -E 's/^=+ //; s/ =+$//')
    echo "run $run/$runs: ${summary:-no summary (exit $status)} [$(( SECONDS - started ))s]"
    if (( status != 0 )); then
        grep -E '^(FAILED|ERROR) ' "$log"
        echo "run $run of $runs failed; its output is in $log"
        exit 1
    fi
done
echo "all $runs runs passed"
