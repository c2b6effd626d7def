import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { fromUtf8 } from "../../src/_bytes.ts";
import { SSLError } from "../../src/errors.ts";
import {
  generateCertificateAuthority,
  type GeneratedCertificate,
  type GeneratedKeyType,
  issueCertificate,
} from "../../src/x509/generate.ts";
import { keyMatchesCertificate } from "../../src/x509/key_match.ts";
import { parsePrivateKey } from "../../src/x509/private_key.ts";

let dir = "";

function openssl(...args: string[]): string {
  try {
    return fromUtf8(execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }));
  } catch (e) {
    const err = e as { code?: string; stdout?: Uint8Array; stderr?: Uint8Array };
    if (err.code === "ENOENT") {
      throw new Error("openssl is not installed: run `apt-get install -y openssl`");
    }
    const out = fromUtf8(err.stdout ?? new Uint8Array()) + fromUtf8(err.stderr ?? new Uint8Array());
    throw new Error(`openssl ${args.join(" ")} failed: ${out}`);
  }
}

function save(name: string, cert: GeneratedCertificate): void {
  writeFileSync(join(dir, `${name}.pem`), cert.certPem);
  writeFileSync(join(dir, `${name}.key`), cert.keyPem);
}

/** The certificate's SubjectPublicKeyInfo, as OpenSSL reads it. */
function spkiOf(name: string): Uint8Array {
  openssl("x509", "-in", `${name}.pem`, "-pubkey", "-noout", "-out", `${name}.spki.pem`);
  openssl("pkey", "-pubin", "-in", `${name}.spki.pem`, "-outform", "DER", "-out", `${name}.spki`);
  return new Uint8Array(execFileSync("cat", [join(dir, `${name}.spki`)]));
}

/**
 * Serves `leaf` (plus `chain`) with node:tls and connects with node:tls trusting only `ca`,
 * once by name (`localhost`) and once by IP (127.0.0.1, checked against the IP SAN).
 */
async function tlsRoundTrip(ca: string, leaf: GeneratedCertificate, chain = ""): Promise<void> {
  const server = tls.createServer({ key: leaf.keyPem, cert: leaf.certPem + chain }, (socket) => {
    socket.end("hello from webtls-generated certificate\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    for (const servername of ["localhost", undefined]) {
      const text = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca, servername }, () => {
          if (!socket.authorized) reject(socket.authorizationError);
        });
        let got = "";
        socket.setEncoding("utf8");
        socket.on("data", (d: string) => (got += d));
        socket.on("end", () => resolve(got));
        socket.on("error", reject);
      });
      assert.equal(text, "hello from webtls-generated certificate\n");
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "webtls-generate-"));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const LOCALHOST = {
  commonName: "localhost",
  dnsNames: ["localhost"],
  ipAddresses: ["127.0.0.1", "::1"],
};

