#!/bin/bash
# `make demo`: what pintail makes of a realistic access log.  Generates
# 20,000 lines of shop traffic (landings from Pinterest with epik, product
# views, carts, searches, checkouts, bots and static files), configures the
# example site on it and shows the events `pintail parse` gives.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
GEN=${GEN:-$TOP/../shared/tools/gen_access_log.py}
D=$(mktemp -d /tmp/pintail-demo-XXXXXX)
trap 'rm -rf "$D"' EXIT

mkdir -p "$D/conf.d"
printf 'demo-token\n' > "$D/token"
chmod 600 "$D/token"
cat > "$D/pintail.conf" <<CONF
[agent]
state_dir = $D/state
parsers = $TOP/parsers
bots_file = $TOP/parsers/bots.txt
CONF
sed -e "s#^logs .*#logs = $D/access.log#" -e "s#^access_token_file .*#access_token_file = $D/token#" \
	conf.d/example.conf.sample > "$D/conf.d/shop.conf"

echo "== generating 20,000 lines of access log (the last two hours)"
/usr/bin/python3 "$GEN" -n 20000 --seed 42 --start $(( $(date +%s) - 7200 )) -o "$D/access.log"
echo
echo "== pintail check"
./pintail -c "$D/pintail.conf" check
echo
echo "== pintail parse shop access.log (summary)"
./pintail -c "$D/pintail.conf" parse shop "$D/access.log" > "$D/events.jsonl" 2> "$D/summary"
cat "$D/summary"
echo
echo "== a checkout event, as it would be sent"
grep -m1 '"checkout"' "$D/events.jsonl" | /usr/bin/python3 -m json.tool
echo
echo "== a landing from a Pinterest ad, with its click id"
grep -m1 '"click_id"' "$D/events.jsonl" | /usr/bin/python3 -m json.tool
