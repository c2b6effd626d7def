/**
 * `SSLSession`: what a client keeps to resume a connection later.
 * @module
 */
import { type Bytes, fromUtf8, toHex, utf8 } from "../_bytes.ts";
import { DecodeError, Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { Version } from "../constants.ts";
import type { ClientSession } from "../engine/config.ts";
import { SSLError } from "../errors.ts";
import { pemDecode, pemEncode } from "../x509/pem.ts";

const PEM_LABEL = "WEBTLS SESSION PARAMETERS";
const FORMAT = 2;

/**
 * A TLS session that a client can resume (Python's `ssl.SSLSession`): a TLS 1.3 ticket, or a
 * TLS 1.2 session ID and/or ticket. Pass it as `wrapSocket(transport, { session })`;
 * `sessionReused` then tells whether the server accepted it. It holds the resumption secret:
 * `toPem()` exports it for `--sess-out`-style caching, so treat that text like a private key.
 *
 * @example
 * ```ts
 * import { connect, createDefaultContext } from "@webtls/webtls";
 * const ctx = await createDefaultContext();
 * const first = await connect("example.com", 443, { context: ctx });
 * await first.read(); // TLS 1.3 tickets arrive after the handshake
 * const session = first.session;
 * await first.close();
 * const second = await connect("example.com", 443, { context: ctx, session: session! });
 * console.log(second.sessionReused);
 * ```
 */
export class SSLSession {
  #data: ClientSession;
  #id: Bytes;

  /** @ignore Created by the library from a received ticket or session. */
  constructor(data: ClientSession, id: Bytes) {
    this.#data = data;
    this.#id = data.version === Version.TLS12 && data.sessionId.byteLength ? data.sessionId : id;
  }

  /** The session identifier (TLS 1.2: the server's; TLS 1.3: a random id, as OpenSSL assigns). */
  get id(): Uint8Array {
    return this.#id.slice();
  }

  /** When the session was established, in seconds since the epoch. */
  get time(): number {
    return Math.floor(this.#data.receivedAt / 1000);
  }

  /** Lifetime in seconds. */
  get timeout(): number {
    return this.#data.lifetime;
  }

  /** The server's ticket lifetime hint in seconds. */
  get ticketLifetimeHint(): number {
    return this.#data.lifetime;
  }

  /** True when the session carries a ticket. */
  get hasTicket(): boolean {
    return (this.#data.ticket?.byteLength ?? 0) > 0;
  }

  /** The protocol version of the session (`TLSv1.3` or `TLSv1.2`). */
  get version(): string {
    return this.#data.version === Version.TLS13 ? "TLSv1.3" : "TLSv1.2";
  }

  /** @ignore The resumption data for the handshake. */
  get _data(): ClientSession {
    return this.#data;
  }

  /** A description without secrets. */
  toString(): string {
    return `SSLSession(id=${toHex(this.#id).slice(0, 16)}…, version=${this.version}, ` +
      `timeout=${this.timeout})`;
  }

  /** JSON without secrets. */
  toJSON(): object {
    return {
      id: toHex(this.#id),
      time: this.time,
      timeout: this.timeout,
      ticketLifetimeHint: this.ticketLifetimeHint,
      hasTicket: this.hasTicket,
      version: this.version,
    };
  }

  /** Exports the session, secrets included, as PEM text (like `openssl s_client -sess_out`). */
  toPem(): string {
    const d = this.#data;
    const w = new Writer(1024);
    w.u8(FORMAT).u16(d.version).u16(d.cipherSuite).opaque8(this.#id);
    w.opaque16(d.ticket ?? new Uint8Array(0));
    if (d.version === Version.TLS13) {
      w.opaque8(d.psk).u32(d.ageAdd).u32(d.maxEarlyData);
    } else {
      w.opaque8(d.masterSecret).opaque8(d.sessionId).u8(d.extendedMasterSecret ? 1 : 0);
    }
    w.u32(d.lifetime).u64(BigInt(d.receivedAt));
    w.opaque8(utf8(d.serverName ?? "")).opaque8(utf8(d.alpn ?? ""));
    for (const list of [d.peerCertificates, d.verifiedChain]) {
      w.vec24((l) => {
        for (const c of list) l.opaque24(c);
      });
    }
    return pemEncode(w.finish(), PEM_LABEL);
  }

  /** Imports a session exported with `toPem()`. Throws `SSLError` when the text is not one. */
  static fromPem(text: string): SSLSession {
    const [der] = pemDecode(text, PEM_LABEL);
    if (!der) throw new SSLError("BAD_SESSION", `no ${PEM_LABEL} block found`);
    try {
      return decode(new Reader(der));
    } catch (e) {
      if (e instanceof DecodeError) {
        throw new SSLError("BAD_SESSION", `malformed session: ${e.message}`);
      }
      throw e;
    }
  }
}

function decode(r: Reader): SSLSession {
  if (r.u8() !== FORMAT) throw new DecodeError("unknown session format");
  const version = r.u16();
  const cipherSuite = r.u16();
  const id = r.vec8().slice();
  const ticket = r.vec16().slice();
  let kind: { version: typeof Version.TLS13; psk: Bytes; ageAdd: number; maxEarlyData: number } | {
    version: typeof Version.TLS12;
    masterSecret: Bytes;
    sessionId: Bytes;
    extendedMasterSecret: boolean;
  };
  if (version === Version.TLS13) {
    kind = { version, psk: r.vec8().slice(), ageAdd: r.u32(), maxEarlyData: r.u32() };
  } else if (version === Version.TLS12) {
    kind = {
      version,
      masterSecret: r.vec8().slice(),
      sessionId: r.vec8().slice(),
      extendedMasterSecret: r.u8() === 1,
    };
  } else {
    throw new DecodeError("unsupported session version");
  }
  const lifetime = r.u32();
  const receivedAt = Number(r.u64());
  const serverName = fromUtf8(r.vec8()) || undefined;
  const alpn = fromUtf8(r.vec8()) || null;
  const chains: Bytes[][] = [];
  for (let i = 0; i < 2; i++) {
    const l = r.sub24();
    const certs: Bytes[] = [];
    while (l.remaining) certs.push(l.vec24().slice());
    chains.push(certs);
  }
  r.end();
  const common = {
    cipherSuite,
    lifetime,
    receivedAt,
    serverName,
    alpn,
    peerCertificates: chains[0],
    verifiedChain: chains[1],
  };
  return kind.version === Version.TLS13
    ? new SSLSession({ ...common, ...kind, ticket }, id)
    : new SSLSession({ ...common, ...kind, ticket: ticket.byteLength ? ticket : undefined }, id);
}
