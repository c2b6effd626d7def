import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat } from "../../src/_bytes.ts";
import { Alert, TLSAlertError } from "../../src/alert.ts";
import { HandshakeType } from "../../src/constants.ts";
import {
  DEFAULT_MAX_HANDSHAKE_MESSAGE,
  frameHandshake,
  type HandshakeMessage,
  HandshakeReassembler,
} from "../../src/messages/handshake.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";

/** The RFC 8448 §3 server flight: four messages in one record. */
const SERVER_FLIGHT = [V.encryptedExtensions, V.certificate, V.certificateVerify, V.serverFinished];

function drain(r: HandshakeReassembler): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (let m = r.next(); m; m = r.next()) out.push(m);
  return out;
}

function header(type: number, length: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array([type, length >>> 16, (length >>> 8) & 0xff, length & 0xff]);
}

describe("frameHandshake", () => {
  it("reproduces the RFC 8448 Finished message from its verify_data", () => {
    const msg = frameHandshake(HandshakeType.finished, V.serverFinishedVerifyData);
    assert.deepEqual(msg.raw, V.serverFinished);
    assert.equal(msg.type, HandshakeType.finished);
    assert.deepEqual(msg.body, V.serverFinishedVerifyData);
    // body is a view of raw, so the transcript and the decoder see the same bytes.
    assert.equal(msg.body.buffer, msg.raw.buffer);
  });

  it("writes a 24-bit length", () => {
    const msg = frameHandshake(HandshakeType.certificate, new Uint8Array(0x012345));
    assert.deepEqual(msg.raw.subarray(0, 4), new Uint8Array([11, 0x01, 0x23, 0x45]));
  });

  it("frames an empty body as a bare header", () => {
    const msg = frameHandshake(HandshakeType.end_of_early_data, new Uint8Array(0));
    assert.deepEqual(msg.raw, new Uint8Array([5, 0, 0, 0]));
    assert.equal(msg.body.byteLength, 0);
  });
});

