// Path validation on chains made at test time by the openssl CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Certificate } from "../../src/x509/certificate.ts";
import { CertificateDecodeError, CertVerifyError } from "../../src/x509/errors.ts";
import { TrustStore } from "../../src/x509/trust_store.ts";
import { verifyChain, type VerifyInput } from "../../src/x509/verify.ts";
import { CA_EXT, Pki, serverExt } from "./_pki.ts";

const pki = new Pki();
const root = pki.make({ name: "root", ext: CA_EXT });
const inter = pki.make({ name: "inter", issuer: "root", ext: CA_EXT });
const leaf = pki.make({
  name: "leaf",
  subject: "/CN=localhost",
  issuer: "inter",
  ext: serverExt("DNS:localhost", "DNS:*.example.test", "IP:127.0.0.1", "IP:::1"),
});
const otherRoot = pki.make({ name: "other-root", ext: CA_EXT });

function store(...ders: Uint8Array[]): TrustStore {
  const s = new TrustStore();
  for (const d of ders) s.add(d);
  return s;
}

const base: VerifyInput = {
  leaf,
  intermediates: [inter],
  trustStore: store(root),
  flags: { partialChain: true, strict: true },
};

async function rejects(
  input: VerifyInput,
  code: number,
  message?: string,
): Promise<CertVerifyError> {
  try {
    await verifyChain(input);
  } catch (e) {
    assert.ok(e instanceof CertVerifyError, `expected CertVerifyError, got ${e}`);
    assert.equal(e.code, code, `code ${e.code} (${e.message})`);
    if (message !== undefined) assert.equal(e.verifyMessage, message);
    return e;
  }
  assert.fail(`verification succeeded, expected code ${code}`);
}

test("a chain through an intermediate verifies, leaf first", async () => {
  const { chain, anchor } = await verifyChain({
    ...base,
    expectedName: { kind: "DNS", value: "localhost" },
  });
  assert.deepEqual(chain.map((c) => c.subject.toString()), ["CN=localhost", "CN=inter", "CN=root"]);
  assert.equal(anchor.subject.toString(), "CN=root");
});

test("intermediates in any order, with junk and duplicates, still verify", async () => {
  const { chain } = await verifyChain({
    ...base,
    intermediates: [otherRoot, new Uint8Array([1, 2, 3]), inter, root, inter],
    expectedName: { kind: "IP", value: "127.0.0.1" },
  });
  assert.equal(chain.length, 3);
});

test("an expired leaf from a trusted CA fails with 10", async () => {
  const expired = pki.issueDated({
    name: "expired",
    subject: "/CN=localhost",
    issuer: "inter",
    ext: serverExt("DNS:localhost"),
    start: "20200101000000Z",
    end: "20200102000000Z",
  });
  await rejects({ ...base, leaf: expired }, 10, "certificate has expired");
  // Before its CA existed: the CA is not yet valid (checked from the anchor down).
  const e = await rejects({ ...base, leaf: expired, time: new Date("2020-01-01T12:00:00Z") }, 9);
  assert.equal(e.depth, 2);
  // OpenSSL checks the host name before the validity period.
  await rejects(
    { ...base, leaf: expired, expectedName: { kind: "DNS", value: "other.test" } },
    62,
  );
});

test("a self-signed leaf that is not trusted fails with 18", async () => {
  const self = pki.make({
    name: "self",
    subject: "/CN=localhost",
    ext: [...serverExt("DNS:localhost").slice(0, 4), "subjectAltName = DNS:localhost"],
  });
  await rejects({ ...base, leaf: self, intermediates: [] }, 18, "self-signed certificate");
  // Trusted as is (pinned), it verifies.
  const { chain } = await verifyChain({
    ...base,
    leaf: self,
    trustStore: store(self),
    expectedName: { kind: "DNS", value: "localhost" },
  });
  assert.equal(chain.length, 1);
});

test("a chain ending in an untrusted root fails with 19", async () => {
  await rejects(
    { ...base, intermediates: [inter, root], trustStore: store(otherRoot) },
    19,
    "self-signed certificate in certificate chain",
  );
});

test("a missing intermediate or an unknown CA fails with 20", async () => {
  await rejects({ ...base, intermediates: [] }, 20, "unable to get local issuer certificate");
  await rejects({ ...base, trustStore: store(otherRoot) }, 20);
});

test("a wrong host name fails with 62, in Python's words", async () => {
  await rejects(
    { ...base, expectedName: { kind: "DNS", value: "example.com" } },
    62,
    "Hostname mismatch, certificate is not valid for 'example.com'.",
  );
  // checkHostname off: the name is not checked.
  await verifyChain({ ...base, expectedName: { kind: "DNS", value: "x.y" }, checkHostname: false });
});

