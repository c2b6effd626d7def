// Hostile clients against our TLS 1.3 server (listen()): ClientHello and record-layer
// violations. Each case is played by the scripted client of _scripted_client.ts against the
// same server while healthy clients use it; the server must answer with the alert RFC 8446
// prescribes (OpenSSL 3's choice where the RFC leaves one) and fail that connection with a
// typed SSLError, and the healthy connections must not notice.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import {
  ContentType,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
} from "../../src/constants.ts";
import {
  alpnExtension,
  emptyExtension,
  type Extension,
  findExtension,
  keyShareClientExtension,
  parseExtension,
  preSharedKeyClientExtension,
  pskModesExtension,
  readAlpn,
  readKeyShareClient,
  readPskModes,
  readSignatureAlgorithms,
  readSupportedGroups,
  readSupportedVersionsClient,
  signatureAlgorithmsExtension,
  supportedGroupsExtension,
  supportedVersionsClientExtension,
} from "../../src/messages/extensions.ts";
import type { Reader } from "../../src/codec/reader.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import type { ClientHello } from "../../src/messages/client_hello.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { TLSVersion } from "../../src/ssl/enums.ts";
import { makePki, type Pki } from "../interop/_peers.ts";
import {
  alongsideHealthy,
  expectAlert,
  healthyContext,
  type HostileServer,
  runHostile,
  startHostileServer,
} from "./_hostile_server.ts";
import { handshake, type HelloOptions, ScriptedClient } from "./_scripted_client.ts";

const TIMEOUT = 120_000;

let pki: Pki;
let server: HostileServer;
/** TLS 1.3 only, as `openssl s_server -tls1_3`. */
let server13: HostileServer;
let healthy: SSLContext;

before(async () => {
  pki = await makePki();
  server = await startHostileServer(pki);
  server13 = await startHostileServer(pki, {
    configure: (ctx) => void (ctx.minimumVersion = TLSVersion.TLSv1_3),
  });
  healthy = await healthyContext(pki);
});
after(async () => {
  await server.close();
  await server13.close();
});

/** Runs `script` on a fresh scripted connection to `on` alongside healthy clients. */
const hostile = (script: (c: ScriptedClient) => Promise<void>, on: HostileServer = server) =>
  runHostile(on, healthy, script);

describe("hostile clients: control", { timeout: TIMEOUT }, () => {
  it("a scripted client completes a handshake and echoes", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await handshake(c);
        assert.equal(c.serverFinishedValid, true);
        await c.sendApplicationData(new TextEncoder().encode("hello"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(5)), "hello");
      } finally {
        c.close();
      }
    });
  });
});

const without = (type: number) => (ch: ClientHello) =>
  void (ch.extensions = ch.extensions.filter((e) => e.type !== type));

/** Sends the (edited) first ClientHello. */
async function sendHello(c: ScriptedClient, opts: HelloOptions = {}): Promise<void> {
  await c.sendHandshake(await c.clientHello(opts));
}

const text = (s: string) => new TextEncoder().encode(s);

