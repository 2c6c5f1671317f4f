#!/usr/bin/python3
"""Independent checker of the events `pintail parse` prints (one JSON object
per line, each an element of the request's data[]).

Written from SPEC.md and PINTEREST.md only, not from pintail's C code, so a
shared misreading cannot hide. Every failure is printed as EVENTS:LINE: message
and the exit status is 1; otherwise one summary line is printed and it is 0.

Always checked, per event:
  - strict UTF-8 JSON (no NaN, no duplicate keys, no lone surrogates);
  - valid under the schema wrapped as {"data": [event]} (Draft 7);
  - the key/type table: required event_name (SPEC list), action_source "web",
    event_time (int), event_id (string), user_data with client_ip_address and
    client_user_agent; no key outside pintail's set; no empty string, null,
    empty array or empty object; custom_data.value a decimal string,
    num_items an int, currency 3 upper-case letters; opt_out only true;
    em/ph/external_id arrays of 64 lower-case hex digits;
  - no two events share (event_id, event_name).

With --log (repeatable) and --site, each event is mapped back to its log line
by recomputing the derived event_ids of SPEC section 4 (or, failing that, by
finding its event_id in a line: a request id). A 32-hex id that maps to no
line is a failure; another unmapped id is reported "not derived" and skipped.
For a mapped event: event_time is the line's time; client_ip_address the
first field; client_user_agent the user agent (the quoted field after the
referer, nginx \\xHH escapes decoded); event_source_url starts with a --url
(repeatable) and its path is the request's, its query the request's
parameters with some removed, none added (and no bare "?"); a request `epik`
is the click_id; the --em-param / --ph-param / --external-id-param values
(first occurrence, URL-decoded) are hashed as PINTEREST.md says into em / ph
/ external_id (absent when the value is empty or missing; with --hash-events
only on those event names) and never appear in event_source_url, nor do the
--strip-params. JSON access-log lines (nginx escape=json, nginx variable
names) work too.

--self-test checks the SPEC test vector, this checker on a small case, and
endpoint.py (with certificates from mkcerts.sh, both beside this file).
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

try:
    import jsonschema
except ImportError:  # optional: without it the schema is not checked
    jsonschema = None

SPEC_EVENT_NAMES = frozenset(
    "add_payment_info add_to_cart add_to_wishlist checkout custom initiate_checkout "
    "lead page_visit search signup subscribe view_category view_content "
    "watch_video".split())
TOP_KEYS = {"event_name", "action_source", "event_time", "event_id",
            "event_source_url", "user_data", "custom_data", "opt_out"}
USER_KEYS = {"client_ip_address", "client_user_agent", "click_id", "em", "ph",
             "external_id"}
CUSTOM_KEYS = {"value", "currency", "order_id", "content_ids", "content_name",
               "content_category", "num_items", "search_string"}
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX64 = re.compile(r"[0-9a-f]{64}")
VALUE = re.compile(r"[0-9]+(\.[0-9]+)?")
CURRENCY = re.compile(r"[A-Z]{3}")
WHITESPACE = " \t\r\n\f\v"  # what "trim" removes (ASCII)

# The SPEC section 4 test vector.
VECTOR_LINE = (b'203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] '
               b'"GET /products/blue-mug HTTP/1.1" 200 5123 "-" "Mozilla/5.0"')
VECTOR_IDENTITY = "8b050241b791a447aaeb8c6afec011bed6f299c4cf63596437cbd537cb233ca6"
VECTOR_ID = "1b70c215e1cbaff707aa377aa1536e8c"


# --------------------------------------------------------------------------
# Strict JSON lines

def strict_json(text):
    """json.loads TEXT refusing NaN/Infinity, duplicate keys and lone
    surrogates (all of which are not valid JSON-in-UTF-8). Raises ValueError."""
    def pairs(items):
        obj = dict(items)
        if len(obj) != len(items):
            raise ValueError("duplicate key in an object")
        return obj

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate (not UTF-8)") from None
    return value


def load_events(path, report):
    """The (line number, object) of every line of PATH ("-": stdin); bad lines
    are failed."""
    if path == "-":
        lines = sys.stdin.buffer.read().split(b"\n")
    else:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline
    events = []
    for no, raw in enumerate(lines, 1):
        try:
            events.append((no, strict_json(raw.decode("utf-8"))))
        except UnicodeDecodeError as e:
            report.fail(no, f"not valid UTF-8: {e}")
        except ValueError as e:
            report.fail(no, f"not a JSON object: {e}")
    return events


class Report:
    """Failures, each tied to a line of the events file."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def fail(self, lineno, msg):
        self.failures.append((lineno, f"{self.name}:{lineno}: {msg}"))

    def lines(self):
        """The failures as text, in the order of the events file."""
        return [text for _, text in sorted(self.failures, key=lambda f: f[0])]


