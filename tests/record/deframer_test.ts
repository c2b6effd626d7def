import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, utf8 } from "../../src/_bytes.ts";
import { Alert, TLSAlertError } from "../../src/alert.ts";
import { ContentType } from "../../src/constants.ts";
import { SSLError } from "../../src/errors.ts";
import { Deframer, RecordLimit } from "../../src/record/deframer.ts";
import { frameRecords } from "../../src/record/fragmenter.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";

function rejects(d: Deframer, alert: Alert, reason?: string): void {
  assert.throws(
    () => d.next(),
    (e: unknown) =>
      e instanceof TLSAlertError && e.alert === alert && (!reason || e.reason === reason),
  );
}

/** Not TLS at all: OpenSSL names it and sends no alert, so a plain SSLError, not an alert. */
function rejectsWithoutAlert(d: Deframer, reason: string): void {
  assert.throws(
    () => d.next(),
    (e: unknown) => e instanceof SSLError && e.reason === reason,
  );
}

function header(type: number, version: number, length: number): Uint8Array {
  return new Uint8Array([type, version >> 8, version & 0xff, length >> 8, length & 0xff]);
}

describe("Deframer", () => {
  it("yields the RFC 8448 ClientHello record, with its header", () => {
    const d = new Deframer();
    d.push(V.clientHelloRecord);
    const r = d.next()!;
    assert.equal(r.type, ContentType.handshake);
    assert.equal(r.version, 0x0301);
    assert.deepEqual(r.fragment, V.clientHello);
    assert.deepEqual(r.header, V.clientHelloRecord.subarray(0, 5));
    assert.equal(d.next(), undefined);
    assert.equal(d.buffered, 0);
  });

  it("reassembles records fed one byte at a time", () => {
    const stream = concat(V.clientHelloRecord, V.serverHelloRecord);
    const d = new Deframer();
    const got = [];
    for (let i = 0; i < stream.byteLength; i++) {
      d.push(stream.subarray(i, i + 1));
      for (let r = d.next(); r; r = d.next()) got.push(r.fragment);
    }
    assert.deepEqual(got, [V.clientHello, V.serverHello]);
  });

  it("returns views, not copies, for records inside one chunk", () => {
    const stream = concat(V.clientHelloRecord, V.serverHelloRecord);
    const d = new Deframer();
    d.push(stream);
    assert.equal(d.next()!.fragment.buffer, stream.buffer);
    assert.equal(d.next()!.fragment.buffer, stream.buffer);
  });

  it("waits for the whole record and reports what is buffered", () => {
    const d = new Deframer();
    d.push(V.serverHelloRecord.subarray(0, 3));
    assert.equal(d.next(), undefined);
    d.push(V.serverHelloRecord.subarray(3, 50));
    assert.equal(d.next(), undefined);
    assert.equal(d.buffered, 50);
    d.push(V.serverHelloRecord.subarray(50));
    assert.deepEqual(d.next()!.fragment, V.serverHello);
  });

  it("enforces the length limit of the current state (record_overflow)", () => {
    const d = new Deframer();
    d.push(header(23, 0x0303, 16385));
    rejects(d, Alert.record_overflow);
    const ok = new Deframer();
    ok.maxFragment = RecordLimit.tls13;
    ok.push(header(23, 0x0303, 16384 + 256));
    assert.equal(ok.next(), undefined);
    const over = new Deframer();
    over.maxFragment = RecordLimit.tls13;
    over.push(header(23, 0x0303, 16384 + 257));
    rejects(over, Alert.record_overflow);
    const tls12 = new Deframer();
    tls12.maxFragment = RecordLimit.tls12;
    tls12.push(header(23, 0x0303, 16384 + 2048));
    assert.equal(tls12.next(), undefined);
  });

  it("checks the header as soon as it arrives, before the body", () => {
    const d = new Deframer();
    d.push(header(22, 0x0303, 40000));
    rejects(d, Alert.record_overflow, "PACKET_LENGTH_TOO_LONG");
  });

  it("rejects unknown content types (RFC 8446 §5)", () => {
    const d = new Deframer();
    d.push(concat(V.clientHelloRecord, header(24, 0x0303, 1), new Uint8Array(1)));
    d.next();
    rejects(d, Alert.unexpected_message);
  });

  it("rejects zero-length handshake, alert and CCS records, allows empty application data", () => {
    for (const t of [ContentType.handshake, ContentType.alert, ContentType.change_cipher_spec]) {
      const d = new Deframer();
      d.push(header(t, 0x0303, 0));
      rejects(d, Alert.unexpected_message);
    }
    const d = new Deframer();
    d.push(header(23, 0x0303, 0));
    assert.equal(d.next()!.fragment.byteLength, 0);
  });

  it("accepts any 0x03xx version, and then only the expected one", () => {
    const d = new Deframer();
    d.push(
      concat(header(22, 0x0300, 1), new Uint8Array(1), header(22, 0x0399, 1), new Uint8Array(1)),
    );
    assert.equal(d.next()!.version, 0x0300);
    assert.equal(d.next()!.version, 0x0399);
    d.expectedVersion = 0x0303;
    d.push(
      concat(header(22, 0x0303, 1), new Uint8Array(1), header(22, 0x0301, 1), new Uint8Array(1)),
    );
    assert.equal(d.next()!.version, 0x0303);
    rejects(d, Alert.protocol_version, "WRONG_VERSION_NUMBER");
    const major = new Deframer();
    major.push(concat(V.clientHelloRecord, header(22, 0x0203, 1)));
    major.next();
    rejects(major, Alert.protocol_version, "WRONG_VERSION_NUMBER");
  });

  it("names an HTTP request sent to a TLS port", () => {
    for (
      const req of ["GET / HTTP/1.1\r\n", "POST /x HTTP/1.1\r\n", "HEAD / HTTP/1.0\r\n", "PUT /"]
    ) {
      const d = new Deframer();
      d.push(utf8(req));
      rejectsWithoutAlert(d, "HTTP_REQUEST");
    }
    const proxy = new Deframer();
    proxy.push(utf8("CONNECT example.com:443 HTTP/1.1\r\n"));
    rejectsWithoutAlert(proxy, "HTTPS_PROXY_REQUEST");
    const ssh = new Deframer();
    ssh.push(utf8("SSH-2.0-OpenSSH_9.6\r\n"));
    rejectsWithoutAlert(ssh, "WRONG_VERSION_NUMBER");
  });

  it("treats a first record with major version 3 as TLS, whatever its type", () => {
    const d = new Deframer();
    d.push(concat(header(24, 0x0303, 1), new Uint8Array(1)));
    rejects(d, Alert.unexpected_message, "BAD_RECORD_TYPE");
  });

  it("recognises garbage before a whole header has arrived", () => {
    const d = new Deframer();
    d.push(utf8("GE"));
    assert.equal(d.next(), undefined);
    d.push(utf8("T /"));
    rejectsWithoutAlert(d, "HTTP_REQUEST");
    // One byte could still start a record of an unknown type; two tell.
    const junk = new Deframer();
    junk.push(new Uint8Array([0xff]));
    assert.equal(junk.next(), undefined);
    junk.push(new Uint8Array([0xff]));
    rejectsWithoutAlert(junk, "WRONG_VERSION_NUMBER");
  });

  it("hands over the unprocessed bytes", () => {
    const d = new Deframer();
    d.push(V.clientHelloRecord);
    d.push(utf8("after"));
    d.next();
    assert.deepEqual(d.take(), utf8("after"));
    assert.equal(d.buffered, 0);
    assert.equal(d.take().byteLength, 0);
    d.push(V.serverHelloRecord.subarray(0, 10));
    d.push(V.serverHelloRecord.subarray(10, 20));
    assert.deepEqual(d.take(), V.serverHelloRecord.subarray(0, 20));
  });

  it("copies at most one record when records straddle chunks", () => {
    const big = frameRecords(ContentType.application_data, new Uint8Array(3 * 16384));
    const d = new Deframer();
    let n = 0;
    for (let i = 0; i < big.byteLength; i += 7000) {
      d.push(big.subarray(i, i + 7000));
      for (let r = d.next(); r; r = d.next()) {
        assert.equal(r.fragment.byteLength, 16384);
        n++;
      }
      assert.ok(d.buffered < 5 + 16384 + 7000);
    }
    assert.equal(n, 3);
  });
});

