#!/bin/bash
# A log deleted after it was read to its end, then the agent restarted or
# reloaded within rotate_wait:
#   1. its successor has another first line; a restart: nothing is said to be
#      lost (it held nothing more), LOST stays 0, every event delivered once;
#   2. its folder removed and made anew, the new log beginning with the very
#      same line, and the old one ending in a line not finished yet; a reload
#      that restarts the site: the new log is followed once (one entry in
#      status), a line added to it is delivered once.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

D=$T/logs/d
LOG=$D/access.log
mkdir -p "$D"
answers_config
ep_start
make_live_site shop "$LOG"

# 1. Deleted, read to its end, a restart.
append_lines "$LOG" a 0 3
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 20
rm "$LOG"
append_lines "$LOG" b 0 2
expected_keys shop "$LOG" >> "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
agent_start 1
append_lines "$LOG" b 2 2
expected_keys shop "$LOG" >> "$T/exp"
wait_delivered "$T/exp" 20
! log_has 'is gone' || fail "a log read to its end and deleted was said to be gone, lost: $(grep 'is gone' "$AGENT_ERR")"
assert_eq "status: lost" 0 "$(site_stat shop lost)"
report "a deleted log read to its end: nothing said lost at the restart"

# 2. The folder made anew, the same first line, a reload.
first=$(combined_line first 203.0.113.9 "$UA" 404) # no event: the two logs share it
followed() { [ "$(agent_log_count "following $LOG" "$AGENT_ERR")" -ge "$1" ]; }
n=$(agent_log_count "following $LOG" "$AGENT_ERR")
rm -rf "$D"
mkdir "$D"
{ printf '%s\n' "$first"; printf '203.0.113.5 - - [%s] "GET /products/unfinished' "$(log_time)"; } > "$LOG"
wait_until 15 "the log made anew followed" followed $((n + 1))
rm -rf "$D"
mkdir "$D"
printf '%s\n' "$first" > "$LOG"
wait_until 15 "the log made anew again followed" followed $((n + 2))
touch "$T/logs/other.log"
sed -i "s|^logs = .*|logs = $LOG $T/logs/other.log|" "$T/etc/conf.d/shop.conf"
agent_hup
append_lines "$LOG" c 0 1
expected_keys shop "$LOG" >> "$T/exp"
wait_delivered "$T/exp" 20
no_dup() { [ "$(dup_count)" -eq 0 ]; }
hold 2 "a line of the log made anew delivered twice" no_dup # a second reader would send it again
assert_eq "status: entries for $LOG" 1 \
	"$(ans_py get "$(status_json shop)" sites.0.files | grep -o "\"path\": \"$LOG\"" | wc -l)"
agent_stop TERM
assert_delivered_once "$T/exp"
report "a log made anew with the first line of the one it replaced: followed once after a reload"
answers_done
