#!/usr/bin/env python3
"""TLS echo server for webtls interop tests (Python ssl / OpenSSL).

Usage: python3 -u python_server.py '<json options>'

Options (all optional but certFile/keyFile):
  host ("127.0.0.1"), port (0 = pick a free one), certFile (PEM chain, leaf first),
  keyFile, caFile (for client certificates), clientCert ("none"|"optional"|"required"),
  minVersion / maxVersion ("TLSv1.2"|"TLSv1.3"), alpn ([...]), tickets (TLS 1.3 tickets
  per handshake), ciphers (OpenSSL cipher string, TLS 1.2), pha (with clientCert: request
  the client certificate after the handshake, with verify_client_post_handshake()).

Prints "READY <port>" once listening, then one JSON line per event:
  {"event":"handshake","version":..,"cipher":..,"alpn":..,"sessionReused":..,"peerCert":..}
  {"event":"pha","peerCert":..}  (the certificate a post-handshake request brought)
  {"event":"closed","bytes":N,"cleanClose":true|false}
  {"event":"error","stage":"handshake"|"echo","error":".."}
Each connection is echoed byte for byte until the client closes; the server then sends
close_notify. Many connections are served concurrently (one thread each).
"""

import json
import socket
import ssl
import sys
import threading

VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
PRINT_LOCK = threading.Lock()


def emit(obj):
    with PRINT_LOCK:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def make_context(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts["certFile"], opts["keyFile"])
    ctx.minimum_version = VERSIONS[opts.get("minVersion") or "TLSv1.2"]
    if opts.get("maxVersion"):
        ctx.maximum_version = VERSIONS[opts["maxVersion"]]
    if opts.get("alpn"):
        ctx.set_alpn_protocols(opts["alpn"])
    if opts.get("tickets") is not None:
        ctx.num_tickets = int(opts["tickets"])
    if opts.get("ciphers"):
        ctx.set_ciphers(opts["ciphers"])
    mode = opts.get("clientCert") or "none"
    if mode != "none":
        ctx.load_verify_locations(cafile=opts["caFile"])
        ctx.verify_mode = ssl.CERT_REQUIRED if mode == "required" else ssl.CERT_OPTIONAL
        # With post_handshake_auth the certificate is requested after the handshake only.
        ctx.post_handshake_auth = bool(opts.get("pha"))
    return ctx


def subject(cert):
    return dict(x[0] for x in cert["subject"]) if cert else None


def serve(ctx, raw, addr):
    total = 0
    try:
        raw.settimeout(60)
        conn = ctx.wrap_socket(
            raw, server_side=True, do_handshake_on_connect=False, suppress_ragged_eofs=False
        )
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError) as e:
            emit({"event": "error", "stage": "handshake", "error": str(e)})
            raw.close()
            return
        cipher = conn.cipher()
        peer = conn.getpeercert()
        emit(
            {
                "event": "handshake",
                "version": conn.version(),
                "cipher": cipher[0] if cipher else None,
                "alpn": conn.selected_alpn_protocol(),
                "sessionReused": conn.session_reused,
                "peerCert": subject(peer),
            }
        )
        # The CertificateRequest leaves with the next write; the answer is read with the next
        # read, so the event follows the second message of the client.
        pha_pending = bool(ctx.post_handshake_auth)
        if pha_pending:
            conn.verify_client_post_handshake()
        clean = False
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    clean = True  # close_notify received
                    break
                if pha_pending and conn.getpeercert():
                    pha_pending = False
                    emit({"event": "pha", "peerCert": subject(conn.getpeercert())})
                conn.sendall(data)
                total += len(data)
        except ssl.SSLEOFError:
            clean = False  # TCP FIN without close_notify
        except (ssl.SSLError, OSError) as e:
            emit({"event": "error", "stage": "echo", "error": str(e)})
        if clean:
            try:
                conn.unwrap()  # send our close_notify
            except (ssl.SSLError, OSError):
                pass
        emit({"event": "closed", "bytes": total, "cleanClose": clean})
        conn.close()
    except Exception as e:  # noqa: BLE001 - report anything, keep serving
        emit({"event": "error", "stage": "internal", "error": repr(e)})
        try:
            raw.close()
        except OSError:
            pass


def main():
    opts = json.loads(sys.argv[1])
    ctx = make_context(opts)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((opts.get("host") or "127.0.0.1", int(opts.get("port") or 0)))
    srv.listen(64)
    print(f"READY {srv.getsockname()[1]}", flush=True)
    while True:
        raw, addr = srv.accept()
        threading.Thread(target=serve, args=(ctx, raw, addr), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
