/**
 * TLS 1.3 record protection (seal + frame + deframe + open) of 16 KiB records with
 * AES-128-GCM, against bare WebCrypto AES-GCM encrypt + decrypt of the same sizes, in the same
 * run, with 1, 8 and 32 records in flight. Prints MB/s of payload and the ratio.
 *
 *   node_modules/.bin/deno run -A bench/record_bench.ts [--mib 64] [--rounds 3] [--json]
 *   node_modules/.bin/bun bench/record_bench.ts
 *   bash scripts/bench_node.sh bench/record_bench.ts
 * @module
 */
import type { Bytes } from "../src/_bytes.ts";
import { CipherSuiteId, ContentType } from "../src/constants.ts";
import { suiteById } from "../src/crypto/suites.ts";
import { defaultProvider } from "../src/crypto/webcrypto.ts";
import { Deframer, RecordLimit } from "../src/record/deframer.ts";
import { RecordProtection13 } from "../src/record/protection13.ts";
import { note, numberOption, report, type Result } from "./_util.ts";

const RECORD = 16384;
const MIB = numberOption("mib", 64);
const TOTAL = MIB * 1024 * 1024;
const ROUNDS = numberOption("rounds", 3);
const suite = suiteById(CipherSuiteId.TLS_AES_128_GCM_SHA256)!;
const key = defaultProvider.random(16);
const iv = defaultProvider.random(12);

/** Seals `inFlight` records per call, then deframes and opens them all concurrently. */
async function webtls(inFlight: number): Promise<number> {
  const writer = await RecordProtection13.create(defaultProvider, suite, { key, iv });
  const reader = await RecordProtection13.create(defaultProvider, suite, { key, iv });
  const deframer = new Deframer();
  deframer.maxFragment = RecordLimit.tls13;
  const batch = defaultProvider.random(RECORD * inFlight);
  const start = performance.now();
  let moved = 0;
  while (moved < TOTAL) {
    deframer.push(await writer.seal(ContentType.application_data, batch));
    const opens = [];
    for (let r = deframer.next(); r; r = deframer.next()) opens.push(reader.open(r));
    for (const o of await Promise.all(opens)) moved += o.data.byteLength;
  }
  return moved / ((performance.now() - start) / 1000) / 1e6;
}

/** The ceiling: WebCrypto AES-GCM encrypt then decrypt, `inFlight` records at a time. */
async function raw(inFlight: number): Promise<number> {
  const subtle = globalThis.crypto.subtle;
  const k = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
  const payload = defaultProvider.random(RECORD + 1);
  const aad = new Uint8Array(5);
  const nonces: Bytes[] = Array.from({ length: inFlight }, () => defaultProvider.random(12));
  const start = performance.now();
  let moved = 0;
  while (moved < TOTAL) {
    const sealed = await Promise.all(
      nonces.map((n) =>
        subtle.encrypt({ name: "AES-GCM", iv: n, additionalData: aad }, k, payload)
      ),
    );
    const opened = await Promise.all(
      sealed.map((c, i) =>
        subtle.decrypt({ name: "AES-GCM", iv: nonces[i], additionalData: aad }, k, c)
      ),
    );
    for (const o of opened) moved += o.byteLength - 1;
  }
  return moved / ((performance.now() - start) / 1000) / 1e6;
}

await webtls(8);
await raw(8);
const results: Result[] = [];
for (const n of [1, 8, 32]) {
  note(`${n} record(s) in flight: ${ROUNDS} rounds of ${MIB} MiB`);
  // Alternate the two so that drift in machine load hits both alike; keep each one's best.
  let ours = 0, ceiling = 0;
  for (let i = 0; i < ROUNDS; i++) {
    ours = Math.max(ours, await webtls(n));
    ceiling = Math.max(ceiling, await raw(n));
  }
  results.push({
    bench: "record",
    name: `seal+open, ${n} in flight, MB/s`,
    ours,
    theirs: ceiling,
    reference: "WebCrypto",
    unit: "MB/s",
  });
}
report(
  "TLS 1.3 record protection (seal, frame, deframe, open) of 16 KiB AES-128-GCM records " +
    "vs bare WebCrypto AES-GCM encrypt+decrypt",
  results,
);