# --------------------------------------------------------------------------
# Shape: the schema and PINTEREST.md's key/type table

def empties(value, path):
    """Paths of the empty strings, nulls, empty arrays and objects in VALUE."""
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empties(v, f"{path}[{i}]")]
    return []


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def shape_problems(ev):
    """What is wrong with event EV by the key/type table (a list of texts)."""
    if not isinstance(ev, dict):
        return ["not a JSON object"]
    out = [f"empty or null value at {p}" for p in empties(ev, "event")]
    out += [f"unknown key {k!r}" for k in sorted(set(ev) - TOP_KEYS)]
    for key in ("event_name", "action_source", "event_time", "event_id", "user_data"):
        if key not in ev:
            out.append(f"missing {key}")
    if "event_name" in ev and ev["event_name"] not in SPEC_EVENT_NAMES:
        out.append(f"event_name {ev['event_name']!r} is not in SPEC's list")
    if "action_source" in ev and ev["action_source"] != "web":
        out.append(f"action_source is {ev['action_source']!r}, not 'web'")
    if "event_time" in ev and not is_int(ev["event_time"]):
        out.append("event_time is not an integer")
    for key in ("event_id", "event_source_url"):
        if key in ev and not isinstance(ev[key], str):
            out.append(f"{key} is not a string")
    if "opt_out" in ev and ev["opt_out"] is not True:
        out.append("opt_out is present but not true")
    user = ev.get("user_data")
    if "user_data" in ev and not isinstance(user, dict):
        out.append("user_data is not an object")
    elif isinstance(user, dict):
        out += [f"unknown key 'user_data.{k}'" for k in sorted(set(user) - USER_KEYS)]
        for key in ("client_ip_address", "client_user_agent"):
            if not isinstance(user.get(key), str):
                out.append(f"user_data.{key} is missing or not a string")
        if "click_id" in user and not isinstance(user["click_id"], str):
            out.append("user_data.click_id is not a string")
        for key in ("em", "ph", "external_id"):
            if key in user and not (isinstance(user[key], list) and all(
                    isinstance(h, str) and HEX64.fullmatch(h) for h in user[key])):
                out.append(f"user_data.{key} is not an array of 64 lower-case hex digits")
    custom = ev.get("custom_data")
    if "custom_data" in ev and not isinstance(custom, dict):
        out.append("custom_data is not an object")
    elif isinstance(custom, dict):
        out += [f"unknown key 'custom_data.{k}'" for k in sorted(set(custom) - CUSTOM_KEYS)]
        for key in ("value", "currency", "order_id", "content_name",
                    "content_category", "search_string"):
            if key in custom and not isinstance(custom[key], str):
                out.append(f"custom_data.{key} is not a string")
        if isinstance(custom.get("value"), str) and not VALUE.fullmatch(custom["value"]):
            out.append(f"custom_data.value {custom['value']!r} is not a decimal")
        if isinstance(custom.get("currency"), str) and not CURRENCY.fullmatch(custom["currency"]):
            out.append(f"custom_data.currency {custom['currency']!r} is not 3 upper-case letters")
        if "num_items" in custom and not is_int(custom["num_items"]):
            out.append("custom_data.num_items is not an integer")
        if "content_ids" in custom and not (isinstance(custom["content_ids"], list) and all(
                isinstance(c, str) for c in custom["content_ids"])):
            out.append("custom_data.content_ids is not an array of strings")
    return out


