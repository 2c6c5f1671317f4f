#!/bin/bash
# Reloads keep what the agent counts and let go of what it watched:
#   - the read counters (lines, filtered...) are since the agent started,
#     not since the last SIGHUP;
#   - a site removed by a reload leaves no inotify watch behind: twelve
#     sites added and removed, one at a time, in folders of their own, and
#     the agent watches as many folders as before.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site
append_lines "$LOG" a 0 20
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 15
wait_until 10 "status: 20 lines" site_stat_is shop lines 20
agent_hup
append_lines "$LOG" b 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 15
wait_until 10 "status: 25 lines after a reload" site_stat_is shop lines 25

# watches: the inotify descriptor's watches, from /proc.
watches() {
	local fd
	for fd in /proc/"$AGENT_PID"/fd/*; do
		if [ "$(readlink "$fd")" = "anon_inode:inotify" ]; then
			grep -c '^inotify wd:' "/proc/$AGENT_PID/fdinfo/${fd##*/}"
			return
		fi
	done
	echo none
}
w0=$(watches)
for i in $(seq 1 12); do
	mkdir -p "$T/logs/d$i"
	: > "$T/logs/d$i/access.log"
	make_live_site "s$i" "$T/logs/d$i/access.log"
	agent_hup
	rm "$T/etc/conf.d/s$i.conf"
	agent_hup
done
report "inotify watches: $w0 before, $(watches) after 12 sites added and removed"
assert_eq "inotify watches after 12 sites added and removed" "$w0" "$(watches)"
agent_stop TERM
assert_delivered_once "$T/exp"
answers_done