describe("hostile clients: ClientHello", { timeout: TIMEOUT }, () => {
  it("no supported_versions, TLS 1.3-only server: protocol_version", async () => {
    const o = await hostile((c) => sendHello(c, { edit: without(E.supported_versions) }), server13);
    expectAlert(o, Alert.protocol_version, "UNSUPPORTED_PROTOCOL", false);
  });

  it("no supported_versions and legacy_version TLS 1.1: protocol_version", async () => {
    const o = await hostile((c) =>
      sendHello(c, {
        edit: (ch) => {
          without(E.supported_versions)(ch);
          ch.legacyVersion = 0x0302;
        },
      })
    );
    expectAlert(o, Alert.protocol_version, "UNSUPPORTED_PROTOCOL", false);
  });

  it("supported_versions without TLS 1.3 or 1.2: protocol_version", async () => {
    const o = await hostile((c) => sendHello(c, { versions: [0x0302, 0x0301] }));
    expectAlert(o, Alert.protocol_version, "UNSUPPORTED_PROTOCOL", false);
  });

  it("legacy_version 0x0300 with supported_versions: protocol_version (RFC 8446 §D.5)", async () => {
    const o = await hostile((c) =>
      sendHello(c, { edit: (ch) => void (ch.legacyVersion = 0x0300) })
    );
    expectAlert(o, Alert.protocol_version, "BAD_LEGACY_VERSION", false);
  });

  it("a duplicated extension: illegal_parameter", async () => {
    const o = await hostile((c) =>
      sendHello(c, {
        edit: (ch) => {
          const groups = ch.extensions.find((e) => e.type === E.supported_groups)!;
          ch.extensions.splice(1, 0, groups);
        },
      })
    );
    expectAlert(o, Alert.illegal_parameter, "BAD_EXTENSION", false);
  });

  it("a key share for a group not in supported_groups: illegal_parameter", async () => {
    const o = await hostile((c) =>
      sendHello(c, { groups: [NamedGroup.secp256r1], keyShares: [NamedGroup.x25519] })
    );
    expectAlert(o, Alert.illegal_parameter, "BAD_KEY_SHARE", false);
  });

  it("two key shares for one group: illegal_parameter", async () => {
    const o = await hostile((c) =>
      sendHello(c, {
        edit: (ch) => {
          const i = ch.extensions.findIndex((e) => e.type === E.key_share);
          const share = { group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) };
          ch.extensions[i] = keyShareClientExtension([share, share]);
        },
      })
    );
    expectAlert(o, Alert.illegal_parameter, "BAD_KEY_SHARE", false);
  });

  for (
    const [what, group, keyExchange] of [
      ["an X25519 share of the wrong length", NamedGroup.x25519, new Uint8Array(31).fill(9)],
      // u = 0 is of small order: the shared secret would be all zeros (RFC 8446 §7.4.2).
      ["an X25519 share of small order", NamedGroup.x25519, new Uint8Array(32)],
      ["a compressed P-256 point", NamedGroup.secp256r1, new Uint8Array(33).fill(2)],
      [
        "a P-256 point not on the curve",
        NamedGroup.secp256r1,
        Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 1)),
      ],
    ] as const
  ) {
    it(`${what}: illegal_parameter`, async () => {
      const o = await hostile((c) =>
        sendHello(c, {
          keyShares: [group],
          edit: (ch) => {
            const i = ch.extensions.findIndex((e) => e.type === E.key_share);
            ch.extensions[i] = keyShareClientExtension([{ group, keyExchange }]);
          },
        })
      );
      expectAlert(o, Alert.illegal_parameter, undefined, false);
    });
  }

  it("a record_size_limit below 64: illegal_parameter (RFC 8449 §4)", async () => {
    const o = await hostile((c) =>
      sendHello(c, {
        edit: (ch) =>
          void ch.extensions.push({ type: E.record_size_limit, data: new Uint8Array([0, 63]) }),
      })
    );
    expectAlert(o, Alert.illegal_parameter, "BAD_EXTENSION", false);
  });

  it("no signature_algorithms: missing_extension", async () => {
    const o = await hostile((c) => sendHello(c, { edit: without(E.signature_algorithms) }));
    expectAlert(o, Alert.missing_extension, "MISSING_SIGALGS_EXTENSION", false);
  });

  it("supported_groups without key_share: missing_extension", async () => {
    const o = await hostile((c) => sendHello(c, { edit: without(E.key_share) }));
    expectAlert(o, Alert.missing_extension, undefined, false);
  });

  it("pre_shared_key not the last extension: illegal_parameter", async () => {
    const o = await hostile((c) =>
      sendHello(c, {
        edit: (ch) => {
          ch.extensions.push(preSharedKeyClientExtension({
            identities: [{ identity: new Uint8Array(40).fill(1), obfuscatedTicketAge: 0 }],
            binders: [new Uint8Array(32)],
          }));
          ch.extensions.push(emptyExtension(E.post_handshake_auth));
        },
      })
    );
    expectAlert(o, Alert.illegal_parameter, undefined, false);
  });

  it("compression methods other than [null]: illegal_parameter", async () => {
    for (const methods of [[1, 0], [1], [0, 0]]) {
      const o = await hostile((c) =>
        sendHello(c, { edit: (ch) => void (ch.compressionMethods = methods) })
      );
      expectAlert(o, Alert.illegal_parameter, "INVALID_COMPRESSION_ALGORITHM", false);
    }
  });

  it("a ClientHello truncated inside a complete record: decode_error", async () => {
    const o = await hostile(async (c) => {
      const ch = await c.clientHello();
      const cut = frameHandshake(H.client_hello, ch.body.subarray(0, ch.body.byteLength - 7));
      c.sendRecord(ContentType.handshake, cut.raw, 0x0301);
    });
    expectAlert(o, Alert.decode_error, "DECODE_ERROR", false);
  });

  it("an oversized handshake length: illegal_parameter before the body is buffered", async () => {
    const o = await hostile((c) => {
      // 2^17 + 1 bytes announced, none sent: the server must not wait for them.
      c.sendRecord(ContentType.handshake, new Uint8Array([H.client_hello, 0x02, 0x00, 0x01]));
      return Promise.resolve();
    });
    expectAlert(o, Alert.illegal_parameter, "EXCESSIVE_MESSAGE_SIZE", false);
  });
});

