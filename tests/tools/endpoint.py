#!/usr/bin/python3
"""A local Pinterest-compatible Conversions API (v5) endpoint for tests and demos.

Serves POST /v5/ad_accounts/{id}/events[?test=true] the way Pinterest does,
validates every request body against Pinterest's JSON Schema, records every
events request as one JSON line, and can be told to misbehave.

Checks of an events request, in this order (the first failing one answers):
  Authorization: Bearer TOKEN, TOKEN == the token file (re-read every request)
                                                    else 401 {"code": 2, ...}
  the ad account id == --ad-account                 else 404
  Content-Type application/json, strict UTF-8 JSON, {"data": [1..1000 events]}
  valid under --schema (Draft 7), known event_name  else 400 {"code": 4196,
                                                    "message": ...}: a VIOLATION
Then the programmed behaviour (POST /_control) decides the answer.

Violations are bugs of the client: they are marked "violation" in the record
and counted in GET /_stats, so a test can assert there were none.

Control API (same server, plain JSON; each POST /_control REPLACES the
behaviour; "count": N makes it apply to the next N events requests that pass
the checks above, then it reverts to ok; without "count" it lasts until
replaced; unknown keys are refused with 400):
  {"mode": "ok"}                       normal answers (also: {})
  {"status": 503, "body": {...}, "retry_after": 2, "count": 3}
                                       answer that status (body optional: a
                                       Pinterest-like default per status; a
                                       JSON string body is sent raw; 422
                                       defaults to all events failed)
  {"hang": true, "count": 1}           read the request, never answer (the
                                       connection is held up to 600 s)
  {"reject_event_ids": [...], "as": 200|422|400, "message": "..."}
                                       listed event_ids fail: per-event
                                       "failed" in a 200, or a 422 whose
                                       details hold the per-event results, or
                                       (400) the whole batch is refused if it
                                       holds any of them
  {"reject_all": true, "as": 400|422|200, "message": "..."}
                                       every batch (every event) fails
  {"warn_event_ids": [...], "message": "..."}   processed, with a warning
  GET  /_control                       the current behaviour
  GET  /_stats                         {"requests": events requests,
                                       "events": events received in them,
                                       "processed": events answered processed,
                                       "event_ids": unique (event_id,
                                       event_name) processed, "duplicates":
                                       processed again, "by_status": {"200":
                                       n, ...}, "violations": n,
                                       "last_violations": [up to 10 texts]}
  POST /_reset                         zero the statistics

Record line (--record FILE), one per events request, whatever the answer:
  {"t": 1764324000.12, "status": 200, "test": false, "n": 2, "events": [...]}
  plus "violation": "MESSAGE" for a violation, "raw" (the start of the body)
  when it was not JSON; "status" 0 means the request was never answered.

The token is never printed. Logs go to stderr only with --verbose.
"""
import argparse
import hmac
import http.server
import json
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http import HTTPStatus

try:
    import jsonschema
except ImportError:  # optional: without it only the basic shape is checked
    jsonschema = None

# Pinterest's event names (API 5.23 plus the newer app_open and contact).
EVENT_NAMES = frozenset(
    "add_payment_info add_to_cart add_to_wishlist app_install app_open checkout "
    "contact custom initiate_checkout lead page_visit search signup subscribe "
    "view_category view_content watch_video".split())
EVENTS_PATH = re.compile(r"/v5/ad_accounts/([^/]+)/events/?")
MAX_BODY = 64 << 20  # bigger bodies are answered 413 and the connection closed
HANG_MAX = 600.0  # seconds a "hang" request is held
CONTROL_KEYS = {"mode", "status", "count", "body", "retry_after", "hang",
                "reject_event_ids", "reject_all", "as", "message",
                "warn_event_ids", "warning_message"}