test("a wrong IP address fails with 64; IPs never match DNS names", async () => {
  await rejects(
    { ...base, expectedName: { kind: "IP", value: "127.0.0.2" } },
    64,
    "IP address mismatch, certificate is not valid for '127.0.0.2'.",
  );
  await verifyChain({ ...base, expectedName: { kind: "IP", value: "0:0::1" } });
  // An address passed as a DNS name is matched as an address, never against a dNSName.
  await verifyChain({ ...base, expectedName: { kind: "DNS", value: "127.0.0.1" } });
  const dnsIp = pki.make({ name: "dns-ip", issuer: "inter", ext: serverExt("DNS:10.9.9.9") });
  await rejects({ ...base, leaf: dnsIp, expectedName: { kind: "DNS", value: "10.9.9.9" } }, 64);
});

test("wildcards match one left-most label only", async () => {
  await verifyChain({ ...base, expectedName: { kind: "DNS", value: "www.example.test" } });
  await verifyChain({ ...base, expectedName: { kind: "DNS", value: "WWW.Example.TEST." } });
  await rejects({ ...base, expectedName: { kind: "DNS", value: "a.b.example.test" } }, 62);
  await rejects({ ...base, expectedName: { kind: "DNS", value: "example.test" } }, 62);
});

test("pathLenConstraint 0 forbids a further CA (25)", async () => {
  pki.make({
    name: "pl0",
    issuer: "root",
    ext: ["basicConstraints = critical, CA:TRUE, pathlen:0", ...CA_EXT.slice(1)],
  });
  const sub = pki.make({ name: "pl0-sub", issuer: "pl0", ext: CA_EXT });
  const l = pki.make({
    name: "pl0-leaf",
    subject: "/CN=localhost",
    issuer: "pl0-sub",
    ext: serverExt("DNS:localhost"),
  });
  await rejects({ ...base, leaf: l, intermediates: [sub, pki.der("pl0")] }, 25);
  // One level below a pathlen:0 CA is fine.
  const direct = pki.make({
    name: "pl0-direct",
    subject: "/CN=localhost",
    issuer: "pl0",
    ext: serverExt("DNS:localhost"),
  });
  await verifyChain({ ...base, leaf: direct, intermediates: [pki.der("pl0")] });
});

test("an intermediate without cA=TRUE is not a CA (79)", async () => {
  pki.make({
    name: "not-ca",
    issuer: "root",
    ext: [
      "basicConstraints = critical, CA:FALSE",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid",
    ],
  });
  const l = pki.make({ name: "not-ca-leaf", issuer: "not-ca", ext: serverExt("DNS:localhost") });
  await rejects(
    { ...base, leaf: l, intermediates: [pki.der("not-ca")] },
    79,
    "invalid CA certificate",
  );
});

test("a clientAuth-only leaf is unsuitable for serverAuth (26)", async () => {
  const client = pki.make({
    name: "client",
    issuer: "inter",
    ext: [
      ...serverExt("DNS:localhost").filter((l) => !l.startsWith("extended")),
      "extendedKeyUsage = clientAuth",
    ],
  });
  await rejects({ ...base, leaf: client }, 26, "unsuitable certificate purpose");
  await verifyChain({ ...base, leaf: client, purpose: "clientAuth" });
});

test("a CA certificate as a TLS server leaf is refused (37)", async () => {
  const caLeaf = pki.make({
    name: "ca-leaf",
    issuer: "inter",
    ext: [...CA_EXT, "subjectAltName = DNS:localhost"],
  });
  await rejects({ ...base, leaf: caLeaf }, 37);
});

test("CN-only certificates match only with hostnameChecksCommonName", async () => {
  const cnOnly = pki.make({
    name: "cn-only",
    subject: "/CN=legacy.test",
    issuer: "inter",
    ext: serverExt(),
  });
  const input: VerifyInput = {
    ...base,
    leaf: cnOnly,
    expectedName: { kind: "DNS", value: "legacy.test" },
  };
  await rejects(input, 62);
  await verifyChain({ ...input, hostnameChecksCommonName: true });
  // Never for an IP address.
  const cnIp = pki.make({
    name: "cn-ip",
    subject: "/CN=10.0.0.1",
    issuer: "inter",
    ext: serverExt(),
  });
  await rejects(
    {
      ...base,
      leaf: cnIp,
      expectedName: { kind: "IP", value: "10.0.0.1" },
      hostnameChecksCommonName: true,
    },
    64,
  );
});

test("partial chain: a trusted intermediate is an anchor only with the flag", async () => {
  const { chain } = await verifyChain({ ...base, intermediates: [], trustStore: store(inter) });
  assert.equal(chain.length, 2);
  await rejects(
    { ...base, intermediates: [], trustStore: store(inter), flags: { partialChain: false } },
    2,
    "unable to get issuer certificate",
  );
});

test("RSA, RSA-PSS, P-384 and Ed25519 signatures verify", async () => {
  pki.make({ name: "rsa-root", key: "rsa", ext: CA_EXT });
  pki.make({
    name: "pss-inter",
    key: "ec384",
    issuer: "rsa-root",
    ext: CA_EXT,
    args: ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"],
  });
  pki.make({
    name: "ed-inter",
    key: "ed25519",
    issuer: "pss-inter",
    ext: CA_EXT,
    args: ["-sha384"],
  });
  const l = pki.make({
    name: "ed-leaf",
    key: "ed25519",
    subject: "/CN=localhost",
    issuer: "ed-inter",
    ext: serverExt("DNS:localhost"),
  });
  const { chain } = await verifyChain({
    ...base,
    leaf: l,
    intermediates: [pki.der("ed-inter"), pki.der("pss-inter")],
    trustStore: store(pki.der("rsa-root")),
    expectedName: { kind: "DNS", value: "localhost" },
  });
  assert.deepEqual(chain.map((c) => c.publicKey.type), ["ed25519", "ed25519", "ecdsa", "rsa"]);
});