describe("hostile clients: ClientHello fragmentation", { timeout: TIMEOUT }, () => {
  /** Completes a handshake sending the ClientHello in records of `fragments` bytes. */
  async function fragmentedHandshake(fragments: number[]): Promise<void> {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await c.sendHandshake(await c.clientHello(), { fragments });
        await c.readFlight();
        await c.finish();
        await c.sendApplicationData(text("fragmented"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(10)), "fragmented");
      } finally {
        c.close();
      }
    });
  }

  it("a ClientHello in 1-byte records succeeds", () => fragmentedHandshake([1]));

  it("a ClientHello over several records succeeds", () => fragmentedHandshake([3, 40, 100]));

  it("a 60 KiB ClientHello over four records succeeds", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        const padding = { type: E.padding, data: new Uint8Array(60 * 1024) };
        await c.sendHandshake(
          await c.clientHello({ edit: (ch) => ch.extensions.unshift(padding) }),
        );
        await c.readFlight();
        await c.finish();
        await c.sendApplicationData(text("big"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(3)), "big");
      } finally {
        c.close();
      }
    });
  });

  it("a ClientHello record that carries more than the ClientHello: unexpected_message", async () => {
    // RFC 8446 §5.1: a message preceding a key change must end its record; the hello's
    // answer changes the keys, so the start of another message may not share its record.
    const o = await hostile(async (c) => {
      const ch = await c.clientHello();
      c.sendRecord(
        ContentType.handshake,
        concat(ch.raw, new Uint8Array([H.finished, 0, 0])),
        0x0301,
      );
    });
    expectAlert(o, Alert.unexpected_message, undefined, false);
  });

  for (
    const [name, between] of [
      ["a warning alert", [ContentType.alert, [1, Alert.user_canceled]]],
      ["application data", [ContentType.application_data, [1, 2, 3]]],
      ["a ChangeCipherSpec", [ContentType.change_cipher_spec, [1]]],
    ] as const
  ) {
    // RFC 8446 §5.1: handshake messages MUST NOT be interleaved with other record types.
    it(`${name} between ClientHello fragments: unexpected_message`, async () => {
      const o = await hostile(async (c) => {
        await c.sendHandshake(await c.clientHello(), {
          fragments: [50, 16384],
          between: () => c.sendRecord(between[0], new Uint8Array(between[1])),
        });
      });
      expectAlert(o, Alert.unexpected_message, undefined, false);
    });

    it(`${name} between Finished fragments: unexpected_message`, async () => {
      const o = await hostile(async (c) => {
        await sendHello(c);
        await c.readFlight();
        await c.finish({
          fragments: [10, 16384],
          between: () =>
            between[0] === ContentType.change_cipher_spec
              ? c.sendRecord(between[0], new Uint8Array(between[1]))
              : c.sendProtected(between[0], new Uint8Array(between[1])),
        });
      });
      expectAlert(o, Alert.unexpected_message, undefined, true);
    });
  }
});