# Pinterest-like answers for the generic {"status": N} form.
DEFAULT_BODIES = {
    400: {"code": 4196, "message": "Invalid request."},
    401: {"code": 2, "message": "Authentication failed."},
    403: {"code": 29, "message": "You are not permitted to access that resource."},
    404: {"code": 404, "message": "Ad account not found."},
    408: {"code": 408, "message": "Request timeout."},
    413: {"code": 413, "message": "Request entity too large."},
    429: {"code": 8, "message": "You have exceeded your rate limit. Try again later."},
    500: {"code": 1, "message": "Internal server error."},
    503: {"code": 4197, "message": "Endpoint is ramped down. Please try again later."},
}


class BadBody(Exception):
    """The request body breaks the API contract (answered 400, a violation)."""


class TooLarge(Exception):
    """The request body is bigger than MAX_BODY."""


def strict_json(raw):
    """Parse RAW (bytes) as strict JSON: UTF-8 only, no NaN/Infinity, no
    duplicate keys, no lone surrogates. Raises BadBody with the reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadBody(f"body is not valid UTF-8: {e}") from None

    def pairs(items):
        obj = dict(items)
        if len(obj) != len(items):
            raise BadBody("duplicate key in a JSON object")
        return obj

    def constant(name):
        raise BadBody(f"{name} is not JSON")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise BadBody(f"body is not JSON: {e}") from None
    check_strings(value)
    return value


def check_strings(value):
    """Raise BadBody if a string in VALUE holds a lone surrogate (a \\ud800
    escape), which is not valid UTF-8 once re-encoded."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadBody("a string holds a lone surrogate (invalid UTF-8)") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            check_strings(k)
            check_strings(v)
    elif isinstance(value, list):
        for v in value:
            check_strings(v)


def event_results(events, failed, failed_msg, warn_ids, warn_msg):
    """The 200 body for EVENTS: each event processed, except those whose id()
    is in FAILED (failed with FAILED_MSG); those whose event_id is in WARN_IDS
    get WARN_MSG as their warning."""
    results = []
    for ev in events:
        if id(ev) in failed:
            results.append({"status": "failed", "error_message": failed_msg,
                            "warning_message": ""})
        else:
            warning = warn_msg if ev.get("event_id") in warn_ids else ""
            results.append({"status": "processed", "error_message": "",
                            "warning_message": warning})
    return {"num_events_received": len(events),
            "num_events_processed": len(events) - len(failed),
            "events": results}


def default_body(status):
    """A Pinterest-like error body for STATUS."""
    if status in DEFAULT_BODIES:
        return DEFAULT_BODIES[status]
    try:
        return {"code": status, "message": HTTPStatus(status).phrase + "."}
    except ValueError:
        return {"code": status, "message": "Error."}


