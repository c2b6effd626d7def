// Version settings without a network: the constants and the refusals Python users know, and
// what the ClientHello offers under minimumVersion/maximumVersion and OP_NO_TLSv1_2/1_3
// (RFC 8446 §4.2.1: supported_versions only when TLS 1.3 is offered; RFC 5246 §7.4.1.2:
// client_version 0x0303 for a TLS 1.2 client).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MemoryBIO,
  OP_NO_SSLv3,
  OP_NO_TLSv1,
  OP_NO_TLSv1_1,
  OP_NO_TLSv1_2,
  OP_NO_TLSv1_3,
  PROTOCOL_TLS,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  PROTOCOL_TLSv1,
  PROTOCOL_TLSv1_1,
  PROTOCOL_TLSv1_2,
  SSLContext,
  SSLError,
  SSLMethod,
  SSLWantReadError,
  TLSVersion,
} from "../../mod.ts";
import { ExtensionType as E } from "../../src/constants.ts";
import { type ClientHello, decodeClientHello } from "../../src/messages/client_hello.ts";
import {
  findExtension,
  parseExtension,
  readSupportedVersionsClient,
} from "../../src/messages/extensions.ts";

/** The ClientHello a client context sends first. */
async function helloOf(ctx: SSLContext): Promise<ClientHello> {
  const out = new MemoryBIO();
  const obj = ctx.wrapBio(new MemoryBIO(), out, { serverHostname: "localhost" });
  await assert.rejects(obj.doHandshake(), SSLWantReadError);
  const rec = out.read();
  assert.equal(rec[0], 22, "a handshake record");
  assert.equal(rec[5], 1, "a ClientHello");
  return decodeClientHello(rec.subarray(9));
}

/** The versions a ClientHello offers: supported_versions, else its legacy_version. */
function offered(ch: ClientHello): number[] {
  const sv = findExtension(ch.extensions, E.supported_versions);
  return sv ? parseExtension(sv, readSupportedVersionsClient) : [ch.legacyVersion];
}

const TLS12_SUITE = (id: number) => id >= 0xc000 && id <= 0xcfff;
const TLS13_SUITE = (id: number) => id >= 0x1301 && id <= 0x1305;

describe("TLS versions and Python's constants", () => {
  it("has Python's TLSVersion values and OP_NO_* flags", () => {
    assert.deepEqual(
      [
        TLSVersion.MINIMUM_SUPPORTED,
        TLSVersion.SSLv3,
        TLSVersion.TLSv1,
        TLSVersion.TLSv1_1,
        TLSVersion.TLSv1_2,
        TLSVersion.TLSv1_3,
        TLSVersion.MAXIMUM_SUPPORTED,
      ],
      [-2, 0x300, 0x301, 0x302, 0x303, 0x304, -1],
    );
    // OpenSSL's SSL_OP_NO_* bits, as Python exports them.
    assert.deepEqual(
      [OP_NO_SSLv3, OP_NO_TLSv1, OP_NO_TLSv1_1, OP_NO_TLSv1_2, OP_NO_TLSv1_3],
      [0x2000000, 0x4000000, 0x10000000, 0x8000000, 0x20000000],
    );
    assert.deepEqual(
      [PROTOCOL_TLS, PROTOCOL_TLSv1, PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2, PROTOCOL_TLS_CLIENT],
      [2, 3, 4, 5, 16],
    );
  });

  it("refuses TLS 1.0 and 1.1 contexts by design (RFC 8996)", () => {
    for (const p of [PROTOCOL_TLSv1, PROTOCOL_TLSv1_1]) {
      assert.throws(
        () => new SSLContext(p),
        (e: unknown) => e instanceof SSLError && e.reason === "UNSUPPORTED_PROTOCOL",
      );
    }
  });

  it("starts every context at TLS 1.2 to the maximum supported, as Python 3.10+ does", () => {
    for (const p of [PROTOCOL_TLS, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER]) {
      const ctx = new SSLContext(p);
      assert.equal(ctx.minimumVersion, TLSVersion.TLSv1_2);
      assert.equal(ctx.maximumVersion, TLSVersion.MAXIMUM_SUPPORTED);
      assert.ok(
        ctx.options & OP_NO_TLSv1 && ctx.options & OP_NO_TLSv1_1 && ctx.options & OP_NO_SSLv3,
      );
    }
  });

  it("keeps PROTOCOL_TLSv1_2 at TLS 1.2 and refuses changes, as Python does", async () => {
    const ctx = new SSLContext(PROTOCOL_TLSv1_2);
    assert.equal(ctx.protocol, SSLMethod.PROTOCOL_TLSv1_2);
    assert.throws(
      () => (ctx.minimumVersion = TLSVersion.TLSv1_3),
      /doesn't support modification of highest and lowest version/,
    );
    assert.throws(() => (ctx.maximumVersion = TLSVersion.TLSv1_3), TypeError);
    ctx.checkHostname = false;
    ctx.verifyMode = 0;
    const ch = await helloOf(ctx);
    assert.deepEqual(offered(ch), [0x0303]);
    assert.ok(ch.cipherSuites.every((s) => !TLS13_SUITE(s)));
  });

  it("rejects values that are not versions", () => {
    const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
    assert.throws(() => (ctx.minimumVersion = 0x0305 as TLSVersion), TypeError);
  });
});