describe("hostile clients: records", { timeout: TIMEOUT }, () => {
  it("a plaintext record over 2^14: record_overflow", async () => {
    const o = await hostile(async (c) => {
      const ch = await c.clientHello({
        // Padding makes the hello itself longer than a plaintext record may be.
        edit: (hello) => hello.extensions.unshift({ type: E.padding, data: new Uint8Array(17000) }),
      });
      c.sendRecord(ContentType.handshake, ch.raw, 0x0301);
    });
    expectAlert(o, Alert.record_overflow, "PACKET_LENGTH_TOO_LONG", false);
  });

  it("a protected record over 2^14 + 256: record_overflow", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      c.sendRecord(ContentType.application_data, new Uint8Array(16384 + 257));
    });
    expectAlert(o, Alert.record_overflow, "PACKET_LENGTH_TOO_LONG", true);
  });

  it("a protected record whose plaintext exceeds 2^14 + 1: record_overflow", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      // 2^14 bytes of content, the type byte and one byte of padding.
      await c.sendProtected(ContentType.handshake, new Uint8Array(16384), {
        padding: 1,
        maxPlaintext: 16385,
      });
    });
    expectAlert(o, Alert.record_overflow, "DATA_LENGTH_TOO_LONG", true);
  });

  it("an unknown content type as the first record: unexpected_message", async () => {
    const o = await hostile((c) => {
      c.sendRecord(0x18, new Uint8Array(10));
      return Promise.resolve();
    });
    expectAlert(o, Alert.unexpected_message, "BAD_RECORD_TYPE", false);
  });

  it("an unknown content type after the ClientHello: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      c.sendRecord(0x19, new Uint8Array(10));
    });
    expectAlert(o, Alert.unexpected_message, "BAD_RECORD_TYPE", true);
  });

  it("an unknown protected content type: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      await c.sendProtected(0x19 as ContentType, new Uint8Array(10));
    });
    expectAlert(o, Alert.unexpected_message, "BAD_RECORD_TYPE", true);
  });

  it("plaintext application data instead of a ClientHello: unexpected_message", async () => {
    const o = await hostile((c) => {
      c.sendRecord(ContentType.application_data, text("hello"));
      return Promise.resolve();
    });
    expectAlert(o, Alert.unexpected_message, undefined, false);
  });

  it("application data under the handshake keys, before Finished: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      await c.sendProtected(ContentType.application_data, text("too early"));
    });
    expectAlert(o, Alert.unexpected_message, "UNEXPECTED_RECORD", true);
  });

  it("a ChangeCipherSpec before the ClientHello: unexpected_message", async () => {
    const o = await hostile((c) => {
      c.sendRecord(ContentType.change_cipher_spec, new Uint8Array([1]));
      return Promise.resolve();
    });
    expectAlert(o, Alert.unexpected_message, undefined, false);
  });

  for (const body of [[2], [1, 1], [0]]) {
    it(`a ChangeCipherSpec of [${body}] after the ClientHello: unexpected_message`, async () => {
      const o = await hostile(async (c) => {
        await sendHello(c);
        c.sendRecord(ContentType.change_cipher_spec, new Uint8Array(body));
      });
      expectAlert(o, Alert.unexpected_message, "UNEXPECTED_CCS_MESSAGE", true);
    });
  }

  it("a flood of compatibility ChangeCipherSpecs: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await c.flight(async () => {
        await sendHello(c);
        for (let i = 0; i < 50; i++) {
          c.sendRecord(ContentType.change_cipher_spec, new Uint8Array([1]));
        }
      });
    });
    expectAlert(o, Alert.unexpected_message, "UNEXPECTED_CCS_MESSAGE", true);
  });

  it("a flood of user_canceled warnings during the handshake: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      await c.flight(async () => {
        for (let i = 0; i < 50; i++) {
          await c.sendProtected(ContentType.alert, new Uint8Array([1, Alert.user_canceled]));
        }
      });
    });
    expectAlert(o, Alert.unexpected_message, "TOO_MANY_WARN_ALERTS", true);
  });

  it("an empty plaintext handshake record: unexpected_message", async () => {
    const o = await hostile((c) => {
      c.sendRecord(ContentType.handshake, new Uint8Array(0));
      return Promise.resolve();
    });
    expectAlert(o, Alert.unexpected_message, undefined, false);
  });

  // TLSInnerPlaintext is content || type || zeros: sealing the byte 0x16 as "type 0" makes
  // an inner plaintext of just a handshake type, i.e. an empty handshake fragment, and sealing
  // a zero that way leaves no content type at all.
  it("an empty protected handshake record: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      await c.sendProtected(0 as ContentType, new Uint8Array([ContentType.handshake]));
    });
    expectAlert(o, Alert.unexpected_message, "BAD_LENGTH", true);
  });

  it("a protected record without a content type: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      await c.sendProtected(0 as ContentType, new Uint8Array([0]));
    });
    expectAlert(o, Alert.unexpected_message, "BAD_RECORD_TYPE", true);
  });

  it("a protected record that does not authenticate: bad_record_mac", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      await c.readFlight();
      // Flip one bit of the AEAD tag of the client's (otherwise correct) Finished record.
      c.onRecord = (rec) => {
        const out = rec.slice();
        out[out.byteLength - 1] ^= 1;
        return out;
      };
      await c.finish();
    });
    expectAlert(o, Alert.bad_record_mac, "DECRYPTION_FAILED_OR_BAD_RECORD_MAC", true);
  });

  it("the compatibility ChangeCipherSpec is accepted (control)", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await sendHello(c);
        c.sendRecord(ContentType.change_cipher_spec, new Uint8Array([1]));
        await c.readFlight();
        await c.finish();
        await c.sendApplicationData(text("ccs"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(3)), "ccs");
      } finally {
        c.close();
      }
    });
  });
});

