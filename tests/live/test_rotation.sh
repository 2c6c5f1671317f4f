#!/bin/bash
# Log rotation in all the shapes SPEC §5 promises, one site per shape, all in
# one agent (6 sites):
#
#   rc   rename-and-create while running, with lines written to the OLD file
#        (through a descriptor opened before the rename, as nginx does until
#        it reopens) after the new file exists, at once and a second later;
#   dr   delete and re-create while running, with lines written just before
#        the delete (read through the agent's open descriptor);
#   gl   a glob (app-*.log) under read_from = end: the lines of app-1.log
#        there at the first start are not delivered, later ones are; files
#        created later (app-2.log with lines, app-3.log empty then written)
#        are read from their beginning; other-1.log (not matched) never is;
#   ino  a reused inode: while stopped, the file is truncated in place and
#        rewritten with a different, longer content (same inode, size past
#        the checkpoint): read from 0; then, while stopped again, removed
#        and created anew (the inode number is reported: reused or not);
#   tr   truncation while stopped (shorter new content): read from 0;
#   rs   rename while stopped, under read_from = end, with late lines written
#        to the renamed file and a new file at the path: every line of both
#        files after the first start is delivered, none from before it.
#
# And: every delivered event is an expected one, none twice (all stops are
# clean), no violation.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

L=$T/logs
mkdir -p "$L/rc" "$L/dr" "$L/gl" "$L/ino" "$L/tr" "$L/rs"
live_config
endpoint_start
make_live_site rc "$L/rc/access.log"
make_live_site dr "$L/dr/access.log"
make_live_site gl "$L/gl/app-*.log" --read-from end
make_live_site ino "$L/ino/access.log"
make_live_site tr "$L/tr/access.log"
make_live_site rs "$L/rs/access.log" --read-from end
: > "$T/exp-all"

# expect SITE FILE...: add the events of these files to the expected set.
expect() { expected_keys "$@" >> "$T/exp-all"; sort -u -o "$T/exp-all" "$T/exp-all"; }
# expect_after SITE PREFIX_COPY FILE: FILE's events minus those of its first
# lines, copied to PREFIX_COPY before the first start (same first line, same
# offsets: same ids).
expect_after() {
	expected_keys "$1" "$3" > "$T/after.tmp"
	expected_keys "$1" "$2" > "$T/prefix.tmp"
	keys_minus "$T/after.tmp" "$T/prefix.tmp" >> "$T/exp-all"
	sort -u -o "$T/exp-all" "$T/exp-all"
}
inode() { stat -c %i "$1"; }

# ---- before the first start
append_lines "$L/rc/access.log" rc-0 0 5
append_lines "$L/dr/access.log" dr-0 0 5
append_lines "$L/gl/app-1.log" gl-pre 0 5
cp "$L/gl/app-1.log" "$T/gl-prefix.log"
append_lines "$L/gl/other-1.log" glx 0 3
append_lines "$L/ino/access.log" ino-a 0 10
append_lines "$L/tr/access.log" tr-a 0 20
append_lines "$L/rs/access.log" rs-pre 0 5
cp "$L/rs/access.log" "$T/rs-prefix.log"
expected_keys gl "$T/gl-prefix.log" > "$T/never"
expected_keys rs "$T/rs-prefix.log" >> "$T/never"

agent_start 6

# ---- while running
# rc: rename and create, late writes to the old file through an open fd.
exec 7>> "$L/rc/access.log"
for i in 0 1 2 3 4; do combined_line "rc-a-$i" >&7; done
mv "$L/rc/access.log" "$L/rc/access.log.1"
append_lines "$L/rc/access.log" rc-new 0 5
for i in 0 1 2 3 4; do combined_line "rc-late-$i" >&7; done
# dr: lines, then more lines and at once delete and re-create.
append_lines "$L/dr/access.log" dr-a 0 5
append_lines "$L/dr/access.log" dr-b 0 5
cp "$L/dr/access.log" "$T/dr-old.log"
rm "$L/dr/access.log"
append_lines "$L/dr/access.log" dr-new 0 5
# gl: appends to the file there at the start, new matching files, a non-match.
append_lines "$L/gl/app-1.log" gl-1 0 5
append_lines "$L/gl/app-2.log" gl-2 0 5
: > "$L/gl/app-3.log"
append_lines "$L/gl/other-1.log" glx 3 3
# rs: lines after the first start.
append_lines "$L/rs/access.log" rs-a 0 5
hold 1 "the agent died" proc_alive "$AGENT_PID"
for i in 0 1 2; do combined_line "rc-later-$i" >&7; done # still within rotate_wait
exec 7>&-
append_lines "$L/gl/app-3.log" gl-3 0 4

expect rc "$L/rc/access.log.1" "$L/rc/access.log"
expect dr "$T/dr-old.log" "$L/dr/access.log"
expect_after gl "$T/gl-prefix.log" "$L/gl/app-1.log"
expect gl "$L/gl/app-2.log" "$L/gl/app-3.log"
expect ino "$L/ino/access.log"
expect tr "$L/tr/access.log"
expect_after rs "$T/rs-prefix.log" "$L/rs/access.log"
wait_delivered "$T/exp-all" 30
report "while running: $(wc -l < "$T/exp-all") events delivered"

# ---- while stopped
agent_stop TERM
# ino: truncate in place, rewrite longer with another first line.
ino1=$(inode "$L/ino/access.log")
: > "$L/ino/access.log"
append_lines "$L/ino/access.log" ino-b 0 20
assert_eq "inode of ino/access.log after truncate and rewrite" "$ino1" "$(inode "$L/ino/access.log")"
# tr: truncate to a shorter content.
size_before=$(stat -c %s "$L/tr/access.log")
truncate -s 0 "$L/tr/access.log"
append_lines "$L/tr/access.log" tr-b 0 3
[ "$(stat -c %s "$L/tr/access.log")" -lt "$size_before" ] || fail "tr: the new content is not shorter"
# rs: rename, late lines to the renamed file, a new file at the path.
mv "$L/rs/access.log" "$L/rs/access.log.1"
append_lines "$L/rs/access.log.1" rs-late 0 3
append_lines "$L/rs/access.log" rs-new 0 5

agent_start 6
expect ino "$L/ino/access.log"
expect tr "$L/tr/access.log"
expect_after rs "$T/rs-prefix.log" "$L/rs/access.log.1"
expect rs "$L/rs/access.log"
wait_delivered "$T/exp-all" 30
report "after the changes while stopped: $(wc -l < "$T/exp-all") events delivered"

# ---- stopped again: ino removed and created anew
agent_stop TERM
ino1=$(inode "$L/ino/access.log")
rm "$L/ino/access.log"
append_lines "$L/ino/access.log" ino-c 0 15
ino2=$(inode "$L/ino/access.log")
if [ "$ino1" = "$ino2" ]; then
	report "ino: rm and create reused inode $ino1"
else
	report "ino: rm and create gave inode $ino2 (was $ino1; not reused on this filesystem)"
fi
agent_start 6
expect ino "$L/ino/access.log"
wait_delivered "$T/exp-all" 30
agent_stop TERM

# ---- nothing else
assert_none_delivered "$T/never" "lines there before the first start of a read_from = end site"
assert_url_not_delivered "/products/glx-"
assert_only_expected "$T/exp-all"
assert_eq "events delivered twice (all stops clean)" 0 "$(dup_count)"
assert_no_violations
assert_no_token
report "$(wc -l < "$T/exp-all") events delivered, none twice, in $(request_count 200) requests"
echo "$LIVE_NAME: all checks passed"