describe("what a client offers under each version setting", () => {
  const cases: Array<{
    name: string;
    set: (ctx: SSLContext) => void;
    versions: number[];
    tls12Suites: boolean;
    tls13Suites: boolean;
  }> = [
    {
      name: "defaults",
      set: () => {},
      versions: [0x0304, 0x0303],
      tls12Suites: true,
      tls13Suites: true,
    },
    {
      name: "minimumVersion TLSv1 (below 1.2 acts as 1.2)",
      set: (c) => (c.minimumVersion = TLSVersion.TLSv1),
      versions: [0x0304, 0x0303],
      tls12Suites: true,
      tls13Suites: true,
    },
    {
      name: "minimumVersion TLSv1_3",
      set: (c) => (c.minimumVersion = TLSVersion.TLSv1_3),
      versions: [0x0304],
      tls12Suites: false,
      tls13Suites: true,
    },
    {
      name: "OP_NO_TLSv1_2",
      set: (c) => (c.options |= OP_NO_TLSv1_2),
      versions: [0x0304],
      tls12Suites: false,
      tls13Suites: true,
    },
    {
      name: "maximumVersion TLSv1_2",
      set: (c) => (c.maximumVersion = TLSVersion.TLSv1_2),
      versions: [0x0303],
      tls12Suites: true,
      tls13Suites: false,
    },
    {
      name: "OP_NO_TLSv1_3",
      set: (c) => (c.options |= OP_NO_TLSv1_3),
      versions: [0x0303],
      tls12Suites: true,
      tls13Suites: false,
    },
    {
      name: "minimum and maximum TLSv1_2",
      set: (c) => {
        c.minimumVersion = TLSVersion.TLSv1_2;
        c.maximumVersion = TLSVersion.TLSv1_2;
      },
      versions: [0x0303],
      tls12Suites: true,
      tls13Suites: false,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
      c.set(ctx);
      const ch = await helloOf(ctx);
      assert.equal(ch.legacyVersion, 0x0303);
      assert.deepEqual(offered(ch), c.versions);
      assert.equal(ch.cipherSuites.some(TLS12_SUITE), c.tls12Suites, "TLS 1.2 suites");
      assert.equal(ch.cipherSuites.some(TLS13_SUITE), c.tls13Suites, "TLS 1.3 suites");
      // A TLS 1.2-only hello carries no TLS 1.3 extensions (RFC 8446 §4.2).
      const tls13Only = [E.supported_versions, E.key_share, E.psk_key_exchange_modes];
      assert.equal(
        ch.extensions.some((e) => tls13Only.includes(e.type)),
        c.tls13Suites,
        "TLS 1.3 extensions",
      );
      // RFC 7627 §5.1 and RFC 5746 §3.4: offered whenever TLS 1.2 is.
      assert.equal(
        findExtension(ch.extensions, E.extended_master_secret) !== undefined,
        c.tls12Suites,
      );
      assert.equal(
        findExtension(ch.extensions, E.renegotiation_info) !== undefined,
        c.tls12Suites,
      );
    });
  }

  for (
    const [name, set] of [
      ["maximumVersion TLSv1_1", (c: SSLContext) => (c.maximumVersion = TLSVersion.TLSv1_1)],
      ["minimum TLSv1_3 above maximum TLSv1_2", (c: SSLContext) => {
        c.minimumVersion = TLSVersion.TLSv1_3;
        c.maximumVersion = TLSVersion.TLSv1_2;
      }],
      [
        "OP_NO_TLSv1_2 | OP_NO_TLSv1_3",
        (c: SSLContext) => (c.options |= OP_NO_TLSv1_2 | OP_NO_TLSv1_3),
      ],
      ["OP_NO_TLSv1_2 with maximum TLSv1_2", (c: SSLContext) => {
        c.options |= OP_NO_TLSv1_2;
        c.maximumVersion = TLSVersion.TLSv1_2;
      }],
    ] as const
  ) {
    it(`${name}: no protocols available, before anything is sent`, async () => {
      const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
      set(ctx);
      const out = new MemoryBIO();
      const obj = ctx.wrapBio(new MemoryBIO(), out, { serverHostname: "localhost" });
      await assert.rejects(
        obj.doHandshake(),
        (e: unknown) => e instanceof SSLError && e.reason === "NO_PROTOCOLS_AVAILABLE",
      );
      assert.equal(out.pending, 0);
    });
  }
});
