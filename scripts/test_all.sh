#!/usr/bin/env bash
# shellcheck disable=SC2317 # run_* and count_* are called indirectly, as "run_$rt"
# Runs the test suite under Deno, Bun and Node (`npm test` runs this).
#
#   bash scripts/test_all.sh                         # everything, all three runtimes
#   bash scripts/test_all.sh tests/interop/          # a directory or some files
#   bash scripts/test_all.sh --filter handshake      # tests whose name matches
#   WEBTLS_RUNTIMES=deno,node bash scripts/test_all.sh
#
# Test files are tests/**/*_test.ts written with node:test + node:assert/strict only.
#   deno: deno test -A --cached-only <paths>    (never touches the network: npm packages come
#         from node_modules via "nodeModulesDir": "manual", remote modules must be cached)
#   bun:  bun test --isolate --timeout 120000 ./<paths>   (bun treats bare words as name
#         filters, so paths get a ./ prefix; --isolate gives each file a fresh global)
#   node: builds dist/npm with scripts/build_npm.ts, then node --test over the compiled
#         dist/npm/tests/**/*_test.js (and copied *_test.mjs); Node 20 has no --test glob,
#         so the files are listed
# All selected runtimes run even if one fails; a summary line per runtime is printed and the
# exit status is non-zero if any failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

DENO="$ROOT/node_modules/.bin/deno"
BUN="$ROOT/node_modules/.bin/bun"
NODE="${WEBTLS_NODE:-node}"
TIMEOUT_MS="${WEBTLS_TEST_TIMEOUT_MS:-120000}"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1

usage() {
  sed -n "3,10p" "$0" | sed 's/^# \{0,1\}//'
}

filter=""
paths=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --filter) filter="${2:?--filter needs a pattern}"; shift 2 ;;
    --filter=*) filter="${1#--filter=}"; shift ;;
    -*) echo "test_all: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) paths+=("${1%/}"); shift ;;
  esac
