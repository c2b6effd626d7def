#!/usr/bin/env python3
"""Python `ssl` peer for the TLS 1.2 and version-negotiation interop tests.

Usage:
  python3 -u tls12_peer.py serve '<json>'
  python3 tls12_peer.py connect '<json>'

Context settings (for either mode), all optional:
  minimumVersion / maximumVersion: a TLSVersion name ("TLSv1", "TLSv1_2", "MAXIMUM_SUPPORTED"...)
  options: a list of OP_* names, or integers (e.g. 1 = OpenSSL 3's SSL_OP_NO_EXTENDED_MASTER_SECRET)
  ciphers: an OpenSSL cipher string (TLS 1.2); ecdhCurve: one curve name (server)
  clientCert: "none" | "optional" | "required" (server); certFile / keyFile (client or server)

serve: {"certFile", "keyFile", "caFile", "servers": [{"name", ...settings}]}
  Listens on 127.0.0.1, one free port per entry, and prints `READY {"name": port, ...}`. Each
  connection prints one JSON line after its handshake,
    {"event": "handshake", "server", "version", "cipher", "tlsUnique", "sessionReused", "peerCert"}
  or {"event": "error", "server", "error"}, then is echoed until the client closes.

connect: {"caFile", "connections": [{"port", ...settings, "send": text, "resume": bool}]}
  Runs the connections in order (with "resume", offering the previous connection's session),
  each sending `send` and reading it back, then prints one JSON line: a list of
    {"ok", "version", "cipher", "tlsUnique", "sessionReused", "echoed", "error"}.
"""

import json
import socket
import ssl
import sys
import threading

PRINT_LOCK = threading.Lock()


def emit(obj):
    with PRINT_LOCK:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def configure(ctx, s):
    if s.get("minimumVersion"):
        ctx.minimum_version = ssl.TLSVersion[s["minimumVersion"]]
    if s.get("maximumVersion"):
        ctx.maximum_version = ssl.TLSVersion[s["maximumVersion"]]
    for opt in s.get("options") or []:
        ctx.options |= opt if isinstance(opt, int) else getattr(ssl, opt)
    if s.get("ciphers"):
        ctx.set_ciphers(s["ciphers"])
    if s.get("ecdhCurve"):
        ctx.set_ecdh_curve(s["ecdhCurve"])
    if s.get("certFile"):
        ctx.load_cert_chain(s["certFile"], s.get("keyFile"))


def hex_or_none(b):
    return b.hex() if b is not None else None


def serve_one(ctx, name, raw):
    try:
        raw.settimeout(60)
        conn = ctx.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError) as e:
            emit({"event": "error", "server": name, "error": str(e)})
            raw.close()
            return
        cipher = conn.cipher()
        peer = conn.getpeercert()
        emit(
            {
                "event": "handshake",
                "server": name,
                "version": conn.version(),
                "cipher": cipher[0] if cipher else None,
                "tlsUnique": hex_or_none(conn.get_channel_binding("tls-unique")),
                "sessionReused": conn.session_reused,
                "peerCert": dict(x[0] for x in peer["subject"]) if peer else None,
            }
        )
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
            conn.unwrap()
        except (ssl.SSLError, OSError):
            pass
        conn.close()
    except Exception as e:  # noqa: BLE001 - report anything, keep serving
        emit({"event": "error", "server": name, "error": repr(e)})


def serve(opts):
    ports = {}
    for s in opts["servers"]:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts["certFile"], opts["keyFile"])
        configure(ctx, s)
        mode = s.get("clientCert") or "none"
        if mode != "none":
            ctx.load_verify_locations(cafile=opts["caFile"])
            ctx.verify_mode = ssl.CERT_REQUIRED if mode == "required" else ssl.CERT_OPTIONAL
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(64)
        ports[s["name"]] = srv.getsockname()[1]

        def accept_loop(srv=srv, ctx=ctx, name=s["name"]):
            while True:
                raw, _ = srv.accept()
                threading.Thread(target=serve_one, args=(ctx, name, raw), daemon=True).start()

        threading.Thread(target=accept_loop, daemon=True).start()
    print("READY " + json.dumps(ports), flush=True)
    threading.Event().wait()


def client_context(ca_file, c):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=ca_file)
    configure(ctx, c)
    return ctx


def connect_one(ctx, c, session):
    raw = socket.create_connection(("127.0.0.1", int(c["port"])), 20)
    conn = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    cipher = conn.cipher()
    result = {
        "ok": True,
        "version": conn.version(),
        "cipher": cipher[0] if cipher else None,
        "tlsUnique": hex_or_none(conn.get_channel_binding("tls-unique")),
        "sessionReused": conn.session_reused,
    }
    want = (c.get("send") or "").encode("utf-8")
    conn.sendall(want)
    echoed = b""
    while len(echoed) < len(want):
        data = conn.recv(65536)
        if not data:
            break
        echoed += data
    result["echoed"] = echoed.decode("utf-8", "replace")
    session = conn.session
    try:
        conn.unwrap()
    except (ssl.SSLError, OSError):
        pass
    conn.close()
    return result, session


def connect(opts):
    results = []
    ctx, session = None, None
    for c in opts["connections"]:
        try:
            # A session resumes only from the context that made it (Python's rule).
            if not (c.get("resume") and ctx):
                ctx = client_context(opts["caFile"], c)
            result, session = connect_one(ctx, c, session if c.get("resume") else None)
        except Exception as e:  # noqa: BLE001 - report any failure as JSON
            result, session = {"ok": False, "error": f"{type(e).__name__}: {e}"}, None
        results.append(result)
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    mode, arg = sys.argv[1], json.loads(sys.argv[2])
    try:
        serve(arg) if mode == "serve" else connect(arg)
    except KeyboardInterrupt:
        pass