describe("HandshakeReassembler", () => {
  it("yields the four messages of the RFC 8448 server flight from one fragment", () => {
    const r = new HandshakeReassembler();
    r.push(V.serverHandshakePlaintext);
    const got = drain(r);
    assert.deepEqual(got.map((m) => m.raw), SERVER_FLIGHT);
    assert.deepEqual(got.map((m) => m.type), [
      HandshakeType.encrypted_extensions,
      HandshakeType.certificate,
      HandshakeType.certificate_verify,
      HandshakeType.finished,
    ]);
    assert.deepEqual(got[3].body, V.serverFinishedVerifyData);
    assert.equal(r.hasPartial, false);
  });

  it("reassembles the flight fed in 1-byte fragments", () => {
    const r = new HandshakeReassembler();
    const got: Uint8Array[] = [];
    const flight = V.serverHandshakePlaintext;
    for (let i = 0; i < flight.byteLength; i++) {
      r.push(flight.subarray(i, i + 1));
      // A partial message is reported until its last byte arrives.
      const done = got.reduce((n, m) => n + m.byteLength, 0);
      for (const m of drain(r)) got.push(m.raw);
      const nowDone = got.reduce((n, m) => n + m.byteLength, 0);
      assert.equal(r.hasPartial, nowDone < i + 1, `after byte ${i} (${done}→${nowDone})`);
    }
    assert.deepEqual(got, SERVER_FLIGHT);
  });

  it("reassembles at every split point of a two-fragment delivery", () => {
    const flight = V.serverHandshakePlaintext;
    for (let cut = 1; cut < flight.byteLength; cut++) {
      const r = new HandshakeReassembler();
      r.push(flight.subarray(0, cut));
      const first = drain(r);
      r.push(flight.subarray(cut));
      assert.deepEqual([...first, ...drain(r)].map((m) => m.raw), SERVER_FLIGHT, `cut at ${cut}`);
    }
  });

  it("returns a message whose header and body arrive in separate fragments", () => {
    const r = new HandshakeReassembler();
    r.push(V.serverFinished.subarray(0, 2));
    assert.equal(r.next(), undefined);
    r.push(V.serverFinished.subarray(2, 4));
    assert.equal(r.next(), undefined);
    assert.equal(r.hasPartial, true);
    r.push(V.serverFinished.subarray(4));
    assert.deepEqual(r.next()?.raw, V.serverFinished);
    assert.equal(r.next(), undefined);
  });

  it("keeps a message that begins at the end of another's fragment", () => {
    const r = new HandshakeReassembler();
    const both = concat(V.certificateVerify, V.serverFinished);
    r.push(both.subarray(0, V.certificateVerify.byteLength + 3));
    assert.deepEqual(r.next()?.raw, V.certificateVerify);
    assert.equal(r.next(), undefined);
    assert.equal(r.hasPartial, true);
    r.push(both.subarray(V.certificateVerify.byteLength + 3));
    assert.deepEqual(r.next()?.raw, V.serverFinished);
  });

  it("yields a message with an empty body (EndOfEarlyData)", () => {
    const r = new HandshakeReassembler();
    r.push(concat(header(HandshakeType.end_of_early_data, 0), V.serverFinished));
    const got = drain(r);
    assert.equal(got.length, 2);
    assert.equal(got[0].type, HandshakeType.end_of_early_data);
    assert.equal(got[0].body.byteLength, 0);
  });

  it("ignores an empty fragment", () => {
    const r = new HandshakeReassembler();
    r.push(new Uint8Array(0));
    assert.equal(r.hasPartial, false);
    assert.equal(r.next(), undefined);
  });

  it("refuses a message over the cap from its header alone, before the body is buffered", () => {
    const r = new HandshakeReassembler(1000);
    assert.throws(
      () => r.push(header(HandshakeType.certificate, 1001)),
      (e: unknown) =>
        e instanceof TLSAlertError && e.alert === Alert.illegal_parameter &&
        e.reason === "EXCESSIVE_MESSAGE_SIZE",
    );
  });

  it("refuses an oversized header that arrives a byte at a time", () => {
    const r = new HandshakeReassembler(1000);
    const h = header(HandshakeType.certificate, 0xffffff);
    r.push(h.subarray(0, 1));
    r.push(h.subarray(1, 2));
    r.push(h.subarray(2, 3));
    assert.throws(() => r.push(h.subarray(3)), TLSAlertError);
  });

  it("checks the header of a message that follows a complete one in the same fragment", () => {
    const r = new HandshakeReassembler(1000);
    r.push(concat(V.serverFinished, header(HandshakeType.certificate, 5000)));
    // The first message is whole; taking it exposes the next header, which is over the cap.
    assert.throws(
      () => drain(r),
      (e: unknown) => e instanceof TLSAlertError && e.alert === Alert.illegal_parameter,
    );
  });

  it("accepts a message of exactly the cap", () => {
    const r = new HandshakeReassembler(64);
    const msg = frameHandshake(HandshakeType.certificate, new Uint8Array(64).fill(7));
    r.push(msg.raw);
    assert.deepEqual(r.next()?.raw, msg.raw);
  });

  it("defaults to a 128 KiB cap", () => {
    assert.equal(DEFAULT_MAX_HANDSHAKE_MESSAGE, 128 * 1024);
    const r = new HandshakeReassembler();
    r.push(header(HandshakeType.certificate, 128 * 1024));
    assert.throws(
      () => new HandshakeReassembler().push(header(HandshakeType.certificate, 128 * 1024 + 1)),
      TLSAlertError,
    );
  });

  it("reassembles a 128 KiB message from 1-byte fragments in linear time", () => {
    // A quadratic reassembler copies ~8 GB here and never finishes within the test timeout.
    const msg = frameHandshake(HandshakeType.certificate, new Uint8Array(128 * 1024).fill(1));
    const r = new HandshakeReassembler();
    const start = Date.now();
    for (let i = 0; i < msg.raw.byteLength; i++) {
      r.push(msg.raw.subarray(i, i + 1));
      if (i < msg.raw.byteLength - 1) assert.equal(r.next(), undefined);
    }
    assert.deepEqual(r.next()?.raw, msg.raw);
    assert.ok(Date.now() - start < 10_000, `took ${Date.now() - start} ms`);
  });
});
