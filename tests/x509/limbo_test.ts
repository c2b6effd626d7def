// Runs every x509-limbo testcase (tests/vectors/x509-limbo/limbo.json) through verifyChain with the
// web-PKI profile and checks that the disagreements are exactly the documented ones below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CertificateDecodeError, CertVerifyError } from "../../src/x509/errors.ts";
import { pemDecode } from "../../src/x509/pem.ts";
import { TrustStore } from "../../src/x509/trust_store.ts";
import { verifyChain } from "../../src/x509/verify.ts";

interface Testcase {
  id: string;
  conflicts_with: string[];
  validation_kind: "SERVER" | "CLIENT";
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_peer_name: { kind: "DNS" | "IP" | "RFC822"; value: string } | null;
  max_chain_depth: number | null;
  crls: string[] | null;
  expected_result: "SUCCESS" | "FAILURE";
}

/**
 * The corpus is vendored in tests/vectors/x509-limbo (Apache-2.0, see its LICENSE); the build
 * copies it beside the compiled tests.
 */
function limboPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "vectors", "x509-limbo", "limbo.json");
}

/** Testcases whose expectation we knowingly do not meet, each with the reason. */
const KNOWN: Record<string, string> = {
  "cve::cve-2024-0567":
    "its trusted 'Root A' is cross-signed (issuer x509-limbo-root) and lacks an AKI: the very " +
    "construction rfc5280::aki::cross-signed-root-missing-aki requires rejecting (strict)",
  "pathlen::validation-ignores-pathlen-in-leaf":
    "the leaf is a CA (cA=TRUE, keyUsage keyCertSign only): refused as a TLS server " +
    "certificate, like webpki::ca-as-leaf whose leaf is built identically",
  "rfc5280::nc::permitted-dns-match-more":
    "CN example.com is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
  "rfc5280::nc::permitted-ipv4-match":
    "CN example.com is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
  "rfc5280::nc::permitted-ipv6-match":
    "CN example.com is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
  "rfc5280::nc::permitted-dn-match":
    "CN foo is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
  "webpki::nc::nc-permits-dns-san-pattern":
    "CN example.com is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
  "webpki::san::exact-localhost-ip-san":
    "CN example.com is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
  "webpki::san::leftmost-wildcard-san":
    "CN example.com is not a copy of a SAN; webpki::cn::* requires rejecting that (CABF 7.1.4.3)",
};

/** The RFC 5280 side of a pair that conflicts with the web PKI profile, which we follow. */
function skipReason(tc: Testcase): string | undefined {
  if (tc.id.startsWith("rfc5280::") && tc.conflicts_with.length > 0) {
    return `RFC 5280 profile; we follow ${tc.conflicts_with.join(", ")}`;
  }
  return undefined;
}

async function run(tc: Testcase): Promise<{ ok: boolean; why: string }> {
  try {
    const trustStore = new TrustStore();
    for (const pem of tc.trusted_certs) trustStore.addPem(pem);
    const crls = (tc.crls ?? []).flatMap((p) => pemDecode(p, "X509 CRL"));
    const name = tc.expected_peer_name;
    const { chain } = await verifyChain({
      leaf: pemDecode(tc.peer_certificate, "CERTIFICATE")[0],
      intermediates: tc.untrusted_intermediates.flatMap((p) => pemDecode(p, "CERTIFICATE")),
      trustStore,
      purpose: tc.validation_kind === "CLIENT" ? "clientAuth" : "serverAuth",
      expectedName: name && name.kind !== "RFC822"
        ? { kind: name.kind, value: name.value }
        : undefined,
      time: tc.validation_time ? new Date(tc.validation_time) : undefined,
      maxDepth: tc.max_chain_depth ?? undefined,
      crls,
      flags: { partialChain: true, strict: true, webpki: true, crlCheckLeaf: crls.length > 0 },
    });
    return { ok: true, why: `path of ${chain.length}` };
  } catch (e) {
    if (e instanceof CertVerifyError || e instanceof CertificateDecodeError) {
      return { ok: false, why: e.message };
    }
    throw e;
  }
}

test("x509-limbo: disagreements are exactly the documented exceptions", async () => {
  const { testcases } = JSON.parse(readFileSync(limboPath(), "utf8")) as { testcases: Testcase[] };
  assert.equal(testcases.length, 208);
  const start = performance.now();
  let agree = 0, falseAccepts = 0, falseRejects = 0, skipped = 0;
  const disagreements: string[] = [];
  for (const tc of testcases) {
    const { ok, why } = await run(tc);
    const skip = skipReason(tc);
    if (skip) {
      skipped++;
      continue;
    }
    if (ok === (tc.expected_result === "SUCCESS")) {
      agree++;
      continue;
    }
    if (ok) falseAccepts++;
    else falseRejects++;
    disagreements.push(tc.id);
    if (!KNOWN[tc.id]) console.log(`unexpected: ${tc.id} (${ok ? "accepted" : why})`);
  }
  const ms = performance.now() - start;
  console.log(
    `x509-limbo: agree ${agree} of ${testcases.length} (${skipped} RFC 5280 conflicts skipped), ` +
      `false accepts ${falseAccepts}, false rejects ${falseRejects}, ${ms.toFixed(0)} ms`,
  );
  assert.equal(falseAccepts, 0);
  assert.deepEqual(disagreements.sort(), Object.keys(KNOWN).sort());
});
