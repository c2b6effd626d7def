/**
 * Plaintext records for the unprotected start of a handshake: a flight (one or more handshake
 * messages, concatenated) is cut into fragments of at most 2^14 bytes, each framed as a
 * TLSPlaintext record, so several messages may share a record and one message may span
 * several. RFC 8446 §5.1, RFC 5246 §6.2.1.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { ContentType, MAX_PLAINTEXT, RECORD_HEADER_LEN, Version } from "../constants.ts";

/**
 * Frames `data` as TLSPlaintext records of type `type` and returns them concatenated.
 * `version` is legacy_record_version: 0x0303, or 0x0301 for an initial ClientHello
 * (RFC 8446 §5.1). Empty `data` yields one empty record only for application_data, which
 * may be empty; other types yield nothing.
 */
export function frameRecords(
  type: ContentType,
  data: Bytes,
  version: number = Version.TLS12,
  maxFragment: number = MAX_PLAINTEXT,
): Bytes {
  if (maxFragment < 1 || maxFragment > MAX_PLAINTEXT) throw new RangeError("bad fragment size");
  const count = data.byteLength === 0
    ? (type === ContentType.application_data ? 1 : 0)
    : Math.ceil(data.byteLength / maxFragment);
  const out = new Uint8Array(data.byteLength + count * RECORD_HEADER_LEN);
  let off = 0;
  for (let i = 0, src = 0; i < count; i++) {
    const n = Math.min(maxFragment, data.byteLength - src);
    out[off] = type;
    out[off + 1] = version >> 8;
    out[off + 2] = version & 0xff;
    out[off + 3] = n >> 8;
    out[off + 4] = n & 0xff;
    out.set(data.subarray(src, src + n), off + RECORD_HEADER_LEN);
    src += n;
    off += RECORD_HEADER_LEN + n;
  }
  return out;
}