describe("clients that GREASE (RFC 8701)", { timeout: TIMEOUT }, () => {
  /** Adds a GREASE value (RFC 8701 §2) to every list of a ClientHello, as browsers do. */
  function grease(ch: ClientHello): void {
    const replace = (ext: Extension) => {
      ch.extensions[ch.extensions.findIndex((e) => e.type === ext.type)] = ext;
    };
    const get = <T>(type: number, read: (r: Reader) => T) =>
      parseExtension(findExtension(ch.extensions, type)!, read);
    ch.cipherSuites = [0x0a0a, ...ch.cipherSuites];
    replace(supportedGroupsExtension([0x1a1a, ...get(E.supported_groups, readSupportedGroups)]));
    replace(keyShareClientExtension([
      { group: 0x1a1a, keyExchange: new Uint8Array([0]) },
      ...get(E.key_share, readKeyShareClient),
    ]));
    replace(
      supportedVersionsClientExtension([
        0x2a2a,
        ...get(E.supported_versions, readSupportedVersionsClient),
      ]),
    );
    replace(
      signatureAlgorithmsExtension([
        0x3a3a,
        ...get(E.signature_algorithms, readSignatureAlgorithms),
      ]),
    );
    replace(pskModesExtension([0x2a, ...get(E.psk_key_exchange_modes, readPskModes)]));
    replace(
      alpnExtension(["\x0a\x0a", ...get(E.application_layer_protocol_negotiation, readAlpn)]),
    );
    ch.extensions.unshift({ type: 0x4a4a, data: new Uint8Array(0) });
    ch.extensions.push({ type: 0x5a5a, data: new Uint8Array([0]) });
  }

  it("a ClientHello with GREASE in every list completes, GREASE ignored", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await sendHello(c, { alpn: ["http/1.1"], edit: grease });
        await c.readFlight();
        await c.finish();
        await c.sendApplicationData(text("grease"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(6)), "grease");
      } finally {
        c.close();
      }
    });
  });
});