class Behaviour:
    """The programmed behaviour, replaced whole by POST /_control."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rule = {}
        self.left = None  # events requests left under RULE; None = forever

    def set(self, rule):
        with self.lock:
            if rule.get("mode") == "ok" or rule.get("count") == 0:
                self.rule, self.left = {}, None
            else:
                self.rule, self.left = rule, rule.get("count")

    def take(self):
        """The rule for one events request; counts it against "count"."""
        with self.lock:
            rule = self.rule
            if rule and self.left is not None:
                self.left -= 1
                if self.left <= 0:
                    self.rule, self.left = {}, None
            return rule

    def describe(self):
        with self.lock:
            return {"rule": self.rule or {"mode": "ok"}, "left": self.left}


def check_control(rule):
    """Return an error message if RULE is not a valid control object."""
    if not isinstance(rule, dict):
        return "the control body must be a JSON object"
    unknown = set(rule) - CONTROL_KEYS
    if unknown:
        return "unknown control keys: " + ", ".join(sorted(unknown))
    if "count" in rule and not (isinstance(rule["count"], int) and rule["count"] >= 0):
        return "count must be an integer >= 0"
    if "status" in rule and not (isinstance(rule["status"], int) and 100 <= rule["status"] <= 599):
        return "status must be an HTTP status"
    if rule.get("as", 200) not in (200, 400, 422):
        return '"as" must be 200, 400 or 422'
    for key in ("reject_event_ids", "warn_event_ids"):
        if key in rule and not (isinstance(rule[key], list)
                                and all(isinstance(i, str) for i in rule[key])):
            return key + " must be a list of strings"
    if rule.get("mode", "ok") != "ok":
        return 'the only mode is "ok"'
    return None


class Endpoint:
    """Everything the request handlers share: options, schema, record, stats."""

    def __init__(self, args):
        self.args = args
        self.behaviour = Behaviour()
        self.stopping = threading.Event()  # set on SIGTERM: wakes hung requests
        self.lock = threading.Lock()  # guards the record file and the stats
        self.record = open(args.record, "a", encoding="utf-8") if args.record else None
        self.validator = None
        if args.schema and jsonschema is None:
            sys.exit("endpoint.py: --schema needs python3-jsonschema "
                     "(apt-get install python3-jsonschema)")
        elif args.schema:
            with open(args.schema, encoding="utf-8") as f:
                schema = json.load(f)
            jsonschema.Draft7Validator.check_schema(schema)
            self.validator = jsonschema.Draft7Validator(schema)
        else:
            warn("no --schema: request bodies are not schema-validated")
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.requests = self.events = self.processed = self.duplicates = 0
            self.violations = 0
            self.last_violations = []
            self.by_status = {}
            self.seen = set()  # "event_id\0event_name" of processed events

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "events": self.events,
                    "processed": self.processed, "event_ids": len(self.seen),
                    "duplicates": self.duplicates,
                    "by_status": dict(self.by_status),
                    "violations": self.violations,
                    "last_violations": list(self.last_violations)}

    def account(self, status, events, test, processed_events, violation=None, raw=None):
        """Record one events request and add it to the statistics."""
        rec = {"t": time.time(), "status": status, "test": test,
               "n": len(events), "events": events}
        if violation:
            rec["violation"] = violation
        if raw is not None:
            rec["raw"] = raw[:2000].decode("utf-8", "replace")
        line = json.dumps(rec) + "\n"  # ASCII: lone surrogates cannot break it
        with self.lock:
            self.requests += 1
            self.events += len(events)
            key = str(status)
            self.by_status[key] = self.by_status.get(key, 0) + 1
            if violation:
                self.violations += 1
                self.last_violations = (self.last_violations + [violation])[-10:]
            for ev in processed_events:
                k = f"{ev.get('event_id')}\0{ev.get('event_name')}"
                if k in self.seen:
                    self.duplicates += 1
                else:
                    self.seen.add(k)
            self.processed += len(processed_events)
            if self.record:
                self.record.write(line)
                self.record.flush()

    def close(self):
        """Close the record file; requests still in flight record no more."""
        with self.lock:
            if self.record:
                self.record.close()
                self.record = None

    def token_ok(self, header):
        """True if the Authorization HEADER carries the token of the token file
        (read afresh now, so a test can change it under a running client)."""
        try:
            with open(self.args.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            log(self.args, f"cannot read the token file: {e.strerror}")
            return False
        scheme, _, given = (header or "").partition(" ")
        return (bool(token) and scheme.lower() == "bearer"
                and hmac.compare_digest(given.strip().encode(), token.encode()))

    def validate(self, content_type, raw):
        """Return the events of a request body, or raise BadBody."""
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise BadBody(f"Content-Type must be application/json, not {content_type!r}")
        body = strict_json(raw)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise BadBody('the body must be {"data": [...]}')
        events = body["data"]
        if not 1 <= len(events) <= 1000:
            raise BadBody(f"data must hold 1 to 1000 events, not {len(events)}")
        if self.validator is not None:
            error = jsonschema.exceptions.best_match(self.validator.iter_errors(body))
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path)
                msg = error.message if len(error.message) <= 300 else error.message[:300] + "..."
                raise BadBody(msg + (f" (at {where})" if where else ""))
        for i, ev in enumerate(events):
            name = ev.get("event_name") if isinstance(ev, dict) else None
            if name not in EVENT_NAMES:
                raise BadBody(f"{name!r} is not a valid event_name (at data/{i})")
        return events


def warn(msg):
    print(f"endpoint.py: warning: {msg}", file=sys.stderr, flush=True)


def log(args, msg):
    if args.verbose:
        print(f"endpoint.py: {msg}", file=sys.stderr, flush=True)


def lenient_events(raw):
    """The events of a body we refuse, for the record: best effort."""
    try:
        data = json.loads(raw).get("data")
        return data if isinstance(data, list) else []
    except Exception:
        return []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer has Content-Length
    timeout = 300  # an idle kept-alive connection is closed after this

    # -- plumbing ---------------------------------------------------------

    def version_string(self):
        return "pintail-test-endpoint"

    def log_message(self, fmt, *args):
        log(self.server.ep.args, f"{self.client_address[0]} {fmt % args}")

    def reply(self, status, body, headers=()):
        """Answer STATUS with BODY (an object sent as JSON, or a str sent raw)."""
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-pinterest-rid", secrets.token_hex(8))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        """The request body (Content-Length or chunked). Raises TooLarge."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65536).strip():
                        pass  # trailers
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    raise TooLarge()
                out += self.rfile.read(size)
                self.rfile.readline()  # the CRLF after the chunk
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise TooLarge()
        return self.rfile.read(length) if length > 0 else b""

    # -- routes -----------------------------------------------------------

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_stats":
            self.reply(200, self.server.ep.stats())
        elif path == "/_control":
            self.reply(200, self.server.ep.behaviour.describe())
        elif EVENTS_PATH.fullmatch(path):
            self.reply(405, {"code": 405, "message": "Method not allowed."})
        else:
            self.reply(404, {"code": 404, "message": "Not found."})

    def do_POST(self):
        try:
            raw = self.read_body()
        except (TooLarge, ValueError) as e:
            self.close_connection = True  # the rest of the body is unread
            status = 413 if isinstance(e, TooLarge) else 400
            self.reply(status, default_body(413) if status == 413
                       else {"code": 1, "message": "Malformed request body."})
            return
        url = urllib.parse.urlsplit(self.path)
        ep = self.server.ep
        if url.path == "/_control":
            try:
                rule = json.loads(raw or b"{}")
            except ValueError:
                rule = None
            error = check_control(rule)
            if error:
                self.reply(400, {"error": error})
                return
            ep.behaviour.set(rule)
            log(ep.args, f"control: {json.dumps(rule)}")
            self.reply(200, {"ok": True, **ep.behaviour.describe()})
        elif url.path == "/_reset":
            ep.reset_stats()
            self.reply(200, {"ok": True})
        elif EVENTS_PATH.fullmatch(url.path):
            query = urllib.parse.parse_qs(url.query)
            self.events_request(EVENTS_PATH.fullmatch(url.path).group(1),
                                query.get("test") == ["true"], raw)
        else:
            self.reply(404, {"code": 404, "message": "Not found."})

    def events_request(self, account, test, raw):
        """Check and answer one POST /v5/ad_accounts/ID/events."""
        ep = self.server.ep
        if not ep.token_ok(self.headers.get("Authorization")):
            ep.account(401, lenient_events(raw), test, [])
            self.reply(401, default_body(401))
            return
        if account != ep.args.ad_account:
            ep.account(404, lenient_events(raw), test, [])
            self.reply(404, default_body(404))
            return
        try:
            events = ep.validate(self.headers.get("Content-Type", ""), raw)
        except BadBody as e:
            msg = str(e)
            events = lenient_events(raw)
            log(ep.args, f"VIOLATION: {msg}")
            ep.account(400, events, test, [], violation=msg,
                       raw=None if events else raw)
            self.reply(400, {"code": 4196, "message": msg})
            return
        if ep.args.latency_ms:
            time.sleep(ep.args.latency_ms / 1000.0)
        self.programmed_answer(ep, ep.behaviour.take(), events, test)

    def programmed_answer(self, ep, rule, events, test):
        """Answer a valid events request as RULE (a control object) says."""
        if rule.get("hang"):
            ep.account(0, events, test, [])
            ep.stopping.wait(HANG_MAX)  # never answer; wake up on shutdown
            self.close_connection = True
            return
        status = rule.get("status", 200)
        headers = [("Retry-After", str(rule["retry_after"]))] if "retry_after" in rule else []
        if "body" in rule or status not in (200, 422):  # the generic form
            ep.account(status, events, test, events if status == 200 else [])
            self.reply(status, rule.get("body") or default_body(status), headers)
            return
        # Per-event outcomes: a generic 422 fails every event, like reject_all.
        msg = rule.get("message") or "Event rejected by the test endpoint."
        if rule.get("reject_all") or status == 422:
            failed = {id(ev) for ev in events}
        else:
            rejected = set(rule.get("reject_event_ids", []))
            failed = {id(ev) for ev in events if ev.get("event_id") in rejected}
        warned = set(rule.get("warn_event_ids", []))
        wmsg = rule.get("warning_message") or rule.get("message") or "Test warning."
        body = event_results(events, failed, msg, warned, wmsg)
        processed = [ev for ev in events if id(ev) not in failed]
        as_status = 422 if status == 422 else rule.get("as", 200)
        if failed and as_status == 400:  # the whole batch is refused
            ep.account(400, events, test, [])
            self.reply(400, {"code": 4196, "message": msg}, headers)
        elif failed and as_status == 422:
            ep.account(422, events, test, processed)
            self.reply(422, {"code": 953, "message": msg, "details": body}, headers)
        else:
            ep.account(200, events, test, processed)
            self.reply(200, body, headers)

    def do_PUT(self):
        self.reply(405, {"code": 405, "message": "Method not allowed."})

    do_DELETE = do_PATCH = do_PUT


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # hung requests must not hold up the exit
    allow_reuse_address = True
    ssl_context = None

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread, so a
        # slow or silent client cannot stall the accept loop.
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        request.settimeout(30)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log(self.ep.args, f"{client_address[0]} TLS handshake failed: {e}")
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        # A client that goes away (a killed agent) is normal in tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            log(self.ep.args, f"{client_address[0]} connection error: {sys.exc_info()[1]}")
        else:
            super().handle_error(request, client_address)


