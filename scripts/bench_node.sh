#!/usr/bin/env bash
# Runs a bench on Node: compiles bench/*.ts (and the library files they import) with the
# TypeScript compiler from node_modules into dist/bench/ (never published: scripts/build_npm.ts
# compiles only mod.ts, src/ and tests/ into dist/npm/), then runs the compiled file with node.
#
#   bash scripts/bench_node.sh bench/handshake_bench.ts [bench options...]
#   bash scripts/bench_node.sh --build-only
#
# The build is skipped when dist/bench/ is newer than every source file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=dist/bench
TSC=node_modules/typescript/bin/tsc
[ -f "$TSC" ] || { echo "bench_node: $TSC is missing: run \`npm ci\` first" >&2; exit 2; }

build() {
  local stamp="$OUT/.built"
  if [ -f "$stamp" ] && [ -z "$(find mod.ts src bench -name '*.ts' -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  mkdir -p dist
  local files=() f
  for f in bench/*.ts; do files+=("\"../$f\""); done
  cat > dist/tsconfig.bench.json << EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2023", "DOM", "DOM.Iterable", "DOM.AsyncIterable"],
    "types": ["node"],
    "strict": true,
    "rootDir": "..",
    "outDir": "bench",
    "rewriteRelativeImportExtensions": true,
    "allowImportingTsExtensions": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "noEmitOnError": true,
    "newLine": "lf"
  },
  "files": [$(IFS=,; echo "${files[*]}")]
}
EOF
  rm -rf "$OUT"
  echo "bench_node: compiling bench/ into $OUT/" >&2
  node "$TSC" -p dist/tsconfig.bench.json
  # ESM: the repository's package.json says "type": "module", and dist/bench is inside it.
  touch "$OUT/.built"
}

build
[ "${1:-}" = "--build-only" ] && exit 0
[ $# -ge 1 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bench="$1"
shift
case "$bench" in
  bench/*.ts) ;;
  *) echo "bench_node: expected bench/NAME.ts, got $bench" >&2; exit 2 ;;
esac
js="$OUT/${bench%.ts}.js"
[ -f "$js" ] || { echo "bench_node: $js was not built" >&2; exit 2; }
exec node "$js" "$@"
