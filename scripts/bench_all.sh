#!/usr/bin/env bash
# shellcheck disable=SC2317 # run_* are called indirectly, as "run_$rt"
# Runs every bench (bench/*_bench.ts) on Deno, Bun and Node and prints one markdown table,
# with the machine it ran on. Each cell is "webtls / reference (ratio)"; the reference is the
# runtime's own TLS client or server (node:tls, Deno.listenTls, Bun.listen) or, for record
# protection, bare WebCrypto AES-GCM.
#
#   bash scripts/bench_all.sh                       # all benches, all three runtimes
#   bash scripts/bench_all.sh --rounds 1 --n 50     # options are passed to every bench
#   bash scripts/bench_all.sh --tls 1.3             # TLS 1.3 rows only
#   WEBTLS_RUNTIMES=deno,bun WEBTLS_BENCHES=handshake,server bash scripts/bench_all.sh
#
# Needs `npm ci` (Deno, Bun, TypeScript), `openssl` and `node` on PATH (the server bench's
# load client runs on Node whatever the runtime measured). Each bench's own table and
# progress notes go to stderr; the combined table is printed on stdout at the end.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
DENO="$ROOT/node_modules/.bin/deno"
BUN="$ROOT/node_modules/.bin/bun"

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
for tool in "$DENO" "$BUN"; do
  [ -x "$tool" ] || { echo "bench_all: $tool is missing: run \`npm ci\` first" >&2; exit 2; }
done
command -v openssl > /dev/null || { echo "bench_all: openssl is missing: apt-get install -y openssl" >&2; exit 2; }
command -v node > /dev/null || { echo "bench_all: node is missing (Node 20 or later)" >&2; exit 2; }
# The server bench holds 1000 connections open: each side needs a descriptor per connection.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  ulimit -n 4096 2> /dev/null || ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
  [ "$(ulimit -n)" -ge 2200 ] 2> /dev/null \
    || echo "bench_all: ulimit -n is $(ulimit -n): the memory figure may fail; raise it" >&2
fi

IFS=',' read -r -a runtimes <<< "${WEBTLS_RUNTIMES:-deno,bun,node}"
benches=()
if [ -n "${WEBTLS_BENCHES:-}" ]; then
  IFS=',' read -r -a names <<< "$WEBTLS_BENCHES"
  for n in "${names[@]}"; do benches+=("bench/${n%_bench}_bench.ts"); done
else
  benches=(bench/handshake_bench.ts bench/throughput_bench.ts bench/server_bench.ts bench/record_bench.ts)
fi

run_deno() { "$DENO" run -A --cached-only "$@"; }
run_bun() { "$BUN" "$@"; }
run_node() { bash scripts/bench_node.sh "$@"; }

RESULTS="$(mktemp "${TMPDIR:-/tmp}/webtls-bench-XXXXXX.jsonl")"
trap 'rm -f "$RESULTS"' EXIT
started=$SECONDS
# Compile once up front: Node runs dist/bench, and the server bench's load client runs on Node
# for every runtime.
bash scripts/bench_node.sh --build-only >&2 || exit 2
failed=0
for rt in "${runtimes[@]}"; do
  case "$rt" in deno | bun | node) ;; *) echo "bench_all: unknown runtime $rt" >&2; exit 2 ;; esac
  for b in "${benches[@]}"; do
    [ -f "$b" ] || { echo "bench_all: no such bench $b" >&2; exit 2; }
    echo "==== $rt $b" >&2
    t0=$SECONDS
    if ! "run_$rt" "$b" --json "$@" >> "$RESULTS"; then
      echo "bench_all: $b failed on $rt" >&2
      failed=1
    fi
    echo "---- $rt $b took $((SECONDS - t0)) s" >&2
  done
done

cpu="$(grep -m1 'model name' /proc/cpuinfo 2> /dev/null | sed 's/.*: //')"
mem="$(free -g 2> /dev/null | awk '/^Mem:/ {print $2 " GiB"}')"
load="$(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null)"
machine="${cpu:-unknown CPU}, $(nproc) cores, ${mem:-? GiB} RAM, $(uname -sr), $(openssl version | cut -d' ' -f1-2), load average at the end ${load:-?}"
versions="Deno $("$DENO" --version | head -1 | cut -d' ' -f2), Bun $("$BUN" --version), Node $(node --version)"
elapsed="$(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"

BENCH_ARGS="$*" node - "$RESULTS" "$machine" "$versions" "$elapsed" << 'EOF'
const fs = require("node:fs");
const [file, machine, versions, elapsed] = process.argv.slice(2);
const rows = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("{"))
  .map((l) => JSON.parse(l));
const runtimes = [...new Set(rows.map((r) => r.runtime))];
// Rows in the order the benches print them, each measure's references together (node:tls,
// then Deno.listenTls or Bun.listen, which only one runtime has).
const measures = [...new Set(rows.map((r) => `${r.bench}\t${r.name}`))];
const keys = measures.flatMap((m) => [
  ...new Set(rows.filter((r) => `${r.bench}\t${r.name}` === m).map((r) => `${m}\t${r.reference}`)),
]);
const fmt = (n) => (n === null || Number.isNaN(n) ? "n/a" : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const args = process.env.BENCH_ARGS ? ` ${process.env.BENCH_ARGS}` : "";
console.log(`Machine: ${machine}.`);
console.log(`Runtimes: ${versions}. Command: \`bash scripts/bench_all.sh${args}\`, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, took ${elapsed}.`);
console.log("Each cell: webtls / reference (ratio); for memory, lower is better.\n");
console.log(`| bench | measure | reference | ${runtimes.join(" | ")} |`);
console.log(`| --- | --- | --- | ${runtimes.map(() => "---:").join(" | ")} |`);
for (const key of keys) {
  const [bench, name, reference] = key.split("\t");
  const cells = runtimes.map((rt) => {
    const r = rows.find((x) => x.runtime === rt && `${x.bench}\t${x.name}\t${x.reference}` === key);
    if (!r) return "–";
    const ratio = r.ours && r.theirs ? ` (${(r.ours / r.theirs).toFixed(2)})` : "";
    return `${fmt(r.ours)} / ${fmt(r.theirs)}${ratio}`;
  });
  console.log(`| ${bench} | ${name} | ${reference} | ${cells.join(" | ")} |`);
}
EOF
exit $failed
