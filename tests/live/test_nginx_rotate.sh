#!/bin/bash
# A real nginx on 127.0.0.1 under load, its access log rotated by the real
# logrotate while pintail follows it.
#
# Scenario A: logrotate with `create` and a postrotate that sends USR1 to
# nginx's master (nginx goes on writing to the renamed file until it has
# reopened), twice during a load of paced GETs with distinct query strings.
# Every line nginx logged (`parse` of every file on disk, each on its own) is
# delivered, and so at least as many distinct events as requests answered 200.
#
# Scenario B: logrotate with `copytruncate`, twice during a second load.
# Every line on disk is delivered; the lines nginx wrote between logrotate's
# copy and its truncation are on no disk (the known loss of copytruncate):
# their number is reported, as is how many of them pintail delivered anyway.
#
# Both: every delivered event is a request the load made, no request is
# delivered under two event_ids, no violation.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

N=${LIVE_REQUESTS:-1500} # per scenario
SECS=${LIVE_LOAD_SECONDS:-8}
command -v logrotate >/dev/null || fail "logrotate is not installed (tests/deps.sh installs it)"

live_config
endpoint_start
nginx_start
ALOG=$NGX/logs/access.log
make_live_site shop "$ALOG" --batch-max 200
agent_start 1

cat > "$T/logrotate-A.conf" <<EOF
$ALOG {
    rotate 20
    missingok
    nocompress
    create 0644 root root
    sharedscripts
    postrotate
        kill -USR1 \$(cat $NGX/nginx.pid)
    endscript
}
EOF
cat > "$T/logrotate-B.conf" <<EOF
$ALOG {
    rotate 20
    missingok
    nocompress
    copytruncate
}
EOF

# run_load TAG CONF: N paced requests over SECS seconds, rotated with CONF at
# about a third and two thirds of the way.
run_load() {
	local tag=$1 conf=$2 pid third
	third=$(((SECS + 2) / 3))
	live_py load 127.0.0.1 "$NGX_PORT" "$tag" "$N" "$SECS" "$T/load-$tag.out" &
	pid=$!
	LIVE_PIDS+=("$pid")
	hold "$third" "the agent died during load $tag" proc_alive "$AGENT_PID"
	logrotate -f -s "$T/logrotate.state" "$conf" || fail "logrotate $conf failed (1st)"
	hold "$third" "the agent died during load $tag" proc_alive "$AGENT_PID"
	logrotate -f -s "$T/logrotate.state" "$conf" || fail "logrotate $conf failed (2nd)"
	wait "$pid" || fail "the load generator failed"
	[ -s "$T/load-$tag.out" ] || fail "the load generator wrote no results"
}

# on_disk TAG: distinct requests of load TAG found in the log files on disk.
on_disk() { cat "$ALOG"* | grep -o "r=$1-[0-9]*" | sort -u | wc -l; }
# delivered_tags TAG: distinct requests of load TAG delivered.
delivered_tags() { live_py tags "$RECORD" | awk -v p="$1-" 'index($1, p) == 1 { print $1 }' | sort -u | wc -l; }

check_load() {
	local tag=$1
	expected_keys shop "$ALOG"* > "$T/exp-$tag"
	wait_delivered "$T/exp-$tag" 40
	N200=$(grep -c ' 200$' "$T/load-$tag.out" || true)
	DISK=$(on_disk "$tag")
	GOT=$(delivered_tags "$tag")
	[ "$N200" -ge $((N * 9 / 10)) ] || fail "only $N200 of $N requests of load $tag got a 200 from nginx"
	report "load $tag: $N requests, $N200 answered 200, $DISK lines on disk, $GOT delivered; files: $(cd "$NGX/logs" && echo access.log*)"
}

# Scenario A: rename and create, USR1.
run_load A "$T/logrotate-A.conf"
check_load A
[ "$GOT" -ge "$N200" ] || fail "load A: $GOT distinct events delivered for $N200 requests answered 200"
[ "$DISK" -ge "$N200" ] || fail "load A: nginx logged $DISK of $N200 requests answered 200 (harness problem)"

# Scenario B: copytruncate.
run_load B "$T/logrotate-B.conf"
check_load B
lost=$((N200 - DISK))
[ "$lost" -ge 0 ] || lost=0
report "load B (copytruncate): $lost requests answered 200 are on no disk (written between copy and truncate); pintail delivered $((GOT - DISK)) of them from its own reading"
[ "$GOT" -ge "$DISK" ] || fail "load B: $GOT delivered < $DISK on disk"

# Every delivered event is a request the load made, each under one event_id.
live_py tags "$RECORD" | sort -u > "$T/tag-ids"
cut -d' ' -f1 "$T/tag-ids" | uniq -d > "$T/tag-twice"
[ ! -s "$T/tag-twice" ] || { head -n 5 "$T/tag-twice" >&2; fail "$(wc -l < "$T/tag-twice") requests delivered under more than one event_id"; }
cat "$T"/load-*.out | cut -d' ' -f1 | sort -u > "$T/tags-made"
cut -d' ' -f1 "$T/tag-ids" | sort -u | comm -23 - "$T/tags-made" > "$T/tags-unknown"
[ ! -s "$T/tags-unknown" ] || { head -n 5 "$T/tags-unknown" >&2; fail "delivered events of requests never made"; }
cat "$T"/exp-A "$T"/exp-B | sort -u > "$T/exp-all"
if [ "$lost" -eq 0 ]; then
	assert_only_expected "$T/exp-all"
fi

agent_stop TERM
assert_no_violations
assert_no_token
assert_eq "duplicates (none without a crash)" 0 "$(dup_count)"
echo "$LIVE_NAME: all checks passed"