describe("hostile clients: early data the server declines (RFC 8446 §4.2.10)", {
  timeout: TIMEOUT,
}, () => {
  const withEarlyData = (ch: ClientHello) => void ch.extensions.push(emptyExtension(E.early_data));
  /** Bytes that stand for 0-RTT records: the server cannot open them and must skip them. */
  const earlyRecord = (c: ScriptedClient, n: number) =>
    c.sendRecord(ContentType.application_data, crypto.getRandomValues(new Uint8Array(n)));

  it("early data is skipped and the handshake completes (control)", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await sendHello(c, { edit: withEarlyData });
        c.sendRecord(ContentType.change_cipher_spec, new Uint8Array([1]));
        earlyRecord(c, 100);
        earlyRecord(c, 4000);
        await c.readFlight();
        await c.finish();
        await c.sendApplicationData(text("after"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(5)), "after");
      } finally {
        c.close();
      }
    });
  });

  it("more early data than the server skips: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c, { edit: withEarlyData });
      earlyRecord(c, 16000);
      earlyRecord(c, 16000);
      await c.readFlight();
    });
    expectAlert(o, Alert.unexpected_message, "TOO_MUCH_EARLY_DATA", true);
  });

  it("without early_data, such a record is bad_record_mac", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      earlyRecord(c, 100);
      await c.readFlight();
    });
    expectAlert(o, Alert.bad_record_mac, "DECRYPTION_FAILED_OR_BAD_RECORD_MAC", true);
  });
});

describe("hostile clients: not TLS at all", { timeout: TIMEOUT }, () => {
  // OpenSSL answers these without an alert (a TLS alert means nothing to an HTTP client) and
  // names them HTTP_REQUEST, HTTPS_PROXY_REQUEST or WRONG_VERSION_NUMBER.
  for (
    const [what, bytes, reason] of [
      ["an HTTP request", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP_REQUEST"],
      ["an HTTP POST", "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP_REQUEST"],
      ["a proxy request", "CONNECT localhost:443 HTTP/1.1\r\n\r\n", "HTTPS_PROXY_REQUEST"],
      ["an SSH banner", "SSH-2.0-OpenSSH_9.6\r\n", "WRONG_VERSION_NUMBER"],
      ["binary garbage", "\u0000\u00ff\u0013\u0037\u0000\u0001garbage", "WRONG_VERSION_NUMBER"],
    ] as const
  ) {
    it(`${what}: ${reason}, no alert, connection closed`, async () => {
      const o = await hostile((c) => {
        c.sendRaw(Uint8Array.from(bytes, (ch) => ch.charCodeAt(0)));
        return Promise.resolve();
      });
      assert.equal(o.alert, undefined, "no alert for a peer that does not speak TLS");
      assert.equal(o.reason, reason);
    });
  }

  it("a TLS record with major version 2 after the ClientHello: protocol_version", async () => {
    const o = await hostile(async (c) => {
      await sendHello(c);
      c.sendRecord(ContentType.handshake, new Uint8Array(4), 0x0203);
    });
    expectAlert(o, Alert.protocol_version, "WRONG_VERSION_NUMBER", true);
  });
});
