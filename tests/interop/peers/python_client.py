#!/usr/bin/env python3
"""TLS echo client for webtls interop tests (Python ssl / OpenSSL).

Usage: python3 python_client.py '<json options>'

Options: host ("127.0.0.1"), port, servername ("localhost": SNI and the name verified),
caFile (trusted CA), certFile/keyFile (client certificate), minVersion / maxVersion
("TLSv1.2"|"TLSv1.3"), alpn ([...]), text (sent as UTF-8) or bytes (N pseudo-random bytes,
default 1024), connections (default 1; each later one resumes the previous session),
timeoutMs (default 20000).

Each connection sends the payload, reads until the same number of bytes came back, then
closes with close_notify and waits for the server's. Prints one JSON line:
  {"ok":..,"version":..,"cipher":..,"alpn":..,"sessionReused":..,"bytesSent":..,
   "bytesEchoed":..,"sha256Sent":..,"sha256Echoed":..,"cleanClose":..,"connections":[..]}
(top-level fields describe the last connection) or {"ok":false,"error":..}; exit 0 iff ok.
"""

import hashlib
import json
import random
import socket
import ssl
import sys

VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def make_context(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=opts["caFile"])
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = VERSIONS[opts.get("minVersion") or "TLSv1.2"]
    if opts.get("maxVersion"):
        ctx.maximum_version = VERSIONS[opts["maxVersion"]]
    if opts.get("alpn"):
        ctx.set_alpn_protocols(opts["alpn"])
    if opts.get("certFile"):
        ctx.load_cert_chain(opts["certFile"], opts.get("keyFile"))
    return ctx


def one_connection(ctx, opts, payload, session):
    timeout = float(opts.get("timeoutMs") or 20000) / 1000.0
    raw = socket.create_connection((opts.get("host") or "127.0.0.1", int(opts["port"])), timeout)
    conn = ctx.wrap_socket(
        raw,
        server_hostname=opts.get("servername") or "localhost",
        session=session,
        suppress_ragged_eofs=False,
    )
    cipher = conn.cipher()
    result = {
        "version": conn.version(),
        "cipher": cipher[0] if cipher else None,
        "alpn": conn.selected_alpn_protocol(),
    }
    conn.sendall(payload)
    echoed = bytearray()
    eof = False
    while len(echoed) < len(payload):
        try:
            data = conn.recv(65536)
        except ssl.SSLEOFError:
            data = b""
        if not data:
            eof = True
            break
        echoed += data
    reused = conn.session_reused
    session = conn.session  # read before unwrap(), which drops the SSL object
    clean = False
    if not eof:
        try:
            conn.unwrap()  # send close_notify and wait for the server's
            clean = True
        except (ssl.SSLError, OSError):
            clean = False
    result.update(
        {
            "sessionReused": reused,
            "bytesSent": len(payload),
            "bytesEchoed": len(echoed),
            "sha256Sent": hashlib.sha256(payload).hexdigest(),
            "sha256Echoed": hashlib.sha256(bytes(echoed)).hexdigest(),
            "cleanClose": clean,
        }
    )
    conn.close()
    return result, session


def main():
    opts = json.loads(sys.argv[1])
    if opts.get("text") is not None:
        payload = opts["text"].encode("utf-8")
    else:
        payload = random.Random(1).randbytes(int(opts.get("bytes") or 1024))
    connections = []
    try:
        ctx = make_context(opts)
        session = None
        for _ in range(int(opts.get("connections") or 1)):
            result, session = one_connection(ctx, opts, payload, session)
            connections.append(result)
    except Exception as e:  # noqa: BLE001 - report any failure as JSON
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}", "connections": connections}))
        sys.exit(1)
    last = connections[-1]
    ok = all(c["sha256Sent"] == c["sha256Echoed"] for c in connections)
    print(json.dumps({"ok": ok, **last, "connections": connections}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
