/**
 * Keeps jsr.json in step with deno.json (deno.json is the source of truth).
 *
 *   node_modules/.bin/deno run -A scripts/sync_jsr.ts           # rewrite jsr.json
 *   node_modules/.bin/deno run -A scripts/sync_jsr.ts --check   # exit 1 if they differ
 *
 * jsr.json gets the fields JSR reads: name, version, license, exports, imports, publish.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");
const DENO_JSON = path.join(ROOT, "deno.json");
const JSR_JSON = path.join(ROOT, "jsr.json");
const FIELDS = ["name", "version", "license", "exports", "imports", "publish"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function readJson(file: string): Record<string, Json> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    console.error(`sync_jsr: ${path.relative(ROOT, file)} is not valid JSON: ${e}`);
    Deno.exit(1);
  }
}

function expectedJsr(denoJson: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const field of FIELDS) {
    if (denoJson[field] !== undefined) out[field] = denoJson[field];
  }
  return out;
}

/** JSON text with object keys sorted, so key order does not count as a difference. */
function canonical(v: Json | undefined): string {
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function same(a: Json | undefined, b: Json | undefined): boolean {
  return canonical(a) === canonical(b);
}

function main(): void {
  const check = Deno.args.includes("--check");
  const denoJson = readJson(DENO_JSON);
  if (!denoJson) {
    console.error("sync_jsr: deno.json not found");
    Deno.exit(1);
  }
  for (const field of ["name", "version", "exports"] as const) {
    if (denoJson[field] === undefined) {
      console.error(`sync_jsr: deno.json has no "${field}"`);
      Deno.exit(1);
    }
  }
  const want = expectedJsr(denoJson);
  const have = readJson(JSR_JSON);

  if (check) {
    if (!have) {
      console.error(
        "sync_jsr: jsr.json is missing; run `node_modules/.bin/deno run -A scripts/sync_jsr.ts`",
      );
      Deno.exit(1);
    }
    const keys = new Set([...Object.keys(want), ...Object.keys(have)]);
    const diffs = [...keys].filter((k) => !same(want[k], have[k]));
    if (diffs.length > 0) {
      console.error("sync_jsr: jsr.json is out of date with deno.json:");
      for (const k of diffs) {
        console.error(`  ${k}: deno.json has ${JSON.stringify(want[k])}`);
        console.error(`  ${" ".repeat(k.length)}  jsr.json  has ${JSON.stringify(have[k])}`);
      }
      console.error("Fix: node_modules/.bin/deno run -A scripts/sync_jsr.ts");
      Deno.exit(1);
    }
    console.log("sync_jsr: jsr.json matches deno.json");
    return;
  }

  if (have && same(want, have)) {
    console.log("sync_jsr: jsr.json already up to date");
    return;
  }
  fs.writeFileSync(JSR_JSON, JSON.stringify(want, null, 2) + "\n");
  console.log(`sync_jsr: wrote jsr.json (${Object.keys(want).join(", ")})`);
}

main();