done
[ ${#paths[@]} -eq 0 ] && paths=(tests)
normalized=()
for p in "${paths[@]}"; do
  case "$p" in
    /*) p="${p#"$ROOT"/}" ;;
  esac
  while [ "${p#./}" != "$p" ]; do p="${p#./}"; done
  if [ ! -e "$p" ]; then echo "test_all: no such test path: $p" >&2; exit 2; fi
  case "$p" in
    tests | tests/*) ;;
    *) echo "test_all: test paths must be under tests/: $p" >&2; exit 2 ;;
  esac
  normalized+=("$p")
done
paths=("${normalized[@]}")

IFS=',' read -r -a runtimes <<< "${WEBTLS_RUNTIMES:-deno,bun,node}"
for rt in "${runtimes[@]}"; do
  case "$rt" in
    deno | bun | node) ;;
    *) echo "test_all: unknown runtime '$rt' in WEBTLS_RUNTIMES (use deno,bun,node)" >&2; exit 2 ;;
  esac
done

for tool in "$DENO" "$BUN"; do
  if [ ! -x "$tool" ]; then echo "test_all: $tool is missing: run \`npm ci\` first" >&2; exit 2; fi
done

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/webtls-test-XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

strip_ansi() { sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g'; }

# Prints "PASSED FAILED" counted from a runner's output, or nothing.
count_deno() {
  # "ok | 3 passed (17 steps) | 0 failed (10s)" / "FAILED | 0 passed (14 steps) | 1 failed (3 steps)"
  strip_ansi < "$1" | grep -E '^(ok|FAILED) \| ' | tail -1 | awk '{
    p = 0; f = 0; line = $0
    if (match(line, /[0-9]+ passed( \([0-9]+ steps?\))?/)) { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9 ]/, "", s); split(s, a, " "); p = a[1] + a[2] }
    if (match(line, /[0-9]+ failed( \([0-9]+ steps?\))?/)) { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9 ]/, "", s); split(s, a, " "); f = a[1] + a[2] }
    print p, f }'
}
count_bun() {
  local out p f
  out="$(strip_ansi < "$1")"
  p="$(grep -E '^ *[0-9]+ pass$' <<< "$out" | tail -1 | tr -dc 0-9)"
  f="$(grep -E '^ *[0-9]+ fail$' <<< "$out" | tail -1 | tr -dc 0-9)"
  [ -n "$p" ] && echo "$p ${f:-0}"
}
count_node() {
  local out p f c
  out="$(strip_ansi < "$1")"
  p="$(grep -E '^# pass [0-9]+$' <<< "$out" | tail -1 | tr -dc 0-9)"
  f="$(grep -E '^# fail [0-9]+$' <<< "$out" | tail -1 | tr -dc 0-9)"
  c="$(grep -E '^# cancelled [0-9]+$' <<< "$out" | tail -1 | tr -dc 0-9)"
  [ -n "$p" ] && echo "$p $((${f:-0} + ${c:-0}))"
}

# Prints the names of the failed tests from a runner's output (at most 30 lines), so that the
# summary at the end of a long log says what failed.
failures_deno() {
  strip_ansi < "$1" | sed -n '/^ *FAILURES *$/,$p' | grep -E ' => ' | head -30
}
failures_bun() {
  strip_ansi < "$1" | grep -E '^\(fail\) ' | head -30
}
failures_node() {
  strip_ansi < "$1" | grep -E '^ *not ok [0-9]+ - ' | sed -E 's/^ +//' | head -30
}

run_deno() {
  local args=(test -A --cached-only)
  [ -n "$filter" ] && args+=(--filter "$filter")
  "$DENO" "${args[@]}" "${paths[@]}"
}

run_bun() {
  local args=(test --isolate --timeout "$TIMEOUT_MS")
  [ -n "$filter" ] && args+=(--test-name-pattern "$filter")
  local p bunpaths=()
  for p in "${paths[@]}"; do bunpaths+=("./$p"); done
  "$BUN" "${args[@]}" "${bunpaths[@]}"
}

run_node() {
  echo "test_all: building dist/npm"
  "$DENO" run -A --cached-only scripts/build_npm.ts || return 1
  local p files=()
  for p in "${paths[@]}"; do
    if [ -d "$p" ]; then
      [ -d "dist/npm/$p" ] || continue
      while IFS= read -r f; do files+=("$f"); done < <(
        find "dist/npm/$p" -type f \( -name '*_test.js' -o -name '*_test.mjs' \) | sort
      )
    else
      case "$p" in
        *.ts) files+=("dist/npm/${p%.ts}.js") ;;
        *) files+=("dist/npm/$p") ;;
      esac
    fi
  done
  if [ ${#files[@]} -eq 0 ]; then
    echo "test_all: no compiled *_test.js files under dist/npm for: ${paths[*]}" >&2
    return 1
  fi
  local args=(--test "--test-timeout=$TIMEOUT_MS")
  [ -n "$filter" ] && args+=("--test-name-pattern=$filter")
  "$NODE" "${args[@]}" "${files[@]}"
}

declare -A status summary
total_pass=0
total_fail=0
overall=0
for rt in "${runtimes[@]}"; do
  log="$LOG_DIR/$rt.log"
  echo
  echo "================ $rt ================"
  start=$SECONDS
  "run_$rt" 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  secs=$((SECONDS - start))
  counts="$("count_$rt" "$log" || true)"
  if [ -n "$counts" ]; then
    read -r p f <<< "$counts"
  else
    p=0
    f=0
  fi
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # a crash, a build or type error
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "$code" -eq 0 ]; then
    status[$rt]=PASS
  else
    status[$rt]="FAIL (exit $code)"
    overall=1
  fi
  summary[$rt]="$p passed, $f failed in ${secs}s"
done

echo
echo "================ summary ================"
for rt in "${runtimes[@]}"; do
  printf '%-5s %-16s %s\n' "$rt:" "${status[$rt]}" "${summary[$rt]}"
  if [ "${status[$rt]}" != PASS ]; then
    "failures_$rt" "$LOG_DIR/$rt.log" | sed 's/^/       /'
  fi
done
echo "test_all: $total_pass passed, $total_fail failed"
exit $overall