def schema_problems(validator, ev):
    """The schema's complaints about {"data": [EV]} (a list of texts)."""
    out = []
    for error in validator.iter_errors({"data": [ev]}):
        where = "/".join(str(p) for p in list(error.absolute_path)[2:])
        msg = error.message if len(error.message) <= 300 else error.message[:300] + "..."
        out.append(f"schema: {msg}" + (f" (at {where})" if where else ""))
    return out


# --------------------------------------------------------------------------
# Logs: identities, derived ids, line parsing

def line_identity(first_line):
    """SPEC section 4: the input's identity from its first line (bytes)."""
    return hashlib.sha256(first_line[:1024]).hexdigest()


def derived_id(site, identity, offset, line, name):
    """SPEC section 4: the derived event_id (all arguments str, LINE bytes)."""
    data = b"\0".join([site.encode(), identity.encode(), str(offset).encode(),
                       line, name.encode()])
    return hashlib.sha256(data).hexdigest()[:32]


def log_lines(path):
    """(offset, line) for each line of PATH; a line never includes its \\n."""
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        end = len(data) if end < 0 else end
        yield offset, data[offset:end]
        offset = end + 1


def map_events(paths, site, events):
    """Find the source line of each event. Returns {index in EVENTS: (how,
    path, offset, line)}, how being "derived" or "request id"."""
    wanted = {}  # (event_id, event_name) -> indices, for 32-hex ids
    ids = {}  # event_id as bytes -> indices, for the request-id search
    for i, (_, ev) in enumerate(events):
        eid, name = ev.get("event_id"), ev.get("event_name")
        if isinstance(eid, str) and isinstance(name, str):
            if HEX32.fullmatch(eid):
                wanted.setdefault((eid, name), []).append(i)
            ids.setdefault(eid.encode(), []).append(i)
    names = sorted({name for _, name in wanted})
    found = {}
    by_request_id = {}
    for path in paths:
        base = None
        for offset, line in log_lines(path):
            if base is None:  # the first line: the input's identity
                base = hashlib.sha256(f"{site}\0{line_identity(line)}\0".encode())
            h = base.copy()  # SHA-256 over the shared prefix, once per line
            h.update(str(offset).encode() + b"\0" + line + b"\0")
            for name in names:
                d = h.copy()
                d.update(name.encode())
                for i in wanted.get((d.hexdigest()[:32], name), ()):
                    found.setdefault(i, ("derived", path, offset, line))
            for token in re.split(rb'[\s"\[\],:{}]+', line):
                for i in ids.get(token, ()):
                    by_request_id.setdefault(i, ("request id", path, offset, line))
    for i, where in by_request_id.items():
        found.setdefault(i, where)
    return found


