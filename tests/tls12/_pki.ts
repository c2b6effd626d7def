/**
 * A PKI made in memory with the library's certificate generator (no `openssl`): a root, an
 * intermediate, an ECDSA P-256 `localhost` server leaf and a client leaf, for the TLS 1.2 tests
 * that run both ends in one process.
 */
import { generateCertificateAuthority, issueCertificate } from "../../src/x509/generate.ts";

/** PEM material of the test PKI. */
export interface TestPki {
  caPem: string;
  /** Server leaf and intermediate, leaf first. */
  serverChainPem: string;
  serverKeyPem: string;
  /** Client leaf and intermediate, leaf first. */
  clientChainPem: string;
  clientKeyPem: string;
}

/** Generates a fresh PKI. */
export async function generateTestPki(): Promise<TestPki> {
  const ca = await generateCertificateAuthority({ commonName: "webtls TLS 1.2 test root" });
  const int = await issueCertificate(ca, { commonName: "webtls TLS 1.2 test int", isCA: true });
  const server = await issueCertificate(int, {
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const client = await issueCertificate(int, {
    commonName: "webtls TLS 1.2 test client",
    serverAuth: false,
    clientAuth: true,
  });
  return {
    caPem: ca.certPem,
    serverChainPem: server.certPem + int.certPem,
    serverKeyPem: server.keyPem,
    clientChainPem: client.certPem + int.certPem,
    clientKeyPem: client.keyPem,
  };
}
