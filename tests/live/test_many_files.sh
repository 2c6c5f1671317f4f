#!/bin/bash
# A glob matching more logs than the soft limit on open files it was
# started with (systemd's default soft limit is 1024, its hard one far
# higher): the agent keeps every log open, so it raises its soft limit to
# the hard one.  Started with a soft limit of 40 and 70 logs: every line
# of every log delivered, once, and no descriptor error logged.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

command -v prlimit > /dev/null || { echo "SKIP: test_many_files: prlimit is missing"; exit 0; }
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 512 ] \
	|| { echo "SKIP: test_many_files: the hard limit on open files is $(ulimit -Hn)"; exit 0; }

live_config
endpoint_start
make_live_site shop "$T/logs/*.log"
for i in $(seq 1 70); do
	append_lines "$T/logs/v$i.log" "v$i" 0 1
done
AGENT_AS=(prlimit --nofile=40: --)
agent_start 1
expected_keys shop "$T"/logs/*.log > "$T/exp"
wait_delivered "$T/exp" 30
for i in 1 35 70; do
	append_lines "$T/logs/v$i.log" "v$i" 1 1
done
expected_keys shop "$T"/logs/*.log > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
assert_eq "lines saying \"Too many open files\"" 0 "$(agent_log_count 'Too many open files')"
assert_delivered_once "$T/exp"
report "70 logs under a soft limit of 40 open files: $(wc -l < "$T/exp") events delivered once"
echo "$LIVE_NAME: all checks passed"
