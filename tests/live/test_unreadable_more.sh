#!/bin/bash
# Logs that cannot be read yet (see test_unreadable.sh), in the ways they
# can change meanwhile (found by a review of the pending-file code):
#   grow    lines written to a pending log, which is then deleted: the bytes
#           never read are logged and counted as lost;
#   trunc   copytruncate of a pending log, which then grows past its
#           first-start size: once readable it is read from its beginning,
#           not from the stale offset;
#   stuck   a pending log made readable with no event in its folder (a hard
#           link elsewhere chmodded, as a security policy change would): the
#           writes to it still get it tried again (at most every 5 s);
#   rotstop a pending log rotated (renamed) while the agent is stopped: once
#           readable, the renamed file is read from its first-start size;
#   ckrot   a log read and checkpointed, unreadable and rotated while the
#           agent is stopped: read on from its checkpoint where it is now;
#   part    a readable log holding only an unterminated line at the first
#           start (read_from = end) is read from 0, so that a truncation while
#           stopped loses nothing.
# Nothing is delivered twice.  The agent runs as user nobody (setpriv); where
# that is impossible the test says SKIP and passes.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

skip() { echo "SKIP: $LIVE_NAME: $*"; exit 0; }
AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
L=$T/logs
live_config
endpoint_start
for s in grow trunc stuck rotstop ckrot; do
	make_live_site "$s" "$L/$s.log" --read-from end
	append_lines "$L/$s.log" "$s-old" 0 20
	chmod 600 "$L/$s.log"
done
chmod 644 "$L/ckrot.log" # read first, so that it has a checkpoint
make_live_site part "$L/part.log" --read-from end
printf '203.0.113.5 - - [%s] "GET /products/part-old-0 HTTP/1.1" 200 123 "-" "%s"' "$(log_time)" "$UA" > "$L/part.log"
chmod 644 "$L/part.log"
mkdir -p "$T/other"
chmod 711 "$T"
chmod 755 "$T/etc" "$T/etc/conf.d" "$T/certs" "$L" "$T/other"
chown nobody:nogroup "$T/state" "$T/etc/token" "$T"/etc/conf.d/*.conf
"${AS[@]}" true 2> /dev/null || skip "setpriv cannot switch to user nobody here"
! "${AS[@]}" cat "$L/grow.log" > /dev/null 2>&1 || skip "user nobody can read a file of root's of mode 0600 here"
AGENT_AS=("${AS[@]}")

# new_keys SITE FILE: the keys of FILE's lines after its first 20.
new_keys() {
	expected_keys "$1" "$2" > "$T/all.keys"
	head -n 20 "$2" > "$T/head.log"
	expected_keys "$1" "$T/head.log" > "$T/old.keys"
	keys_minus "$T/all.keys" "$T/old.keys"
}
said() { [ "$(agent_log_count "$1" "$AGENT_ERR")" -ge 1 ] || fail "no log line matching [$1]"; }

# (The pending files are made at the start, before "running" is logged.)
agent_start 6

# ---- grow: written to while pending, then deleted.  The agent's look at
# the grown size leaves no mark outside it: half a second for it.
append_lines "$L/grow.log" grow-new 0 10
sleep 0.5
rm "$L/grow.log"
wait_until 10 "the loss of grow.log logged" \
	grep -q "site grow: $L/grow.log is gone before it could be opened: [1-9][0-9]* bytes written to it were never read and are lost" "$AGENT_ERR"
report "grow: a pending log written to and deleted: its unread bytes logged as lost"

# ---- trunc: copytruncate while pending, regrows past its first-start size
# (the half seconds: the agent's looks, at the copy's creation and at the
# truncation, leave no mark outside it; the lines must be right either way)
cp -p "$L/trunc.log" "$L/trunc.log.1"
sleep 0.5
: > "$L/trunc.log"
append_lines "$L/trunc.log" trunc-after 0 40
sleep 0.5
chmod 644 "$L/trunc.log"
expected_keys trunc "$L/trunc.log" > "$T/exp.trunc"
wait_delivered "$T/exp.trunc" 20
said "site trunc: $L/trunc.log was truncated before it could be opened"
report "trunc: copytruncate of a pending log: the 40 lines written after it delivered"

# ---- stuck: readable through a hard link elsewhere; only writes to it follow
ln "$L/stuck.log" "$T/other/stuck.hl"
chmod 644 "$T/other/stuck.hl"
for i in 0 1 2 3 4 5 6; do
	append_lines "$L/stuck.log" stuck-new $((i * 2)) 2
	sleep 1
done
new_keys stuck "$L/stuck.log" > "$T/exp.stuck"
wait_delivered "$T/exp.stuck" 15
assert_url_not_delivered "/products/stuck-old-"
report "stuck: made readable with no event in its folder: tried again as it grew, delivered"

# ckrot: its new lines read before the stop
append_lines "$L/ckrot.log" ckrot-new 0 5
new_keys ckrot "$L/ckrot.log" > "$T/exp.ckrot0"
cp "$T/old.keys" "$T/old.ckrot"
wait_delivered "$T/exp.ckrot0" 15
agent_stop TERM

# ---- while stopped: rotstop and ckrot rotated, unreadable; part truncated
SIZER=$(stat -c %s "$L/rotstop.log")
mv "$L/rotstop.log" "$L/rotstop.log.1"
append_lines "$L/rotstop.log.1" rotstop-new 0 5
append_lines "$L/rotstop.log" rotstop-succ 0 3
chmod 600 "$L/ckrot.log"
append_lines "$L/ckrot.log" ckrot-new 5 5
mv "$L/ckrot.log" "$L/ckrot.log.1"
append_lines "$L/ckrot.log" ckrot-succ 0 3
: > "$L/part.log"
append_lines "$L/part.log" part-new 0 5
expected_keys part "$L/part.log" > "$T/exp.part"
agent_start 6
said "site rotstop: $L/rotstop.log was rotated to $L/rotstop.log.1 while the agent was stopped"
said "site ckrot: $L/ckrot.log was rotated to $L/ckrot.log.1 while the agent was stopped"
chmod 644 "$L/rotstop.log.1" "$L/ckrot.log.1" "$L/rotstop.log" "$L/ckrot.log"
new_keys rotstop "$L/rotstop.log.1" > "$T/exp.rotstop"
expected_keys rotstop "$L/rotstop.log" >> "$T/exp.rotstop"
wait_delivered "$T/exp.rotstop" 15
said "site rotstop: $L/rotstop.log.1 can be opened now; reading it from offset $SIZER"
expected_keys ckrot "$L/ckrot.log.1" > "$T/all.ckrot"
keys_minus "$T/all.ckrot" "$T/old.ckrot" > "$T/exp.ckrot"
expected_keys ckrot "$L/ckrot.log" >> "$T/exp.ckrot"
wait_delivered "$T/exp.ckrot" 15
report "rotstop, ckrot: pending logs rotated while the agent was stopped read on where they are"
wait_delivered "$T/exp.part" 15
report "part: a log of one unterminated line at the first start, truncated while stopped: nothing lost"
agent_stop TERM

cat "$T"/exp.trunc "$T"/exp.stuck "$T"/exp.ckrot0 "$T"/exp.rotstop "$T"/exp.ckrot "$T"/exp.part > "$T/exp"
assert_only_expected "$T/exp"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_no_violations
echo "$LIVE_NAME: all checks passed"
