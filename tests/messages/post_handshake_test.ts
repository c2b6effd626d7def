import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, fromHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ExtensionType as E, HandshakeType, KeyUpdateRequest } from "../../src/constants.ts";
import { parseExtension, readMaxEarlyData } from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import {
  decodeFinished,
  decodeKeyUpdate,
  decodeNewSessionTicket12,
  decodeNewSessionTicket13,
  encodeKeyUpdate,
  encodeNewSessionTicket12,
  encodeNewSessionTicket13,
  type NewSessionTicket13,
} from "../../src/messages/post_handshake.ts";
import { resumed0Rtt as R, simple1Rtt as V } from "../vectors/rfc8448.ts";
import { assertAlert, assertRobust } from "./_assert.ts";

const h = fromHex;

describe("Finished (RFC 8446 §4.4.4)", () => {
  it("returns RFC 8448's server and client verify_data", () => {
    assert.deepEqual(decodeFinished(V.serverFinished.subarray(4), 32), V.serverFinishedVerifyData);
    assert.deepEqual(decodeFinished(V.clientFinished.subarray(4), 32), V.clientFinishedVerifyData);
  });

  it("refuses a verify_data of the wrong length with decode_error", () => {
    for (const n of [0, 31, 33, 48]) {
      assertAlert(() => decodeFinished(new Uint8Array(n), 32), Alert.decode_error);
    }
    assertAlert(() => decodeFinished(new Uint8Array(32), 48), Alert.decode_error);
    assert.equal(decodeFinished(new Uint8Array(48), 48).byteLength, 48);
  });
});

describe("NewSessionTicket (TLS 1.3, RFC 8446 §4.6.1)", () => {
  it("decodes RFC 8448 §3's ticket and re-encodes it", () => {
    assert.equal(V.newSessionTicket[0], HandshakeType.new_session_ticket);
    const nst = decodeNewSessionTicket13(V.newSessionTicket.subarray(4));
    assert.equal(nst.lifetime, 30);
    assert.equal(nst.ageAdd, 0xfad6aac5);
    assert.deepEqual(nst.nonce, V.ticketNonce);
    assert.equal(nst.ticket.byteLength, 178);
    assert.deepEqual(nst.ticket.subarray(0, 4), h("2c035d82"));
    assert.deepEqual(nst.extensions.map((e) => e.type), [E.early_data]);
    assert.equal(parseExtension(nst.extensions[0], readMaxEarlyData), 1024);
    assert.deepEqual(
      frameHandshake(HandshakeType.new_session_ticket, encodeNewSessionTicket13(nst)).raw,
      V.newSessionTicket,
    );
  });

  it("carries the ticket that RFC 8448 §4 offers, with the age obfuscated by ticket_age_add", () => {
    const nst = decodeNewSessionTicket13(V.newSessionTicket.subarray(4));
    // §4's identity is the ticket followed by obfuscated_ticket_age 0xfad6aacb: 6 ms after
    // issue, plus ticket_age_add (RFC 8446 §4.2.11.1).
    const at = R.clientHello.byteLength - 35 - 4 - nst.ticket.byteLength;
    assert.deepEqual(R.clientHello.subarray(at, at + nst.ticket.byteLength), nst.ticket);
    assert.equal(((nst.ageAdd + 6) >>> 0).toString(16), "fad6aacb");
  });

  const sample: NewSessionTicket13 = {
    lifetime: 604800,
    ageAdd: 0xffffffff,
    nonce: h(""),
    ticket: h("01"),
    extensions: [],
  };

  it("round-trips the extremes: 7 days, ageAdd 2^32-1, empty nonce, 1-byte ticket", () => {
    assert.deepEqual(decodeNewSessionTicket13(encodeNewSessionTicket13(sample)), sample);
  });

  it("refuses a lifetime over 604800 seconds with illegal_parameter", () => {
    assertAlert(
      () => decodeNewSessionTicket13(encodeNewSessionTicket13({ ...sample, lifetime: 604801 })),
      Alert.illegal_parameter,
    );
    assertAlert(
      () => decodeNewSessionTicket13(encodeNewSessionTicket13({ ...sample, lifetime: 0xffffffff })),
      Alert.illegal_parameter,
    );
  });

  it("refuses an empty ticket, trailing bytes or a missing extensions block with decode_error", () => {
    const body = encodeNewSessionTicket13(sample);
    assertAlert(
      () => decodeNewSessionTicket13(encodeNewSessionTicket13({ ...sample, ticket: h("") })),
      Alert.decode_error,
    );
    assertAlert(() => decodeNewSessionTicket13(concat(body, h("00"))), Alert.decode_error);
    assertAlert(
      () => decodeNewSessionTicket13(body.subarray(0, body.byteLength - 2)),
      Alert.decode_error,
    );
  });

  it("refuses a duplicate extension with illegal_parameter", () => {
    const dup = {
      ...sample,
      extensions: [{ type: E.early_data, data: h("00000400") }, {
        type: E.early_data,
        data: h("00000400"),
      }],
    };
    assertAlert(
      () => decodeNewSessionTicket13(encodeNewSessionTicket13(dup)),
      Alert.illegal_parameter,
    );
  });

  it("survives truncation and corruption", () => {
    assert.deepEqual(assertRobust(decodeNewSessionTicket13, V.newSessionTicket.subarray(4)), []);
  });
});

describe("NewSessionTicket (TLS 1.2, RFC 5077 §3.3)", () => {
  it("round-trips, an empty ticket included", () => {
    for (
      const t of [{ lifetimeHint: 7200, ticket: h("aabbcc") }, { lifetimeHint: 0, ticket: h("") }]
    ) {
      assert.deepEqual(decodeNewSessionTicket12(encodeNewSessionTicket12(t)), t);
    }
    assert.deepEqual(
      encodeNewSessionTicket12({ lifetimeHint: 1, ticket: h("ab") }),
      h("000000010001ab"),
    );
  });

  it("refuses trailing or missing bytes with decode_error", () => {
    assertAlert(() => decodeNewSessionTicket12(h("000000010001ab00")), Alert.decode_error);
    assertAlert(() => decodeNewSessionTicket12(h("000000010002ab")), Alert.decode_error);
  });

  it("survives truncation and corruption", () => {
    assertRobust(decodeNewSessionTicket12, h("000000010004aabbccdd"));
  });
});

describe("KeyUpdate (RFC 8446 §4.6.3)", () => {
  it("round-trips both request values", () => {
    for (const v of [KeyUpdateRequest.update_not_requested, KeyUpdateRequest.update_requested]) {
      assert.deepEqual(encodeKeyUpdate(v), new Uint8Array([v]));
      assert.equal(decodeKeyUpdate(encodeKeyUpdate(v)), v);
    }
  });

  it("refuses request_update 2 (or any other value) with illegal_parameter", () => {
    assertAlert(() => decodeKeyUpdate(h("02")), Alert.illegal_parameter);
    assertAlert(() => decodeKeyUpdate(h("ff")), Alert.illegal_parameter);
  });

  it("refuses an empty or longer body with decode_error", () => {
    assertAlert(() => decodeKeyUpdate(h("")), Alert.decode_error);
    assertAlert(() => decodeKeyUpdate(h("0000")), Alert.decode_error);
  });
});
