#!/usr/bin/python3
"""Servers for the TLS and proxy end-to-end tests (tests/e2e/tls_e2e_test.cpp).

  tls_helpers.py forward --cert PEM --key PEM --backend PORT [--require-client-cert CAFILE]
      A TLS-terminating forwarder: accepts TLS on 127.0.0.1 (ALPN http/1.1) and relays the
      decrypted bytes to 127.0.0.1:PORT (the fake Letta server), both ways.

  tls_helpers.py proxy --log FILE
      An HTTP proxy: CONNECT host:port opens a tunnel; an absolute-URI request
      (GET http://host:port/path) is forwarded. Every request line and header it reads is
      appended to FILE, so a test can check what a proxy could see.

Both bind 127.0.0.1 port 0, print the port on stdout and serve until killed. One thread per
connection; standard library only.
"""

import argparse
import select
import socket
import ssl
import sys
import threading
import urllib.parse

_log_lock = threading.Lock()


def relay(a, b):
    """Copies bytes both ways until one side closes; then closes both."""
    socks = [a, b]
    try:
        while True:
            ready = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
            if not ready:
                ready, _, _ = select.select(socks, [], [])
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except (OSError, ssl.SSLError):
        return
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


def linger_close(sock):
    """Closes after a failed handshake the way web servers do ("lingering close"): the alert
    OpenSSL wrote is followed by a FIN, and what the client sent meanwhile is read, not answered
    with a reset that could overtake the alert. With TLS 1.3 the client has finished its side of
    the handshake and sent its request before the server refuses its certificate."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2.0)
        while sock.recv(65536):
            pass
    except (OSError, ssl.SSLError):
        pass
    finally:
        sock.close()


def listen():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    print(srv.getsockname()[1], flush=True)
    return srv


def serve(srv, handler):
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


# ---- forward ---------------------------------------------------------------------------------


def run_forward(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    if args.require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=args.require_client_cert)
    srv = listen()

    def handle(conn):
        tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except (OSError, ssl.SSLError) as e:
            print("forward: handshake failed:", e, file=sys.stderr, flush=True)
            linger_close(tls)
            return
        try:
            backend = socket.create_connection(("127.0.0.1", args.backend))
        except OSError:
            tls.close()
            return
        relay(tls, backend)

    serve(srv, handle)


# ---- proxy -----------------------------------------------------------------------------------


def read_head(conn):
    """The request head (up to the blank line) and whatever followed it, or (None, b"")."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buf += data
        if len(buf) > 1 << 20:
            return None, b""
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def run_proxy(args):
    srv = listen()

    def log(text):
        with _log_lock, open(args.log, "a", encoding="latin-1") as f:
            f.write(text)

    def handle(conn):
        head, rest = read_head(conn)
        if head is None:
            conn.close()
            return
        log(head + "\r\n\r\n")
        lines = head.split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)))
            except (OSError, ValueError):
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                conn.close()
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            relay(conn, upstream)
            return
        url = urllib.parse.urlsplit(target)
        if url.scheme != "http" or not url.hostname:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        try:
            upstream = socket.create_connection((url.hostname, url.port or 80))
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        # One request per connection: the upstream closes after its response, and so do we.
        headers = [
            h
            for h in lines[1:]
            if h.split(":", 1)[0].strip().lower() not in ("proxy-connection", "connection")
        ]
        out = "\r\n".join([f"{method} {path} {version}"] + headers + ["Connection: close"])
        upstream.sendall(out.encode("latin-1") + b"\r\n\r\n" + rest)
        relay(conn, upstream)

    serve(srv, handle)


# ---- plain ------------------------------------------------------------------------------------
# A plain-HTTP server as most are: whatever arrives (a TLS ClientHello too) gets a 400.


def run_plain(_args):
    srv = listen()

    def handle(conn):
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            linger_close(conn)

    serve(srv, handle)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("forward")
    f.add_argument("--cert", required=True)
    f.add_argument("--key", required=True)
    f.add_argument("--backend", type=int, required=True)
    f.add_argument("--require-client-cert", default="")
    x = sub.add_parser("proxy")
    x.add_argument("--log", required=True)
    sub.add_parser("plain")
    args = p.parse_args()
    try:
        if args.cmd == "forward":
            run_forward(args)
        elif args.cmd == "plain":
            run_plain(args)
        else:
            run_proxy(args)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