describe("frameRecords", () => {
  it("frames the RFC 8448 ClientHello with legacy_record_version 0x0301", () => {
    assert.deepEqual(
      frameRecords(ContentType.handshake, V.clientHello, 0x0301),
      V.clientHelloRecord,
    );
  });

  it("lets messages share a record and splits long flights at 2^14", () => {
    const flight = concat(V.clientHello, V.serverHello);
    assert.deepEqual(
      frameRecords(ContentType.handshake, flight),
      concat(header(22, 0x0303, flight.byteLength), flight),
    );
    const long = new Uint8Array(40000).fill(7);
    const framed = frameRecords(ContentType.handshake, long);
    assert.equal(framed.byteLength, 40000 + 3 * 5);
    const d = new Deframer();
    d.push(framed);
    const sizes = [];
    for (let r = d.next(); r; r = d.next()) sizes.push(r.fragment.byteLength);
    assert.deepEqual(sizes, [16384, 16384, 7232]);
    assert.equal(frameRecords(ContentType.handshake, new Uint8Array(0)).byteLength, 0);
    assert.equal(frameRecords(ContentType.application_data, new Uint8Array(0)).byteLength, 5);
    assert.equal(
      frameRecords(ContentType.handshake, long, 0x0303, 1000).byteLength,
      40000 + 40 * 5,
    );
  });
});
