/**
 * Builds the npm package into dist/npm/ with the TypeScript compiler from node_modules
 * (offline; no dnt).
 *
 *   node_modules/.bin/deno run -A scripts/build_npm.ts
 *
 * - Compiles mod.ts, src/**\/*.ts and tests/**\/*.ts to ESM .js + .d.ts (relative `./x.ts`
 *   imports become `./x.js`). Type errors fail the build.
 * - Copies the test fixtures that are not compiled beside the compiled tests: every non-.ts
 *   file under tests/, and the .ts files under tests/**\/peers/ (scripts run by Deno or Bun
 *   themselves, e.g. tests/interop/peers/deno_server.ts).
 * - Writes dist/npm/package.json from deno.json (name "webtls", version, exports, bin,
 *   dependencies from the npm: entries of the import map), makes src/cli.js an executable
 *   `#!/usr/bin/env node` script, and copies README.md and LICENSE.
 * - The compiled tests (dist/npm/tests/) are left out of the published files; run them with
 *   `node --test dist/npm/tests/.../*_test.js`. Bare imports such as "pkijs" resolve from the
 *   repository's node_modules because dist/npm is inside the repository.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");
const DIST = path.join(ROOT, "dist");
const OUT = path.join(DIST, "npm");
const NPM_NAME = "webtls";
const NODE_ENGINE = ">=20.19";

function fail(message: string): never {
  console.error(`build_npm: ${message}`);
  Deno.exit(1);
}

interface DenoJson {
  name: string;
  version: string;
  license?: string;
  description?: string;
  exports: string | Record<string, string>;
  imports?: Record<string, string>;
}

function readDenoJson(): DenoJson {
  const file = path.join(ROOT, "deno.json");
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as DenoJson;
  } catch (e) {
    fail(`cannot read ${file}: ${e}`);
  }
}

/** Files under `dir` (relative to ROOT), recursively, sorted. */
function walk(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** Test files that are copied verbatim: runtime-specific peer scripts, fixtures. */
function isCopiedVerbatim(rel: string): boolean {
  const parts = rel.split(path.sep);
  return parts.includes("peers") || parts.includes("fixtures");
}

function isTs(rel: string): boolean {
  return rel.endsWith(".ts") && !rel.endsWith(".d.ts");
}

/** "npm:pkijs@4.0.0" -> ["pkijs", "4.0.0"]; "npm:@scope/x@^1/" -> ["@scope/x", "^1"]. */
function parseNpmSpecifier(spec: string): [string, string] | undefined {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?\/?$/.exec(spec);
  if (!m) return undefined;
  return [m[1], m[2] ?? "*"];
}

function jsPath(tsPath: string): string {
  return tsPath.replace(/\.ts$/, ".js");
}

function dtsPath(tsPath: string): string {
  return tsPath.replace(/\.ts$/, ".d.ts");
}

function main(): void {
  const started = Date.now();
  const denoJson = readDenoJson();
  const exportsMap: Record<string, string> = typeof denoJson.exports === "string"
    ? { ".": denoJson.exports }
    : denoJson.exports;

  // Entry points and sources.
  const entries = Object.values(exportsMap).map((p) => path.normalize(p));
  for (const e of entries) {
    if (!fs.existsSync(path.join(ROOT, e))) fail(`export ${e} (from deno.json) does not exist`);
  }
  const srcFiles = walk("src");
  const testFiles = walk("tests");
  const compiled = [
    ...new Set([
      ...entries.filter(isTs),
      ...(fs.existsSync(path.join(ROOT, "mod.ts")) ? ["mod.ts"] : []),
      ...srcFiles.filter(isTs),
      ...testFiles.filter((f) => isTs(f) && !isCopiedVerbatim(f)),
    ]),
  ];
  const copied = [
    ...srcFiles.filter((f) => !isTs(f) && !f.endsWith(".d.ts")),
    ...testFiles.filter((f) => !isTs(f) || isCopiedVerbatim(f)),
  ];

  // Dependencies from the import map.
  const dependencies: Record<string, string> = {};
  for (const [alias, spec] of Object.entries(denoJson.imports ?? {})) {
    if (spec.startsWith("npm:")) {
      const parsed = parseNpmSpecifier(spec);
      if (!parsed) fail(`cannot parse npm specifier ${spec} for "${alias}"`);
      dependencies[parsed[0]] = parsed[1];
    } else if (spec.startsWith("jsr:") || /^https?:/.test(spec)) {
      fail(`import "${alias}" -> ${spec} cannot be shipped to npm; use an npm: dependency`);
    }
  }

  // Fresh output directory and tsconfig.
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const tsconfigFile = path.join(DIST, "tsconfig.npm.json");
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      // ES2023 is what Node 20 implements: newer built-ins fail the build instead of at run time.
      lib: ["ES2023", "DOM", "DOM.Iterable", "DOM.AsyncIterable"],
      types: ["node"],
      strict: true,
      declaration: true,
      rootDir: "..",
      outDir: "npm",
      rewriteRelativeImportExtensions: true,
      allowImportingTsExtensions: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmitOnError: true,
      forceConsistentCasingInFileNames: true,
      newLine: "lf",
    },
    files: compiled.map((f) => path.relative(DIST, path.join(ROOT, f))),
  };
  fs.writeFileSync(tsconfigFile, JSON.stringify(tsconfig, null, 2) + "\n");

  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  if (!fs.existsSync(tsc)) fail(`${tsc} not found: run \`npm ci\` first`);
  console.log(`build_npm: tsc: compiling ${compiled.length} files`);
  const r = spawnSync("node", [tsc, "-p", tsconfigFile], { cwd: ROOT, stdio: "inherit" });
  if (r.error) fail(`could not run node: ${r.error.message}`);
  if (r.status !== 0) fail(`tsc failed (exit ${r.status}): type errors above; nothing was emitted`);
  for (const f of compiled) {
    if (!fs.existsSync(path.join(OUT, jsPath(f)))) fail(`tsc did not emit ${jsPath(f)}`);
  }

  // Fixtures and peer scripts.
  for (const f of copied) {
    const dest = path.join(OUT, f);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), dest);
    fs.chmodSync(dest, fs.statSync(path.join(ROOT, f)).mode & 0o777);
  }

  // package.json
  const npmExports: Record<string, { types: string; default: string }> = {};
  for (const [key, value] of Object.entries(exportsMap)) {
    const rel = `./${path.posix.normalize(value)}`;
    npmExports[key] = { types: dtsPath(rel), default: jsPath(rel) };
  }
  const cliTs = exportsMap["./cli"];
  const bin = cliTs ? { [NPM_NAME]: jsPath(`./${path.posix.normalize(cliTs)}`) } : undefined;
  const mainEntry = npmExports["."];
  const pkg = {
    name: NPM_NAME,
    version: denoJson.version,
    description: denoJson.description ??
      "TLS 1.2/1.3 client and server in TypeScript for Deno, Bun and Node",
    license: denoJson.license ?? "MIT",
    type: "module",
    ...(mainEntry ? { main: mainEntry.default, types: mainEntry.types } : {}),
    exports: npmExports,
    ...(bin ? { bin } : {}),
    files: [
      ...(mainEntry ? [mainEntry.default.slice(2), mainEntry.types.slice(2)] : []),
      "src/",
      "README.md",
      "LICENSE",
    ],
    engines: { node: NODE_ENGINE },
    dependencies,
  };
  fs.writeFileSync(path.join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");

  // The CLI: node shebang (replacing any deno one), executable.
  if (bin) {
    const cliJs = path.join(OUT, bin[NPM_NAME]);
    const code = fs.readFileSync(cliJs, "utf8").replace(/^#!.*\n/, "");
    fs.writeFileSync(cliJs, `#!/usr/bin/env node\n${code}`);
    fs.chmodSync(cliJs, 0o755);
  }

  for (const doc of ["README.md", "LICENSE"]) {
    const src = path.join(ROOT, doc);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(OUT, doc));
    else console.warn(`build_npm: warning: ${doc} is missing; the npm package will lack it`);
  }

  // What `npm publish` would ship: never the compiled tests.
  const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: OUT,
    encoding: "utf8",
  });
  if (pack.status === 0) {
    const files: string[] = JSON.parse(pack.stdout)[0].files.map((f: { path: string }) => f.path);
    const leaked = files.filter((f) => f.startsWith("tests/"));
    if (leaked.length > 0) fail(`the package would include test files: ${leaked.join(", ")}`);
    console.log(`build_npm: package ${NPM_NAME}@${pkg.version}: ${files.length} files to publish`);
  } else {
    console.warn(`build_npm: warning: npm pack --dry-run failed: ${pack.stderr ?? pack.error}`);
  }

  const compiledTests = compiled.filter((f) => f.startsWith(`tests${path.sep}`)).length;
  console.log(
    `build_npm: wrote ${path.relative(ROOT, OUT)}/ (${compiled.length - compiledTests} library ` +
      `files, ${compiledTests} test files, ${copied.length} copied) in ${Date.now() - started} ms`,
  );
}

main();
