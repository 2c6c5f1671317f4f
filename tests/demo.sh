#!/bin/bash
# `make demo`: pintail doing its real job, end to end, on this machine.
#
# Starts a local Pinterest-compatible HTTPS endpoint (the tests' one, with a
# CA made here), a generator writing realistic shop traffic into an access
# log (landings from Pinterest ads with epik, product views, carts,
# searches, checkouts, bots, static files), and `pintail run` following that
# log for about 20 seconds.  Then shows what the endpoint received, next to
# `pintail status` and the tail of delivery.log.  Nothing to configure, no
# credentials needed; everything stays on 127.0.0.1 and in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
PY=/usr/bin/python3
GEN=${GEN:-$TOP/../shared/tools/gen_access_log.py}
SCHEMA=${SCHEMA:-$TOP/../shared/pinterest-events.schema.json}
SECONDS_TO_RUN=${DEMO_SECONDS:-20}
# The demo's agent runs as whoever runs the demo, from a private folder:
# `pintail check` as root need not also check as the service's user.
export PINTAIL_SERVICE_USER=
D=$(mktemp -d /tmp/pintail-demo-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$D/etc/conf.d" "$D/logs"
bash tests/tools/mkcerts.sh "$D/certs"
printf 'demo-token-%s\n' "$RANDOM$RANDOM" > "$D/etc/token"
chmod 600 "$D/etc/token"

say "starting a local Pinterest-compatible endpoint (HTTPS, 127.0.0.1)"
"$PY" tests/tools/endpoint.py --ad-account 549755885175 --token-file "$D/etc/token" \
	--schema "$SCHEMA" --port 0 --port-file "$D/port" --cert "$D/certs/server.pem" \
	--key "$D/certs/server.key" --record "$D/received.jsonl" &
pids+=($!)
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
PORT=$(cat "$D/port")
echo "listening on https://127.0.0.1:$PORT/v5"

cat > "$D/etc/pintail.conf" <<CONF
[agent]
state_dir = $D/state
parsers   = $TOP/parsers
bots_file = $TOP/parsers/bots.txt
CONF
sed -e "s#^logs .*#logs = $D/logs/access.log#" \
    -e "s#^access_token_file .*#access_token_file = $D/etc/token\napi_url = https://127.0.0.1:$PORT/v5\nca_file = $D/certs/ca.pem#" \
    -e "s#^read_from .*#read_from = beginning#" \
	conf.d/example.conf.sample > "$D/etc/conf.d/shop.conf"
: > "$D/logs/access.log"

say "pintail check"
./pintail -c "$D/etc/pintail.conf" check

say "pintail send-test shop"
./pintail -c "$D/etc/pintail.conf" send-test shop

say "pintail run, for ${SECONDS_TO_RUN} s, while traffic is written to the log"
./pintail -c "$D/etc/pintail.conf" run 2> "$D/run.log" &
pids+=($!)
AGENT=$!
"$PY" "$GEN" --rate 150 --duration "$SECONDS_TO_RUN" --seed 42 -o "$D/logs/access.log" &
pids+=($!)
GENPID=$!
# One visitor we follow: a landing from a Pinterest ad, a checkout later.
EPIK=dj0yJnU9ZGVtby12aXNpdG9yLWZyb20tYS1QaW50ZXJlc3QtYWQ
UA='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]'
hit() { printf '198.51.100.77 - - [%s] "GET %s HTTP/2.0" 200 512 "%s" "%s"\n' "$(date -u +%d/%b/%Y:%H:%M:%S) +0000" "$1" "$2" "$UA" >> "$D/logs/access.log"; }
sleep 2; hit "/products/oak-table?utm_source=pinterest&epik=$EPIK" "https://www.pinterest.com/"
sleep 6; hit "/checkout/thank-you?order=424242&value=129.00&currency=EUR" "https://shop.example.com/checkout"
wait "$GENPID" || true
sleep 3

say "pintail status (while it runs)"
./pintail -c "$D/etc/pintail.conf" status

kill -TERM "$AGENT"
wait "$AGENT" || true

say "what the endpoint received"
"$PY" - "$D/received.jsonl" "$EPIK" <<'PYEOF'
import json, sys, collections
by_type, with_click, requests, statuses = collections.Counter(), collections.Counter(), 0, collections.Counter()
ours = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    requests += 1
    statuses[r["status"]] += 1
    for e in r.get("events") or []:
        by_type[e["event_name"]] += 1
        if "click_id" in e.get("user_data", {}):
            with_click[e["event_name"]] += 1
        if e.get("user_data", {}).get("click_id") == sys.argv[2]:
            ours.append(e)
print(f"{requests} requests ({', '.join(f'{n} x HTTP {s}' for s, n in sorted(statuses.items()))}), "
      f"{sum(by_type.values())} events")
print(f"  {'EVENT':<14} {'COUNT':>7} {'WITH CLICK ID':>14}")
for name, n in by_type.most_common():
    print(f"  {name:<14} {n:>7} {with_click[name]:>14}")
print("\nthe visitor who came from a Pinterest ad: the landing's epik is on the checkout")
for e in ours:
    cd = e.get("custom_data", {})
    print(f"  {e['event_name']:<11} {e['event_source_url'][:60]:<60} click_id={e['user_data']['click_id'][:20]}... "
          + (f"value={cd.get('value')} {cd.get('currency')}" if cd else ""))
PYEOF

say "tail of delivery.log"
tail -n 5 "$D/state/shop/delivery.log"

say "the agent's log"
cat "$D/run.log"
