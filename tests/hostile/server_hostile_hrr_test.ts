// Hostile clients against our TLS 1.3 server: the second ClientHello after a
// HelloRetryRequest. RFC 8446 §4.1.2: it must be the first one with only the key share (now
// for the group asked for), the cookie (echoed), PSK details and early_data changed; anything
// else is illegal_parameter.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Alert } from "../../src/alert.ts";
import {
  ContentType,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
} from "../../src/constants.ts";
import {
  cookieExtension,
  emptyExtension,
  keyShareClientExtension,
  supportedGroupsExtension,
} from "../../src/messages/extensions.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { makePki, type Pki } from "../interop/_peers.ts";
import {
  alongsideHealthy,
  expectAlert,
  healthyContext,
  type HostileServer,
  runHostile,
  startHostileServer,
} from "./_hostile_server.ts";
import type { ClientHello } from "../../src/messages/client_hello.ts";
import { ScriptedClient } from "./_scripted_client.ts";

const TIMEOUT = 120_000;

let pki: Pki;
let server: HostileServer;
let healthy: SSLContext;

before(async () => {
  pki = await makePki();
  server = await startHostileServer(pki);
  healthy = await healthyContext(pki);
});
after(() => server.close());

const hostile = (script: (c: ScriptedClient) => Promise<void>) =>
  runHostile(server, healthy, script);

/** Sends a ClientHello with no key share, so the server must ask for one, and reads the HRR. */
async function provokeRetry(c: ScriptedClient): Promise<void> {
  await c.sendHandshake(await c.clientHello({ keyShares: [] }));
  const msgs = await c.readFlight(true);
  assert.equal(msgs.at(-1)?.type, H.server_hello);
  assert.ok(c.hrr?.cookie, "the HelloRetryRequest carries a cookie");
  assert.ok(c.hrr?.group !== undefined, "the HelloRetryRequest names a group");
}

/** Provokes a HelloRetryRequest, then sends the second ClientHello as `edit` leaves it. */
function retryWith(edit: (ch: ClientHello) => void) {
  return async (c: ScriptedClient) => {
    await provokeRetry(c);
    await c.sendHandshake(await c.secondHello(edit));
  };
}

describe("hostile clients: HelloRetryRequest", { timeout: TIMEOUT }, () => {
  it("an unchanged second ClientHello completes the handshake (control)", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await provokeRetry(c);
        // Middlebox compatibility: a CCS may precede the second ClientHello (RFC 8446 §D.4).
        c.sendRecord(ContentType.change_cipher_spec, new Uint8Array([1]));
        await c.sendHandshake(await c.secondHello());
        await c.readFlight();
        assert.equal(c.serverFinishedValid, true);
        await c.finish();
        await c.sendApplicationData(new TextEncoder().encode("retry"));
        assert.equal(new TextDecoder().decode(await c.readApplicationData(5)), "retry");
      } finally {
        c.close();
      }
    });
  });

  it("a changed random: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => void (ch.random = new Uint8Array(32).fill(7))));
    expectAlert(o, Alert.illegal_parameter, "BAD_HELLO_RETRY", false);
  });

  it("a changed session id: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => void (ch.sessionId = new Uint8Array(32).fill(7))));
    expectAlert(o, Alert.illegal_parameter, "BAD_HELLO_RETRY", false);
  });

  it("changed cipher suites: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => void (ch.cipherSuites = [0x1302, 0x1301])));
    expectAlert(o, Alert.illegal_parameter, "BAD_HELLO_RETRY", false);
  });

  it("changed supported_groups: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => {
      const i = ch.extensions.findIndex((e) => e.type === E.supported_groups);
      ch.extensions[i] = supportedGroupsExtension([
        NamedGroup.x25519,
        NamedGroup.secp256r1,
        NamedGroup.secp384r1,
      ]);
    }));
    expectAlert(o, Alert.illegal_parameter, "BAD_HELLO_RETRY", false);
  });

  it("no cookie: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => {
      ch.extensions = ch.extensions.filter((e) => e.type !== E.cookie);
    }));
    expectAlert(o, Alert.illegal_parameter, "BAD_COOKIE", false);
  });

  it("a different cookie: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => {
      const i = ch.extensions.findIndex((e) => e.type === E.cookie);
      ch.extensions[i] = cookieExtension(new Uint8Array(32).fill(1));
    }));
    expectAlert(o, Alert.illegal_parameter, "BAD_COOKIE", false);
  });

  it("a key share for another group than requested: illegal_parameter", async () => {
    const o = await hostile(async (c) => {
      await provokeRetry(c);
      // A real share, for the other offered group.
      const other = c.hrr!.group === NamedGroup.x25519 ? NamedGroup.secp256r1 : NamedGroup.x25519;
      const own = await defaultProvider.generateKeyShare(other);
      const share = { group: other, keyExchange: own.publicKey };
      await c.sendHandshake(
        await c.secondHello((ch) => {
          const i = ch.extensions.findIndex((e) => e.type === E.key_share);
          ch.extensions[i] = keyShareClientExtension([share]);
        }),
      );
    });
    expectAlert(o, Alert.illegal_parameter, "BAD_KEY_SHARE", false);
  });

  it("no key share again: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => {
      const i = ch.extensions.findIndex((e) => e.type === E.key_share);
      ch.extensions[i] = keyShareClientExtension([]);
    }));
    expectAlert(o, Alert.illegal_parameter, "BAD_KEY_SHARE", false);
  });

  it("early_data in the second ClientHello: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => ch.extensions.push(emptyExtension(E.early_data))));
    expectAlert(o, Alert.illegal_parameter, undefined, false);
  });

  it("no supported_versions in the second ClientHello: illegal_parameter", async () => {
    const o = await hostile(retryWith((ch) => {
      ch.extensions = ch.extensions.filter((e) => e.type !== E.supported_versions);
    }));
    expectAlert(o, Alert.illegal_parameter, undefined, false);
  });

  it("application data instead of the second ClientHello: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await provokeRetry(c);
      c.sendRecord(ContentType.application_data, new Uint8Array([1, 2, 3]));
    });
    expectAlert(o, Alert.unexpected_message, undefined, false);
  });

  it("a ChangeCipherSpec between the second ClientHello's records: unexpected_message", async () => {
    const o = await hostile(async (c) => {
      await provokeRetry(c);
      await c.sendHandshake(await c.secondHello(), {
        fragments: [20, 16384],
        between: () => c.sendRecord(ContentType.change_cipher_spec, new Uint8Array([1])),
      });
    });
    expectAlert(o, Alert.unexpected_message, undefined, false);
  });
});
