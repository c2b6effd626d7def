// Hostile clients against our TLS 1.3 server: what authenticates the client and the
// handshake. A wrong Finished, a spoiled PSK binder on a real ticket, client certificates that
// do not verify, a bad CertificateVerify and a missing certificate, each with the alert
// RFC 8446 names (OpenSSL 3's where the certificate verifier chooses), while healthy clients
// keep using the same server.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, fromUtf8 } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { SignatureScheme } from "../../src/constants.ts";
import type { SigningKey } from "../../src/crypto/provider.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { SSLCertVerificationError } from "../../src/errors.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { VerifyMode } from "../../src/ssl/enums.ts";
import { X509_V } from "../../src/x509/errors.ts";
import { pemDecode } from "../../src/x509/pem.ts";
import { parsePrivateKey } from "../../src/x509/private_key.ts";
import { type LeafName, makePki, type Pki } from "../interop/_peers.ts";
import {
  alongsideHealthy,
  expectAlert,
  healthyContext,
  type HostileServer,
  runHostile,
  startHostileServer,
} from "./_hostile_server.ts";
import { type ClientAuth, handshake, ScriptedClient, type Ticket } from "./_scripted_client.ts";

const TIMEOUT = 120_000;

let pki: Pki;
let server: HostileServer;
/** Requires a client certificate from the test PKI (CERT_REQUIRED). */
let mtls: HostileServer;
/** Asks for one but goes on without (CERT_OPTIONAL). */
let optional: HostileServer;
let healthy: SSLContext;
/** A healthy client with a certificate, for the CERT_REQUIRED server. */
let healthyWithCert: SSLContext;

before(async () => {
  pki = await makePki();
  server = await startHostileServer(pki);
  const clientAuth = (mode: VerifyMode) => async (ctx: SSLContext) => {
    ctx.verifyMode = mode;
    await ctx.loadVerifyLocations({ cafile: pki.caFile });
  };
  mtls = await startHostileServer(pki, { configure: clientAuth(VerifyMode.CERT_REQUIRED) });
  optional = await startHostileServer(pki, { configure: clientAuth(VerifyMode.CERT_OPTIONAL) });
  healthy = await healthyContext(pki);
  healthyWithCert = await healthyContext(pki);
  await healthyWithCert.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
});
after(async () => {
  await server.close();
  await mtls.close();
  await optional.close();
});

const hostile = (script: (c: ScriptedClient) => Promise<void>, on: HostileServer = server) =>
  runHostile(on, on === mtls ? healthyWithCert : healthy, script);

const flip = (b: Bytes): Bytes => {
  const out = b.slice();
  out[out.byteLength - 1] ^= 1;
  return out;
};

/** A certificate chain (with its intermediate) and key of the test PKI, for `finish()`. */
async function clientAuth(leaf: LeafName): Promise<ClientAuth & { key: SigningKey }> {
  const files = pki.leaves[leaf];
  const key = await defaultProvider.importSigningKey((await parsePrivateKey(files.keyPem)).pkcs8);
  return { chain: pemDecode(files.chainPem, "CERTIFICATE"), key };
}

/** A full handshake that collects the server's session tickets. */
async function ticketFromServer(): Promise<Ticket> {
  const c = await ScriptedClient.connect(server.port);
  try {
    await handshake(c);
    while (c.tickets.length === 0) {
      const ev = await c.next();
      assert.ok(ev.kind === "handshake", `waiting for a ticket, got ${ev.kind}`);
    }
    return c.tickets[0];
  } finally {
    c.close();
  }
}

