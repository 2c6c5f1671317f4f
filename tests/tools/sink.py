#!/usr/bin/python3
"""A fast plain-HTTP sink for benchmarks, answering like Pinterest's
Conversions API without looking at the JSON.

Every POST is answered 200 {"num_events_received": n, "num_events_processed":
n, "events": [n x {"status": "processed", ...}]}, n being the number of
occurrences of "event_name" in the body (no parsing, no validation, no auth).
HTTP/1.1 with keep-alive, Content-Length or chunked bodies, Expect:
100-continue. One thread per connection; per-request work is one header
scan, one read of the body and one bytes.count().

  GET  /_stats   {"events": n, "requests": n, "first_t": epoch or null,
                  "last_t": epoch or null}  (times of the first and last POST)
  POST /_reset   zero the statistics
"""
import argparse
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time

MARK = b'"event_name"'
ITEM = b'{"status":"processed","error_message":"","warning_message":""}'


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.events = self.requests = 0
            self.first_t = self.last_t = None

    def add(self, n):
        now = time.time()
        with self.lock:
            self.events += n
            self.requests += 1
            if self.first_t is None:
                self.first_t = now
            self.last_t = now

    def json(self):
        with self.lock:
            return json.dumps({"events": self.events, "requests": self.requests,
                               "first_t": self.first_t, "last_t": self.last_t}).encode()


STATS = Stats()
ANSWERS = {}  # n -> the complete 200 answer (bytes); built once per n


def answer(n):
    """The full HTTP answer for a batch of N events (cached)."""
    cached = ANSWERS.get(n)
    if cached is None:
        body = (b'{"num_events_received":%d,"num_events_processed":%d,"events":[%s]}'
                % (n, n, b",".join([ITEM] * n)))
        cached = response(200, body)
        if n <= 1000:  # Pinterest's batch limit: the cache stays small
            ANSWERS[n] = cached
    return cached


def response(status, body):
    reason = {200: b"OK", 404: b"Not Found", 400: b"Bad Request"}.get(status, b"Error")
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (status, reason, len(body), body))


class Handler(socketserver.StreamRequestHandler):
    rbufsize = 1 << 20  # big reads: bodies are ~400 KB
    timeout = 300  # an idle kept-alive connection is closed after this

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        rfile, conn = self.rfile, self.connection
        while True:  # one request per turn, until the client closes
            request_line = rfile.readline(65536)
            if not request_line.strip():
                if not request_line:
                    return  # closed
                continue  # a stray CRLF between requests
            headers = {}
            while True:
                line = rfile.readline(65536)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            method, _, rest = request_line.partition(b" ")
            path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
            if headers.get(b"expect", b"").lower() == b"100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = self.read_body(headers)
            if method == b"POST" and path == b"/_reset":
                STATS.reset()
                conn.sendall(response(200, b'{"ok":true}'))
            elif method == b"POST":
                n = body.count(MARK)
                STATS.add(n)
                conn.sendall(answer(n))
            elif path == b"/_stats":
                conn.sendall(response(200, STATS.json()))
            else:
                conn.sendall(response(404, b'{"code":404,"message":"Not found."}'))
            if headers.get(b"connection", b"").lower() == b"close":
                return

    def read_body(self, headers):
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            parts = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65536).strip():
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(headers.get(b"content-length", b"0") or 0)
        return self.rfile.read(length) if length > 0 else b""


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def write_atomically(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    ap.add_argument("--port-file", help="write the listening port here once listening")
    ap.add_argument("--pid-file", help="write the process id here")
    args = ap.parse_args()

    Server.address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    server = Server((args.bind, args.port), Handler)
    # shutdown() must not run in the thread of serve_forever(): use another.
    stop = lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pid_file:
        write_atomically(args.pid_file, f"{os.getpid()}\n")
    if args.port_file:
        write_atomically(args.port_file, f"{server.server_address[1]}\n")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.pid_file:
            try:
                os.unlink(args.pid_file)
            except OSError:
                pass


if __name__ == "__main__":
    main()