test("a SHA-1 signature (68) and an RSA-1024 key (66) are refused", async () => {
  const sha1 = pki.make({
    name: "sha1-leaf",
    issuer: "inter",
    ext: serverExt("DNS:localhost"),
    args: ["-sha1"],
  });
  await rejects({ ...base, leaf: sha1 }, 68);
  const weak = pki.make({
    name: "weak-leaf",
    key: "rsa1024",
    issuer: "inter",
    ext: serverExt("DNS:localhost"),
  });
  await rejects({ ...base, leaf: weak }, 66, "EE certificate key too weak");
});

test("a tampered signature fails with 7", async () => {
  const bad = new Uint8Array(leaf);
  bad[bad.length - 5] ^= 1;
  await rejects({ ...base, leaf: bad }, 7, "certificate signature failure");
});

test("chain too long for maxDepth (22)", async () => {
  await rejects({ ...base, maxDepth: 0 }, 22, "certificate chain too long");
  await verifyChain({ ...base, maxDepth: 1 });
});

test("CRLs: a revoked leaf fails with 23 when CRL checking is on", async () => {
  const crlRoot = pki.make({ name: "crl-root", ext: CA_EXT });
  const l = pki.issueDated({
    name: "crl-leaf",
    subject: "/CN=localhost",
    issuer: "crl-root",
    ext: serverExt("DNS:localhost"),
    start: "20240101000000Z",
    end: "20990101000000Z",
  });
  const input: VerifyInput = { ...base, leaf: l, intermediates: [], trustStore: store(crlRoot) };
  const clean = pki.crl("crl-root");
  await verifyChain({ ...input, crls: [clean], flags: { crlCheckLeaf: true } });
  await rejects({ ...input, flags: { crlCheckLeaf: true } }, 3, "unable to get certificate CRL");
  const crl = pki.revoke("crl-root", "crl-leaf");
  await verifyChain({ ...input, crls: [crl] });
  await rejects(
    { ...input, crls: [crl], flags: { crlCheckLeaf: true } },
    23,
    "certificate revoked",
  );
  // The trust store's CRLs count too.
  const s = store(crlRoot);
  s.addCrl(crl);
  await rejects({ ...input, trustStore: s, flags: { crlCheckChain: true } }, 23);
});

test("requireExplicitPolicy: the leaf must assert an acceptable policy (43)", async () => {
  pki.make({
    name: "pol-ca",
    issuer: "root",
    ext: [
      ...CA_EXT,
      "policyConstraints = critical, requireExplicitPolicy:0",
      "certificatePolicies = 1.3.6.1.4.1.99999.1",
    ],
  });
  const without = pki.make({ name: "pol-none", issuer: "pol-ca", ext: serverExt("DNS:localhost") });
  await rejects(
    { ...base, leaf: without, intermediates: [pki.der("pol-ca")] },
    43,
    "no explicit policy",
  );
  const other = pki.make({
    name: "pol-other",
    issuer: "pol-ca",
    ext: [...serverExt("DNS:localhost"), "certificatePolicies = 1.3.6.1.4.1.99999.2"],
  });
  await rejects({ ...base, leaf: other, intermediates: [pki.der("pol-ca")] }, 43);
  const good = pki.make({
    name: "pol-good",
    issuer: "pol-ca",
    ext: [...serverExt("DNS:localhost"), "certificatePolicies = 1.3.6.1.4.1.99999.1"],
  });
  await verifyChain({ ...base, leaf: good, intermediates: [pki.der("pol-ca")] });
});

test("mutated certificates end in typed errors only", async () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let i = 0; i < 2000; i++) {
    const m = new Uint8Array(i % 2 ? leaf : inter);
    for (let k = 0; k <= rnd(3); k++) m[rnd(m.length)] = rnd(256);
    const input = i % 2 ? { ...base, leaf: m } : { ...base, intermediates: [m] };
    try {
      await verifyChain(input);
    } catch (e) {
      assert.ok(e instanceof CertVerifyError || e instanceof CertificateDecodeError, String(e));
    }
  }
});

test("a malformed leaf is a CertificateDecodeError, never a crash", async () => {
  for (const junk of [new Uint8Array(0), new Uint8Array([0x30, 0x80]), leaf.subarray(0, 100)]) {
    await assert.rejects(verifyChain({ ...base, leaf: junk }), CertificateDecodeError);
  }
  assert.throws(
    () => Certificate.fromDer(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])),
    CertificateDecodeError,
  );
});

test("cleanup", () => {
  pki.dispose();
});