describe("generateCertificateAuthority / issueCertificate", () => {
  const types: GeneratedKeyType[] = ["P-256", "P-384", "RSA-2048", "Ed25519"];
  for (const type of types) {
    it(`makes a ${type} CA and leaf that OpenSSL verifies strictly`, async () => {
      const ca = await generateCertificateAuthority({
        commonName: `webtls ${type} CA`,
        keyType: type,
      });
      const leaf = await issueCertificate(ca, { ...LOCALHOST, keyType: type, clientAuth: true });
      const name = type.toLowerCase();
      save(`${name}-ca`, ca);
      save(`${name}-leaf`, leaf);
      const verified = openssl(
        "verify",
        "-x509_strict",
        "-purpose",
        "sslserver",
        "-CAfile",
        `${name}-ca.pem`,
        `${name}-leaf.pem`,
      );
      assert.match(verified, /OK/);
      openssl(
        "verify",
        "-x509_strict",
        "-purpose",
        "sslclient",
        "-CAfile",
        `${name}-ca.pem`,
        `${name}-leaf.pem`,
      );

      const leafKey = await parsePrivateKey(leaf.keyPem);
      assert.ok(await keyMatchesCertificate(leafKey, spkiOf(`${name}-leaf`)));
      assert.ok(
        await keyMatchesCertificate(await parsePrivateKey(ca.keyPkcs8Der), spkiOf(`${name}-ca`)),
      );
    });
  }

  it("writes the extensions RFC 5280 asks for", async () => {
    const ca = await generateCertificateAuthority({ commonName: "ext CA" });
    const leaf = await issueCertificate(ca, { ...LOCALHOST, keyType: "RSA-2048" });
    save("ext-ca", ca);
    save("ext-leaf", leaf);
    const caText = openssl("x509", "-in", "ext-ca.pem", "-noout", "-text");
    assert.match(caText, /Version: 3/);
    assert.match(caText, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(caText, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    assert.match(caText, /Subject Key Identifier/);
    assert.match(caText, /Signature Algorithm: ecdsa-with-SHA256/);
    const text = openssl("x509", "-in", "ext-leaf.pem", "-noout", "-text");
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
    assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication\n/);
    assert.match(text, /DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text, /Issuer: CN = ext CA/);
    assert.match(text, /Subject: CN = localhost/);
    // AKI of the leaf is the CA's SKI.
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
    assert.ok(ski);
    assert.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`));
    // 16-byte positive serial; validity from an hour ago.
    const serial = openssl("x509", "-in", "ext-leaf.pem", "-noout", "-serial").trim().split("=")[1];
    assert.ok(serial.length <= 32 && serial.length >= 31, serial);
    assert.ok(parseInt(serial[0], 16) < 8 || serial.length === 31);
    const start =
      openssl("x509", "-in", "ext-leaf.pem", "-noout", "-startdate").trim().split("=")[1];
    const skew = Date.now() - Date.parse(start);
    assert.ok(skew > 3590_000 && skew < 3700_000, `notBefore is ${skew} ms ago`);
  });

  it("issues through an intermediate CA", async () => {
    const root = await generateCertificateAuthority({ commonName: "root", keyType: "P-384" });
    const int = await issueCertificate(root, {
      commonName: "intermediate",
      isCA: true,
      keyType: "RSA-2048",
    });
    const leaf = await issueCertificate(int, { ...LOCALHOST, keyType: "P-256" });
    save("root", root);
    save("int", int);
    save("int-leaf", leaf);
    assert.match(openssl("x509", "-in", "int.pem", "-noout", "-text"), /CA:TRUE/);
    assert.doesNotMatch(openssl("x509", "-in", "int.pem", "-noout", "-text"), /Extended Key Usage/);
    openssl(
      "verify",
      "-x509_strict",
      "-purpose",
      "sslserver",
      "-CAfile",
      "root.pem",
      "-untrusted",
      "int.pem",
      "int-leaf.pem",
    );
    await tlsRoundTrip(root.certPem, leaf, int.certPem);
  });

  it("leaves out EKU when neither serverAuth nor clientAuth is asked for", async () => {
    const ca = await generateCertificateAuthority({ commonName: "no-eku CA" });
    const leaf = await issueCertificate(ca, { commonName: "plain", serverAuth: false });
    save("plain", leaf);
    assert.doesNotMatch(
      openssl("x509", "-in", "plain.pem", "-noout", "-text"),
      /Extended Key Usage|Alternative/,
    );
  });
});

describe("generated certificates serve TLS with node:tls", () => {
  const pairs: [GeneratedKeyType, GeneratedKeyType][] = [
    ["P-256", "P-256"],
    ["RSA-2048", "P-384"],
    ["P-384", "RSA-2048"],
    ["Ed25519", "Ed25519"],
  ];
  for (const [caType, leafType] of pairs) {
    it(`a ${leafType} leaf from a ${caType} CA`, async () => {
      const ca = await generateCertificateAuthority({
        commonName: `tls ${caType} CA`,
        keyType: caType,
      });
      const leaf = await issueCertificate(ca, { ...LOCALHOST, keyType: leafType });
      await tlsRoundTrip(ca.certPem, leaf);
    });
  }

  it("rejects a server whose CA is not trusted", async () => {
    const ca = await generateCertificateAuthority({ commonName: "trusted" });
    const other = await generateCertificateAuthority({ commonName: "other" });
    const leaf = await issueCertificate(other, LOCALHOST);
    await assert.rejects(tlsRoundTrip(ca.certPem, leaf));
  });
});

describe("generate: option and issuer checks", () => {
  it("rejects bad names, addresses and lifetimes", async () => {
    const ca = await generateCertificateAuthority({ commonName: "checks" });
    await assert.rejects(generateCertificateAuthority({ commonName: "" }), TypeError);
    await assert.rejects(generateCertificateAuthority({ commonName: "x", days: 0 }), RangeError);
    await assert.rejects(
      issueCertificate(ca, { commonName: "x", ipAddresses: ["256.0.0.1"] }),
      TypeError,
    );
    await assert.rejects(
      issueCertificate(ca, { commonName: "x", ipAddresses: ["1::2::3"] }),
      TypeError,
    );
    await assert.rejects(
      issueCertificate(ca, { commonName: "x", dnsNames: ["bad name"] }),
      TypeError,
    );
    await assert.rejects(
      issueCertificate(ca, { commonName: "x", keyType: "P-999" as GeneratedKeyType }),
      TypeError,
    );
  });

  it("accepts IPv6 forms and wildcard DNS names", async () => {
    const ca = await generateCertificateAuthority({ commonName: "v6" });
    const leaf = await issueCertificate(ca, {
      commonName: "v6",
      dnsNames: ["*.example.com", "a-b.example"],
      ipAddresses: ["fe80::1", "::", "2001:db8::10.0.0.1", "2001:db8:0:0:0:0:0:1"],
    });
    save("v6", leaf);
    const text = openssl("x509", "-in", "v6.pem", "-noout", "-text");
    assert.match(text, /DNS:\*\.example\.com, DNS:a-b\.example, IP Address:FE80:0:0:0:0:0:0:1/);
    assert.match(
      text,
      /IP Address:0:0:0:0:0:0:0:0, IP Address:2001:DB8:0:0:0:0:A00:1, IP Address:2001:DB8:0:0:0:0:0:1/,
    );
  });

  it("refuses an issuer that is not a CA or whose key does not match", async () => {
    const ca = await generateCertificateAuthority({ commonName: "real CA" });
    const leaf = await issueCertificate(ca, LOCALHOST);
    await assert.rejects(issueCertificate(leaf, LOCALHOST), /not a CA/);
    const other = await generateCertificateAuthority({ commonName: "other CA" });
    await assert.rejects(
      issueCertificate({ certDer: ca.certDer, keyPkcs8Der: other.keyPkcs8Der }, LOCALHOST),
      (e: unknown) => e instanceof SSLError && e.reason === "KEY_VALUES_MISMATCH",
    );
  });
});