describe("hostile clients: Finished and PSK binders", { timeout: TIMEOUT }, () => {
  it("a wrong client Finished: decrypt_error", async () => {
    const o = await hostile(async (c) => {
      await c.sendHandshake(await c.clientHello());
      await c.readFlight();
      await c.finish({ verifyData: flip });
    });
    expectAlert(o, Alert.decrypt_error, "DIGEST_CHECK_FAILED", true);
  });

  it("a client Finished of the wrong length: decode_error", async () => {
    const o = await hostile(async (c) => {
      await c.sendHandshake(await c.clientHello());
      await c.readFlight();
      await c.finish({ verifyData: (vd) => vd.subarray(0, 20) });
    });
    expectAlert(o, Alert.decode_error, undefined, true);
  });

  it("a real ticket with its correct binder resumes (control)", async () => {
    const ticket = await ticketFromServer();
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await handshake(c, { psk: { ticket } });
        assert.equal(c.resumed, true, "the server accepted the PSK");
        await c.sendApplicationData(new TextEncoder().encode("resumed"));
        assert.equal(fromUtf8(await c.readApplicationData(7)), "resumed");
      } finally {
        c.close();
      }
    });
  });

  it("a real ticket with a wrong binder: decrypt_error", async () => {
    const ticket = await ticketFromServer();
    const o = await hostile(async (c) => {
      await c.sendHandshake(await c.clientHello({ psk: { ticket, binder: flip } }));
    });
    expectAlert(o, Alert.decrypt_error, "BINDER_DOES_NOT_VERIFY", false);
  });
});

describe("hostile clients: client certificates (CERT_REQUIRED)", { timeout: TIMEOUT }, () => {
  it("a valid client certificate is accepted (control)", async () => {
    const auth = await clientAuth("client");
    await alongsideHealthy(mtls, healthyWithCert, async () => {
      const c = await ScriptedClient.connect(mtls.port);
      try {
        await handshake(c, {}, { certificate: auth });
        assert.ok(c.certificateRequest, "the server asked for a certificate");
        await c.sendApplicationData(new TextEncoder().encode("mtls"));
        assert.equal(fromUtf8(await c.readApplicationData(4)), "mtls");
      } finally {
        c.close();
      }
    });
  });

  for (
    const [leaf, alert, code] of [
      ["unknownCa", Alert.unknown_ca, X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY],
      ["expired", Alert.certificate_expired, X509_V.ERR_CERT_HAS_EXPIRED],
    ] as const
  ) {
    it(`a client certificate (${leaf}) that does not verify: ${Alert[alert]}`, async () => {
      const auth = await clientAuth(leaf);
      const o = await hostile((c) => handshake(c, {}, { certificate: auth }), mtls);
      expectAlert(o, alert, "CERTIFICATE_VERIFY_FAILED", true);
      assert.ok(o.error instanceof SSLCertVerificationError);
      assert.equal(o.error.verifyCode, code);
    });
  }

  it("a CertificateVerify with a bad signature: decrypt_error", async () => {
    const auth = await clientAuth("client");
    const o = await hostile(
      (c) => handshake(c, {}, { certificate: { ...auth, signature: flip } }),
      mtls,
    );
    expectAlert(o, Alert.decrypt_error, "BAD_SIGNATURE", true);
  });

  it("a CertificateVerify with a scheme that was not offered: illegal_parameter", async () => {
    const auth = await clientAuth("client");
    const o = await hostile(
      (c) =>
        handshake(c, {}, {
          // ECDSA with SHA-1 is never valid for a TLS 1.3 CertificateVerify (RFC 8446 §4.4.3).
          certificate: { ...auth, announce: SignatureScheme.ecdsa_sha1 },
        }),
      mtls,
    );
    expectAlert(o, Alert.illegal_parameter, "WRONG_SIGNATURE_TYPE", true);
  });

  it("a certificate without a CertificateVerify: unexpected_message", async () => {
    const auth = await clientAuth("client");
    const o = await hostile(
      (c) => handshake(c, {}, { certificate: { chain: auth.chain } }),
      mtls,
    );
    expectAlert(o, Alert.unexpected_message, undefined, true);
  });

  it("an empty client Certificate: certificate_required", async () => {
    const o = await hostile((c) => handshake(c, {}, { certificate: { chain: [] } }), mtls);
    expectAlert(o, Alert.certificate_required, "PEER_DID_NOT_RETURN_A_CERTIFICATE", true);
  });

  it("an empty client Certificate under CERT_OPTIONAL is accepted (control)", async () => {
    await alongsideHealthy(optional, healthy, async () => {
      const c = await ScriptedClient.connect(optional.port);
      try {
        await handshake(c, {}, { certificate: { chain: [] } });
        await c.sendApplicationData(new TextEncoder().encode("anon"));
        assert.equal(fromUtf8(await c.readApplicationData(4)), "anon");
      } finally {
        c.close();
      }
    });
  });
});
