#!/bin/bash
# A reload that keeps a site's files applies its other settings at once:
#   1. click_memory shortened (30d to 1h): a visitor who landed with an epik
#      2 hours ago gets no click_id on a hit after the reload (as after a
#      restart with 1h); one who landed 10 minutes ago still does;
#   2. ca_file removed (say, api_url back from a local endpoint to
#      Pinterest): libcurl's own CA bundle is trusted again, not the old
#      file alone, so the local endpoint's test certificate is refused
#      (events stay spooled, nothing is lost); ca_file put back: delivered.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
SITE=$T/etc/conf.d/shop.conf
answers_config
ep_start
make_live_site shop "$LOG"
sed -i 's/^read_from = .*/&\nclick_memory = 30d/' "$SITE"
grep -q "^ca_file = " "$SITE" || fail "the site has no ca_file line"
now=$(date +%s)
hit() { # IP PATH EPOCH
	printf '%s - - [%s] "GET %s HTTP/1.1" 200 123 "-" "%s"\n' "$1" \
		"$(LC_ALL=C date -u -d "@$3" '+%d/%b/%Y:%H:%M:%S +0000')" "$2" "$UA" >> "$LOG"
}
hit 198.51.100.1 "/landing?epik=dj0yJnU9AAAA" $((now - 7200))
hit 198.51.100.2 "/landing?epik=dj0yJnU9BBBB" $((now - 600))
agent_start 1
wait_until 15 "the landings delivered" eval '[ "$(live_py delivered "$RECORD" | wc -l)" -ge 2 ]'

# 1. click_memory 30d -> 1h
sed -i 's/^click_memory = .*/click_memory = 1h/' "$SITE"
agent_hup
hit 198.51.100.1 "/products/after-reload-old" "$now"
hit 198.51.100.2 "/products/after-reload-recent" "$now"
wait_until 15 "the hits after the reload delivered" eval '[ "$(live_py delivered "$RECORD" | wc -l)" -ge 4 ]'
assert_eq "click_id, landed 2 h ago, click_memory now 1h" absent \
	"$(live_py field "$RECORD" after-reload-old page_visit user_data.click_id)"
assert_eq "click_id, landed 10 min ago" "\"dj0yJnU9BBBB\"" \
	"$(live_py field "$RECORD" after-reload-recent page_visit user_data.click_id)"

# 2. ca_file removed: the test CA is no longer trusted
sed -i '/^ca_file = /d' "$SITE"
agent_hup
n0=$(request_count)
append_lines "$LOG" untrusted 0 3
# curl's own words name the failed check, not only "SSL peer certificate ... was not OK".
refused() { grep -q "SSL certificate problem: unable to get local issuer certificate" "$(delivery_log shop)"; }
wait_until 15 "a certificate failure, with its reason, in delivery.log" refused
assert_eq "requests answered after ca_file was removed" "$n0" "$(request_count)"
sed -i "s#^api_url = .*#&\nca_file = $T/certs/ca.pem#" "$SITE"
agent_hup
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
assert_delivered_once "$T/exp"
answers_done
