// getpeercert() dicts compared with what Python's ssl._ssl._test_decode_cert() prints for the
// same certificates; Python's certificate helper functions compared the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultVerifyPaths, loadSystemRoots } from "../../src/ssl/_system_roots.ts";
import { Certificate } from "../../src/x509/certificate.ts";
import { ValueError } from "../../src/x509/errors.ts";
import { certTimeToSeconds, derToPem, peerCertDict, pemToDer } from "../../src/x509/peer_cert.ts";
import { TrustStore } from "../../src/x509/trust_store.ts";
import { requireTool } from "../interop/_peers.ts";
import { CA_EXT, Pki, serverExt } from "./_pki.ts";

/** Runs a Python snippet; a missing python3 fails with the install command. */
function python(code: string, ...args: string[]): string {
  const python3 = requireTool("python3", "apt-get install -y python3");
  return execFileSync(python3, ["-c", code, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    .toString();
}

const DECODE = "import json, ssl, sys; print(json.dumps(ssl._ssl._test_decode_cert(sys.argv[1])))";

const pki = new Pki();
pki.make({ name: "ca", subject: "/C=US/O=Example CA/CN=Example Root", ext: CA_EXT });

function compare(name: string): void {
  const ours = peerCertDict(Certificate.fromDer(pki.der(name)));
  const theirs = JSON.parse(python(DECODE, pki.path(name)));
  assert.deepEqual(JSON.parse(JSON.stringify(ours)), theirs);
}

test("a plain server certificate", () => {
  pki.make({
    name: "plain",
    subject: "/CN=localhost/O=Example",
    issuer: "ca",
    ext: serverExt("DNS:localhost", "IP:127.0.0.1"),
  });
  compare("plain");
});

test("IPv4 and IPv6 SANs, email, URI, registered ID, directory name, otherName", () => {
  pki.make({
    name: "sans",
    subject: "/CN=sans.example",
    issuer: "ca",
    ext: [
      "subjectAltName = IP:10.0.0.1, IP:2001:db8::abcd, IP:::1, IP:fe80::1:0:0:0, " +
      "email:admin@example.com, URI:https://example.com/path?q=1, RID:1.2.3.4, " +
      "dirName:dir_sect, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com, DNS:*.example.com",
      "[dir_sect]",
      "C = GB",
      "O = Dir Org",
      "CN = Dir Name",
    ],
  });
  compare("sans");
});

test("OCSP, caIssuers and CRL distribution points", () => {
  pki.make({
    name: "aia",
    subject: "/CN=aia.example",
    issuer: "ca",
    ext: [
      ...serverExt("DNS:aia.example"),
      "authorityInfoAccess = OCSP;URI:http://ocsp.example.com/, caIssuers;URI:http://ca.example.com/ca.crt",
      "crlDistributionPoints = URI:http://crl.example.com/a.crl, URI:ldap://crl.example.com/b",
    ],
  });
  compare("aia");
});

test("many attribute types, multi-valued RDNs, UTF-8 and escaping", () => {
  pki.make({
    name: "attrs",
    subject: "/C=DE/ST=Bayern/L=München/O=Ex, Inc. \\+ Co/OU=Unit+CN=multi/CN=attrs.example" +
      "/emailAddress=x@example.com/serialNumber=42/street=1 Main/postalCode=80331" +
      "/businessCategory=Private Organization/DC=example/UID=u1/title=Dr/GN=Given/SN=Sur" +
      "/initials=GS/pseudonym=P/dnQualifier=Q/description=D" +
      "/jurisdictionC=DE/jurisdictionST=BY/jurisdictionL=Munich/organizationIdentifier=VATDE-1",
    issuer: "ca",
    ext: serverExt("DNS:attrs.example"),
    reqArgs: ["-utf8"],
  });
  compare("attrs");
  const cert = Certificate.fromDer(pki.der("attrs"));
  assert.match(cert.subject.toString(), /^C=DE, ST=Bayern, L=München, O=Ex\\, Inc\. \\\+ Co, /);
  assert.match(cert.subject.toString(), /OU=Unit \+ CN=multi, CN=attrs\.example/);
});

test("a long positive serial and a v1 certificate", () => {
  pki.make({
    name: "v1",
    subject: "/CN=v1.example",
    issuer: "ca",
    serial: "0x00ff00112233445566778899aabbccddeeff0011",
  });
  compare("v1");
  assert.equal(Certificate.fromDer(pki.der("v1")).version, 1);
});

test("cert_time_to_seconds matches Python", () => {
  for (
    const t of [
      "Jan  5 09:34:43 2018 GMT",
      "Dec 31 23:59:59 2049 GMT",
      "feb 29 00:00:00 2024 GMT",
      "Jul 4 1:2:3 1999 GMT",
    ]
  ) {
    const want = Number(python("import ssl, sys; print(ssl.cert_time_to_seconds(sys.argv[1]))", t));
    assert.equal(certTimeToSeconds(t), want, t);
  }
  assert.equal(certTimeToSeconds("Jan  5 09:34:43 2018 GMT"), 1515144883);
  for (const bad of ["Foo  5 09:34:43 2018 GMT", "Jan  5 09:34:43 2018 UTC", "Jan 5 2018", ""]) {
    assert.throws(() => certTimeToSeconds(bad), ValueError, bad);
  }
});

test("DER_cert_to_PEM_cert and PEM_cert_to_DER_cert match Python", () => {
  const der = pki.der("plain");
  const pem = derToPem(der);
  const derPath = join(pki.dir, "plain.der");
  writeFileSync(derPath, der);
  const theirs = python(
    "import ssl, sys; print(ssl.DER_cert_to_PEM_cert(open(sys.argv[1], 'rb').read()), end='')",
    derPath,
  );
  assert.equal(pem, theirs);
  assert.deepEqual(pemToDer(pem), der);
  assert.deepEqual(pemToDer(`${pem}\n\n`), der);
  assert.throws(() => pemToDer("garbage"), ValueError);
  assert.throws(() => pemToDer("-----BEGIN CERTIFICATE-----\nAAAA\n"), ValueError);
});

test("cert_store_stats() and get_ca_certs() count as Python does", () => {
  const store = new TrustStore();
  for (const name of ["ca", "plain", "v1", "ca", "aia"]) store.add(pki.der(name));
  store.addCrl(pki.crl("ca"));
  const paths = ["ca", "plain", "v1", "aia"].map((n) => pki.path(n));
  const theirs = JSON.parse(python(
    "import json, ssl, sys\n" +
      "c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n" +
      "for p in sys.argv[1:]: c.load_verify_locations(p)\n" +
      "print(json.dumps([c.cert_store_stats(), c.get_ca_certs()]))",
    ...paths,
  ));
  assert.deepEqual(store.stats(), { ...theirs[0], crl: 1 });
  assert.deepEqual(
    JSON.parse(JSON.stringify(store.caCertificates().map(peerCertDict))),
    theirs[1],
  );
});

test("get_default_verify_paths() as Python reports it; the default roots load", async () => {
  const theirs = JSON.parse(python(
    "import json, ssl; print(json.dumps(ssl.get_default_verify_paths()._asdict()))",
  ));
  assert.deepEqual({ ...await defaultVerifyPaths() }, theirs);
  const roots = await loadSystemRoots();
  assert.ok(roots.length > 50, `only ${roots.length} default roots`);
  const store = new TrustStore();
  for (const der of roots) store.add(der);
  assert.equal(store.stats().x509_ca, store.size);
});

test("cleanup", () => {
  pki.dispose();
});
