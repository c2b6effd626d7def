#!/usr/bin/env python3
"""A scripted Python `ssl` client for testing TLS servers (webtls interop tests).

Usage: python3 python_probe.py '<json options>'

Options: host ("127.0.0.1"), port, servername ("localhost": SNI and the name verified),
caFile, certFile/keyFile (client certificate), alpn ([...]), pha (offer post-handshake
authentication), connections (default 1; each later one resumes the previous session),
steps: a list of {"send": text} and {"expect": text} (read until text has arrived), run on
every connection; then the client reads until the server closes. timeoutMs (default 20000).

Prints one JSON line: {"ok": true, "connections": [{version, cipher, alpn, sessionReused,
peerCert (getpeercert()), received, cleanClose}, ...]} or {"ok": false, "error": ...}.
"""

import json
import socket
import ssl
import sys


def make_context(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=opts["caFile"])
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if opts.get("alpn"):
        ctx.set_alpn_protocols(opts["alpn"])
    if opts.get("certFile"):
        ctx.load_cert_chain(opts["certFile"], opts.get("keyFile"))
    if opts.get("pha"):
        ctx.post_handshake_auth = True
    return ctx


def one_connection(ctx, opts, session):
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
        "sessionReused": conn.session_reused,
        "peerCert": conn.getpeercert(),
    }
    received = b""
    for step in opts.get("steps") or []:
        if "send" in step:
            conn.sendall(step["send"].encode("utf-8"))
        else:
            want = step["expect"].encode("utf-8")
            while want not in received:
                data = conn.recv(65536)
                if not data:
                    raise EOFError(f"closed before {step['expect']!r}; got {received!r}")
                received += data
    clean = True
    while True:
        try:
            data = conn.recv(65536)
        except ssl.SSLEOFError:
            clean = False
            break
        if not data:
            break
        received += data
    # Tickets arrive after the handshake: the session is complete once everything was read.
    session = conn.session
    conn.close()
    result.update({"received": received.decode("utf-8", "replace"), "cleanClose": clean})
    return result, session


def main():
    opts = json.loads(sys.argv[1])
    connections = []
    try:
        ctx = make_context(opts)
        session = None
        for _ in range(int(opts.get("connections") or 1)):
            result, session = one_connection(ctx, opts, session)
            connections.append(result)
    except Exception as e:  # noqa: BLE001 - report any failure as JSON
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}", "connections": connections}))
        sys.exit(1)
    print(json.dumps({"ok": True, "connections": connections}))


if __name__ == "__main__":
    main()
