#!/usr/bin/env python3
"""A real HTTPS web hook receiver for the hooks tests (tests/daemon/hooks_test.cc).

    webhook_receiver.py --cert CRT --key KEY --record FILE.jsonl --mode-file FILE
                        [--port N] [--port-file FILE]

Serves HTTPS on 127.0.0.1 (each request on a thread of its own). Each POST is recorded as
one JSON line in the record file: {"path", "headers" (lower-case names), "body", "answered"}.
What it answers is read from the mode file at each request:
    ok        200
    500       500 (recorded too)
    slow N    waits N seconds, then 200
A missing mode file is "ok". "Down" is this process not running: the test stops it and
starts it again on the same --port. Writes its port to --port-file once it listens.

    webhook_receiver.py verify --secret-file FILE --record FILE.jsonl
        Checks every recorded request's webhook-signature with Python's hmac module (an
        implementation independent of holdfastd's OpenSSL one), as a receiver would; prints
        "verified N" and exits 0, or names the first request that fails and exits 1.
    webhook_receiver.py summary --record FILE.jsonl
        One line per recorded request: answered, webhook-id, alert, change, cursor, and
        whether the body carries any free text ("text" or "-"), tab separated.
"""
import argparse
import http.server
import json
import os
import socketserver
import ssl
import threading
import time

lock = threading.Lock()


def verify(argv):
    import base64
    import hashlib
    import hmac
    p = argparse.ArgumentParser()
    p.add_argument("--secret-file", required=True)
    p.add_argument("--record", required=True)
    args = p.parse_args(argv)
    secret = open(args.secret_file).read().strip()
    key = base64.b64decode(secret[len("whsec_"):])
    n = 0
    for line in open(args.record):
        r = json.loads(line)
        h = r["headers"]
        signed = (h["webhook-id"] + "." + h["webhook-timestamp"] + "." + r["body"]).encode()
        want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        got = [s.split(",", 1)[1] for s in h["webhook-signature"].split() if s.startswith("v1,")]
        if not any(hmac.compare_digest(want, g) for g in got):
            print("bad signature on", h["webhook-id"])
            return 1
        if h.get("content-type") != "application/json":
            print("content-type", h.get("content-type"))
            return 1
        if abs(int(h["webhook-timestamp"]) - time.time()) > 600:
            print("timestamp far from now:", h["webhook-timestamp"])
            return 1
        n += 1
    print("verified", n)
    return 0


def summary(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--record", required=True)
    args = p.parse_args(argv)
    try:
        lines = open(args.record).read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        r = json.loads(line)
        item = json.loads(r["body"])
        alert = item["alert"]
        ack, res = alert.get("acknowledged") or {}, alert.get("resolved") or {}
        text = "reason" in alert or "withdraw_reason" in alert or "note" in ack or "action" in res
        print("\t".join([str(r["answered"]), r["headers"]["webhook-id"], alert["id"],
                         item["change"], str(item["cursor"]), "text" if text else "-"]))
    return 0


def main():
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "summary":
        sys.exit(summary(sys.argv[2:]))
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--record", required=True)
    p.add_argument("--mode-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    args = p.parse_args()

    def mode():
        try:
            with open(args.mode_file) as f:
                return f.read().split()
        except FileNotFoundError:
            return ["ok"]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            m = mode()
            status = 500 if m and m[0] == "500" else 200
            if m and m[0] == "slow":
                time.sleep(float(m[1]) if len(m) > 1 else 30)
            record = {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "answered": status,
            }
            with lock:
                with open(args.record, "a") as f:
                    f.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
