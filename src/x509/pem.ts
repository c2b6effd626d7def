/**
 * PEM armour (RFC 7468): text to DER and back.
 * @module
 */
import { type Bytes, fromBase64, toBase64 } from "../_bytes.ts";

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, …), headers and DER body. */
export interface PemBlock {
  /** The label between `-----BEGIN ` and `-----`. */
  label: string;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`) of legacy encrypted keys, if any. */
  headers: Record<string, string>;
  /** The decoded body. */
  der: Bytes;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block in `text`, in order; text outside blocks is ignored (RFC 7468 §2).
 * Throws `TypeError` when a block's body is not valid base64.
 */
export function pemDecodeAll(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const headers: Record<string, string> = {};
    let body = m[2];
    const split = body.search(/\r?\n\r?\n/);
    if (split >= 0 && /^[A-Za-z-]+:/.test(body)) {
      for (const line of body.slice(0, split).split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      body = body.slice(split);
    }
    out.push({ label: m[1], headers, der: fromBase64(body) });
  }
  return out;
}

/** DER bodies of every block labelled `label` in `text`. */
export function pemDecode(text: string, label: string): Bytes[] {
  return pemDecodeAll(text).filter((b) => b.label === label).map((b) => b.der);
}

/** PEM text of `der` under `label`, 64 columns, ending with a newline. */
export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** True when `data` looks like PEM text rather than DER. */
export function looksLikePem(data: Uint8Array | string): boolean {
  if (typeof data === "string") return data.includes("-----BEGIN ");
  // DER always starts with a SEQUENCE tag (0x30); PEM with text.
  return data.byteLength > 0 && data[0] !== 0x30 &&
    new TextDecoder().decode(data.subarray(0, 4096)).includes("-----BEGIN ");
}