def write_atomically(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ad-account", required=True, help="the only ad account id served")
    ap.add_argument("--token-file", required=True,
                    help="file holding the accepted token (re-read on every request)")
    ap.add_argument("--schema", help="pinterest-events.schema.json (request validation)")
    ap.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1; ::1 works)")
    ap.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    ap.add_argument("--port-file", help="write the listening port here once listening")
    ap.add_argument("--pid-file", help="write the process id here")
    ap.add_argument("--cert", help="server certificate (PEM): serve HTTPS")
    ap.add_argument("--key", help="the certificate's private key (PEM)")
    ap.add_argument("--record", help="append one JSON line per events request to FILE")
    ap.add_argument("--latency-ms", type=float, default=0, help="delay every events answer")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args()
    if bool(args.cert) != bool(args.key):
        ap.error("--cert and --key go together")

    ep = Endpoint(args)
    Server.address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    server = Server((args.bind, args.port), Handler)
    server.ep = ep
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.ssl_context = ctx

    def stop(signum, frame):
        ep.stopping.set()
        # shutdown() waits for serve_forever() to return, which runs in this
        # very thread: call it from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pid_file:
        write_atomically(args.pid_file, f"{os.getpid()}\n")
    port = server.server_address[1]
    if args.port_file:  # the socket is listening already: connections queue
        write_atomically(args.port_file, f"{port}\n")
    log(args, f"listening on {args.bind} port {port} ({'https' if args.cert else 'http'})")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        ep.close()
        if args.pid_file:
            try:
                os.unlink(args.pid_file)
            except OSError:
                pass
    log(args, "stopped")


if __name__ == "__main__":
    main()
