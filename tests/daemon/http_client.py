#!/usr/bin/env python3
"""A real HTTPS client for tests/daemon/http_test.cc: Python's http.client and ssl, with the
node's CA. Usage: http_client.py CA PORT MODE ARGS...

  request METHOD PATH TOKEN BODYFILE [HEADER:VALUE...]  prints the status, the allow and
      www-authenticate headers, then the body (TOKEN and BODYFILE "-" for none)
  flood SOURCE_IP N        opens N connections from SOURCE_IP and holds them; prints how many
                           the server cut off (closed within 1.5 s) and how many it kept, then
                           the status of a request from 127.0.0.2 meanwhile
  slowloris SECONDS        sends a request's headers a byte every 0.2 s; prints the seconds
                           until the server closed the connection (or "open" after SECONDS)
  sse TOKEN LAST_ID COUNT SECONDS   reads the alert feed after LAST_ID ("-": from the start)
                           until COUNT events came or SECONDS passed; prints "id event" lines
  sse-end TOKEN SECONDS    reads the alert feed from its end until the server ends the stream
                           or SECONDS passed; prints each event's name, then "end" or "timeout"
"""
import http.client
import socket
import ssl
import sys
import time


def context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False  # the node's certificate names the node, not 127.0.0.1
    return ctx


def tls_socket(ca, port, source="127.0.0.1"):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return context(ca).wrap_socket(raw)


def request(ca, port, method, path, token, body_file, headers):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(ca), timeout=30)
    h = {}
    if token != "-":
        h["Authorization"] = "Bearer " + token
    for extra in headers:
        k, v = extra.split(":", 1)
        h[k] = v
    body = open(body_file, "rb").read() if body_file != "-" else None
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in h.items():
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    r = conn.getresponse()
    print(r.status)
    print("allow: " + (r.getheader("allow") or ""))
    print("www-authenticate: " + (r.getheader("www-authenticate") or ""))
    sys.stdout.write(r.read().decode("utf-8", "replace"))


def flood(ca, port, source, n):
    held = []
    for _ in range(n):
        try:
            held.append(tls_socket(ca, port, source))
        except (OSError, ssl.SSLError):
            held.append(None)
    cut = 0
    deadline = time.monotonic() + 1.5
    for s in held:
        if s is None:
            cut += 1
            continue
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if s.recv(1) == b"":
                cut += 1
        except socket.timeout:
            pass
        except (OSError, ssl.SSLError):
            cut += 1
    # Another client (another address) is served meanwhile.
    other = http.client.HTTPSConnection("127.0.0.1", port, context=context(ca), timeout=10,
                                        source_address=("127.0.0.2", 0))
    other.request("GET", "/healthz")
    status = other.getresponse().status
    print("cut %d kept %d other %d" % (cut, n - cut, status))
    sys.stdout.flush()
    for s in held:
        if s is not None:
            s.close()


def slowloris(ca, port, seconds):
    s = tls_socket(ca, port)
    start = time.monotonic()
    data = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000
    s.setblocking(True)
    for i in range(len(data)):
        if time.monotonic() - start > seconds:
            print("open")
            return
        try:
            s.send(data[i:i + 1])
            s.settimeout(0.2)
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            break
    print("%.1f" % (time.monotonic() - start))


def sse(ca, port, token, last_id, count, seconds):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(ca), timeout=seconds)
    h = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
    if last_id != "-":
        h["Last-Event-ID"] = last_id
    conn.request("GET", "/v1/alerts/feed", headers=h)
    r = conn.getresponse()
    if r.status != 200:
        print("status %d" % r.status)
        return
    got = 0
    event_id, name = None, None
    deadline = time.monotonic() + seconds
    while got < count and time.monotonic() < deadline:
        try:
            line = r.fp.readline().decode().rstrip("\n")
        except (socket.timeout, OSError):
            break
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("event: "):
            name = line[7:]
        elif line == "" and event_id is not None:
            print(event_id, name)
            sys.stdout.flush()
            got += 1
            event_id, name = None, None


def sse_end(ca, port, token, seconds):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(ca), timeout=seconds)
    conn.request("GET", "/v1/alerts/feed", headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    print("status %d" % r.status)
    sys.stdout.flush()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = r.fp.readline()
        except (socket.timeout, OSError):
            break
        if line == b"":
            print("end")
            return
        if line.startswith(b"event: "):
            print(line[7:].decode().strip())
            sys.stdout.flush()
    print("timeout")


def main():
    ca, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    a = sys.argv[4:]
    if mode == "request":
        request(ca, port, a[0], a[1], a[2], a[3], a[4:])
    elif mode == "flood":
        flood(ca, port, a[0], int(a[1]))
    elif mode == "slowloris":
        slowloris(ca, port, float(a[0]))
    elif mode == "sse":
        sse(ca, port, a[0], a[1], int(a[2]), float(a[3]))
    elif mode == "sse-end":
        sse_end(ca, port, a[0], float(a[1]))


main()