MONTHS = {m: n for n, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
TIME_LOCAL = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")
COMBINED = re.compile(rb'(\S+) \S+ \S+ \[([^\]]*)\] "((?:[^"\\]|\\.)*)" (\d{3}) \S+(.*)')
QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')


def parse_time_local(text):
    """Unix seconds of an nginx $time_local such as 28/Nov/2026:10:00:00 +0100."""
    m = TIME_LOCAL.fullmatch(text)
    if not m or m.group(2) not in MONTHS:
        return None
    d, mon, y, hh, mm, ss, sign, oh, om = m.groups()
    shift = datetime.timedelta(hours=int(oh), minutes=int(om))
    tz = datetime.timezone(shift if sign == "+" else -shift)
    when = datetime.datetime(int(y), MONTHS[mon], int(d), int(hh), int(mm), int(ss), tzinfo=tz)
    return int(when.timestamp())


def unescape(raw):
    """Bytes of a logged field: nginx \\xHH escapes (and Apache's \\" \\\\) undone."""
    return re.sub(rb'\\x([0-9A-Fa-f]{2})|\\(["\\])',
                  lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else m.group(2), raw)


def parse_line(line):
    """The fields of a log LINE (bytes) the checks need, or None: ip, time,
    uri (bytes), ua (str or None). Combined-style or JSON lines."""
    if line.lstrip().startswith(b"{"):
        return parse_json_line(line)
    m = COMBINED.fullmatch(line)
    if not m:
        return None
    quoted = QUOTED.findall(m.group(5))  # referer, user agent, [extra fields]
    ua = unescape(quoted[1]).decode("utf-8", "replace") if len(quoted) > 1 else None
    request = unescape(m.group(3)).split(b" ")
    return {"ip": m.group(1).decode("utf-8", "replace"),
            "time": parse_time_local(m.group(2).decode("ascii", "replace")),
            "uri": request[1] if len(request) > 1 else None,
            "ua": None if ua in (None, "-", "") else ua}


def parse_json_line(line):
    """parse_line for a JSON line keyed by nginx variable names."""
    try:
        obj = json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return None
    get = lambda k: obj.get(k) if obj.get(k) not in (None, "", "-") else None  # noqa: E731
    when = None
    if get("time_local"):
        when = parse_time_local(get("time_local"))
    elif get("time_iso8601"):
        when = int(datetime.datetime.fromisoformat(get("time_iso8601")).timestamp())
    elif get("msec"):
        when = int(float(get("msec")))
    uri = get("request_uri")
    if uri is None and get("request"):
        parts = get("request").split(" ")
        uri = parts[1] if len(parts) > 1 else None
    return {"ip": get("remote_addr"), "time": when,
            "uri": uri.encode("utf-8") if uri else None, "ua": get("http_user_agent")}


# --------------------------------------------------------------------------
# An event against its line

def collapse(text):
    """TEXT with each run of U+FFFD made one: how many replacement characters
    an invalid UTF-8 sequence becomes is an implementation's choice."""
    return re.sub("\ufffd+", "\ufffd", text)


def norm(raw):
    """Bytes of a URL part, percent-decoded, as text (so percent-encoding and
    U+FFFD-substitution style do not matter, but every real difference does)."""
    return collapse(urllib.parse.unquote_to_bytes(raw).decode("utf-8", "replace"))


def form_decode(raw):
    """A query parameter's name or value (bytes), URL-decoded (+ is space)."""
    return urllib.parse.unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def query_params(query):
    """[(name, raw bytes)] of a query (bytes), empty parameters dropped."""
    return [(form_decode(p.split(b"=", 1)[0]), p) for p in query.split(b"&") if p]


def first_value(params, name):
    for pname, raw in params:
        if pname == name:
            return form_decode(raw.split(b"=", 1)[1]) if b"=" in raw else ""
    return None


def expected_hash(kind, value):
    """The expected [sha256] for a raw query VALUE of an em/ph/external_id
    source (PINTEREST.md's normalisation), or None when nothing is sent."""
    if value is None:
        return None
    if HEX64.fullmatch(value.strip(WHITESPACE).lower()):
        return [value.strip(WHITESPACE).lower()]  # already hashed: passed through
    if kind == "em":
        value = value.strip(WHITESPACE).lower()
    elif kind == "ph":
        value = "".join(c for c in value if c in "0123456789").lstrip("0")
    else:
        value = value.strip(WHITESPACE)
    return [hashlib.sha256(value.encode()).hexdigest()] if value else None


def line_problems(ev, fields, args):
    """What is wrong with event EV given the FIELDS of its log line."""
    out = []
    user = ev.get("user_data") if isinstance(ev.get("user_data"), dict) else {}
    if ev.get("event_time") != fields["time"]:
        out.append(f"event_time {ev.get('event_time')} but the line's time is {fields['time']}")
    ip = user.get("client_ip_address")
    if ip != fields["ip"]:
        out.append(f"client_ip_address {ip!r}, line has {fields['ip']!r}")
    ua = user.get("client_user_agent")
    if fields["ua"] is None or not isinstance(ua, str) or collapse(ua) != collapse(fields["ua"]):
        out.append(f"client_user_agent {ua!r}, line has {fields['ua']!r}")
    uri = fields["uri"] or b""
    uri = re.sub(rb"^https?://[^/]*", b"", uri)  # an absolute-form request
    path, _, query = uri.partition(b"?")
    params = query_params(query)
    epik = first_value(params, "epik")
    if epik and user.get("click_id") not in (
            epik, urllib.parse.unquote(form_raw(params, "epik"))):
        out.append(f"click_id {user.get('click_id')!r} but the request's epik is {epik!r}")
    hidden = set(args.strip_params)
    for kind, name in (("em", args.em_param), ("ph", args.ph_param),
                       ("external_id", args.external_id_param)):
        if not name:
            continue
        hidden.add(name)
        if args.hash_events and ev.get("event_name") not in args.hash_events:
            continue
        want = expected_hash(kind, first_value(params, name))
        if user.get(kind) != want:
            out.append(f"user_data.{kind} is {user.get(kind)}, expected {want} from {name}=")
    out += url_problems(ev.get("event_source_url"), path, params, hidden, args.url)
    return out


def form_raw(params, name):
    """The raw (undecoded) value of the first parameter NAME, as text."""
    for pname, raw in params:
        if pname == name:
            return raw.split(b"=", 1)[1].decode("utf-8", "replace") if b"=" in raw else ""
    return ""


def url_problems(url, path, params, hidden, prefixes):
    """Check event_source_url against the request's PATH and PARAMS."""
    if not isinstance(url, str):
        return ["no event_source_url"]
    prefix = next((p.rstrip("/") for p in prefixes if url.startswith(p.rstrip("/") + "/")), None)
    if prefix is None:
        return [f"event_source_url {url!r} does not start with {' or '.join(prefixes)}"]
    upath, qmark, uquery = url[len(prefix):].encode().partition(b"?")
    out = []
    if norm(upath) != norm(path):
        out.append(f"event_source_url path {upath!r} is not the request's {path!r}")
    if qmark and not uquery:
        out.append("event_source_url ends with a bare '?'")
    sent = query_params(uquery)
    # What is sent must be the request's parameters, in order, some removed.
    rest = iter(norm(raw) for _, raw in params)
    if not all(any(norm(raw) == r for r in rest) for _, raw in sent):
        out.append(f"event_source_url query {uquery!r} is not a subset of the request's")
    for name, _ in sent:
        if name in hidden:
            out.append(f"event_source_url carries the parameter {name!r}")
    return out


# --------------------------------------------------------------------------
# The check

def check(args):
    """Run every check ARGS ask for. Returns (failures, summary)."""
    report = Report(args.events)
    events = load_events(args.events, report)
    validator = None
    if jsonschema is None:
        # A check that silently checks less would pass for the wrong reason.
        sys.exit("check_events.py: python3-jsonschema is missing: install it "
                 "(apt-get install python3-jsonschema) to check against the schema")
    else:
        with open(args.schema, encoding="utf-8") as f:
            validator = jsonschema.Draft7Validator(json.load(f))
    first = {}
    counts = {}
    for no, ev in events:
        problems = shape_problems(ev)
        if validator is not None:
            problems += schema_problems(validator, ev)
        for p in problems:
            report.fail(no, p)
        if isinstance(ev, dict):
            key = (ev.get("event_id"), ev.get("event_name"))
            if key in first:
                report.fail(no, f"duplicate (event_id, event_name) {key}, "
                            f"first on line {first[key]}")
            else:
                first[key] = no
            name = str(ev.get("event_name"))
            counts[name] = counts.get(name, 0) + 1
    summary = f"{len(events)} events checked"
    if args.log:
        events = [(no, ev) for no, ev in events if isinstance(ev, dict)]
        found = map_events(args.log, args.site, events)
        how = [where[0] for where in found.values()]
        not_derived = 0
        for i, (no, ev) in enumerate(events):
            if i not in found:
                if HEX32.fullmatch(str(ev.get("event_id"))):
                    report.fail(no, f"event_id {ev.get('event_id')} ({ev.get('event_name')}) "
                                "is derived-looking but matches no line of the log")
                else:
                    not_derived += 1
                continue
            _, path, offset, line = found[i]
            fields = parse_line(line)
            if fields is None:
                report.fail(no, f"its line ({path} offset {offset}) does not parse here")
                continue
            for p in line_problems(ev, fields, args):
                report.fail(no, f"{p} [{os.path.basename(path)} offset {offset}]")
        summary += (f", {len(found)} mapped to log lines ({how.count('derived')} derived, "
                    f"{how.count('request id')} by request id), {not_derived} not derived")
    summary += "; " + (" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no events")
    return report.lines(), summary


# --------------------------------------------------------------------------
# Self-test

def self_test(args):
    """Check the SPEC test vector, the checker and endpoint.py. Returns 0/1."""
    problems = []

    def expect(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            problems.append(what)

    here = os.path.dirname(os.path.abspath(__file__))
    schema = args.schema or next((p for p in (
        os.path.join(here, "pinterest-events.schema.json"),
        os.path.join(here, "..", "pinterest-events.schema.json")) if os.path.exists(p)), None)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "access.log")
        with open(log, "wb") as f:
            f.write(VECTOR_LINE + b"\n")
        (_, first), = log_lines(log)
        expect(line_identity(first) == VECTOR_IDENTITY, "SPEC test vector: identity")
        expect(derived_id("shop", VECTOR_IDENTITY, 0, first, "page_visit") == VECTOR_ID,
               "SPEC test vector: page_visit event_id")
        expect(parse_time_local("28/Nov/2026:10:00:00 +0000") == 1795860000
               and parse_time_local("28/Nov/2026:11:30:00 +0130") == 1795860000,
               "nginx time with offsets")
        if schema is None:
            print("check_events.py: warning: no schema found: "
                  "checker and endpoint self-tests skipped")
        else:
            self_test_checker(tmp, log, schema, expect)
            self_test_endpoint(tmp, here, schema, expect)
    print("self-test " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


def vector_event(**changes):
    ev = {"event_name": "page_visit", "action_source": "web", "event_time": 1795860000,
          "event_id": VECTOR_ID,
          "event_source_url": "https://shop.example.com/products/blue-mug",
          "user_data": {"client_ip_address": "203.0.113.5", "client_user_agent": "Mozilla/5.0"}}
    ev.update(changes)
    return ev


def self_test_checker(tmp, log, schema, expect):
    """The checker accepts the vector's event and catches broken ones."""
    def run(*evs):
        path = os.path.join(tmp, "events.jsonl")
        with open(path, "w") as f:
            f.writelines(json.dumps(e) + "\n" for e in evs)
        ns = parser().parse_args(["--events", path, "--schema", schema, "--log", log,
                                  "--site", "shop", "--url", "https://shop.example.com"])
        return check(ns)[0]

    expect(run(vector_event()) == [], "checker: the vector's event passes")
    bad = [vector_event(event_time=1795860001),
           vector_event(event_source_url="https://shop.example.com/products/blue-mug?x=1"),
           vector_event(custom_data={"value": 12.5}),
           vector_event(color="blue"),
           vector_event(event_id="0" * 32)]
    expect(all(run(ev) for ev in bad), "checker: broken events are caught")
    expect(len(run(vector_event(), vector_event())) == 1, "checker: duplicates are caught")


def self_test_endpoint(tmp, here, schema, expect):
    """Start endpoint.py on HTTPS and try it with urllib."""
    import ssl
    import urllib.request
    certs = os.path.join(tmp, "certs")
    subprocess.run([os.path.join(here, "mkcerts.sh"), certs], check=True)
    token, port_file, record = (os.path.join(tmp, n) for n in ("token", "port", "record.jsonl"))
    with open(token, "w") as f:
        f.write("test-token\n")
    proc = subprocess.Popen([sys.executable, os.path.join(here, "endpoint.py"),
                             "--ad-account", "549755885175", "--token-file", token,
                             "--schema", schema, "--port-file", port_file, "--record", record,
                             "--cert", os.path.join(certs, "server.pem"),
                             "--key", os.path.join(certs, "server.key")])
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file) and time.monotonic() < deadline:
            time.sleep(0.02)
        with open(port_file) as f:
            base = f"https://127.0.0.1:{f.read().strip()}"
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))

        def post(path, body, tok="test-token"):
            req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={
                "Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                    return r.status, json.load(r)
            except urllib.error.HTTPError as e:
                return e.code, json.load(e)

        events = "/v5/ad_accounts/549755885175/events"
        status, answer = post(events, {"data": [vector_event()]})
        with open(schema) as f:
            answer_schema = dict(json.load(f), **{"$ref": "#/definitions/ConversionApiResponse"})
        fits = jsonschema is None or not list(
            jsonschema.Draft7Validator(answer_schema).iter_errors(answer))
        expect(status == 200 and fits,
               "endpoint: a valid event is answered 200, the answer fits the schema")
        with open(record) as f:
            rec = [json.loads(x) for x in f]
        expect(len(rec) == 1 and rec[0]["status"] == 200 and rec[0]["events"] == [vector_event()],
               "endpoint: the request is recorded")
        expect(post(events, {"data": [vector_event()]}, tok="wrong")[0] == 401,
               "endpoint: a wrong token is answered 401")
        expect(post(events, {"data": [vector_event(color="blue")]})[0] == 400,
               "endpoint: an invalid body is answered 400")
        post("/_control", {"status": 503, "count": 1})
        expect([post(events, {"data": [vector_event()]})[0] for _ in range(2)] == [503, 200],
               "endpoint: control 503 count 1 gives 503 then 200")
        with urllib.request.urlopen(base + "/_stats", context=ctx, timeout=10) as r:
            stats = json.load(r)
        expect(stats["requests"] == 5 and stats["violations"] == 1 and stats["event_ids"] == 1,
               "endpoint: /_stats counts requests, violations and event ids")
    finally:
        proc.terminate()
        expect(proc.wait(timeout=10) == 0, "endpoint: exits 0 on SIGTERM")


# --------------------------------------------------------------------------

def parser():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", help="JSON lines from `pintail parse` (- for stdin)")
    ap.add_argument("--schema", help="pinterest-events.schema.json")
    ap.add_argument("--log", action="append", default=[],
                    help="the access log the events came from (repeatable)")
    ap.add_argument("--site", help="the site's name (needed with --log)")
    ap.add_argument("--url", action="append", default=[],
                    help="the site's url (needed with --log; repeat for other hosts)")
    ap.add_argument("--em-param", help="query parameter hashed into user_data.em")
    ap.add_argument("--ph-param", help="query parameter hashed into user_data.ph")
    ap.add_argument("--external-id-param", help="query parameter hashed into external_id")
    ap.add_argument("--hash-events", type=lambda s: set(s.replace(",", " ").split()),
                    help="check em/ph/external_id only on these event names (default all)")
    ap.add_argument("--strip-params", type=lambda s: s.replace(",", " ").split(), default=[],
                    help="query parameters that must never be in event_source_url")
    ap.add_argument("--self-test", action="store_true",
                    help="check the SPEC test vector, this checker and endpoint.py")
    return ap


def main():
    ap = parser()
    args = ap.parse_args()
    if args.self_test:
        sys.exit(self_test(args))
    if not args.events or not args.schema:
        ap.error("--events and --schema are required")
    if args.log and not (args.site and args.url):
        ap.error("--log needs --site and --url")
    failures, summary = check(args)
    for line in failures:
        print(line)
    if failures:
        print(f"FAILED: {len(failures)} problems; {summary}")
        sys.exit(1)
    print(f"OK: {summary}")


if __name__ == "__main__":
    main()
