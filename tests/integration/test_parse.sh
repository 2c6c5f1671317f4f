#!/bin/bash
# `pintail parse` on real files: the hand-reviewed expected output, an
# independent checker (schema, key table, hashes and event_ids recomputed
# from SPEC §4), determinism, stdin, the summary and the exit statuses.
. "$(dirname "$0")/lib.sh"

make_config
make_site shop "$TOP/tests/data/sample-site.conf" "$TOP/tests/data/sample.log"
NOW=1795860300 # 2026-11-28 10:05:00 UTC

# 1. The sample log gives exactly the reviewed events.
"$PINTAIL" -c "$CONF" parse --now $NOW shop "$TOP/tests/data/sample.log" > "$T/out.jsonl" 2> "$T/summary"
diff -u "$TOP/tests/data/sample.expected.jsonl" "$T/out.jsonl" || fail "output differs from tests/data/sample.expected.jsonl"
assert_grep '^lines read: +23$' "$T/summary"
assert_grep '^unparsable: +1$' "$T/summary"
assert_grep '^filtered: +5 status=2 path=1 bot=2 agent=0 ip=0$' "$T/summary"
assert_grep '^too old: +2$' "$T/summary"
assert_grep '^in the future: +2$' "$T/summary"
assert_grep '^events: +19 ' "$T/summary"

# 2. An independent checker agrees: schema, keys, types, hashes, event_ids.
"$PYTHON" "$TOP/tests/tools/check_events.py" --events "$T/out.jsonl" --schema "$SCHEMA" \
	--log "$TOP/tests/data/sample.log" --site shop --url https://shop.example.com \
	--em-param email --ph-param phone --strip-params "email phone sid" \
	|| fail "check_events.py refused the sample's events"

# 3. The same from stdin: same identity, same ids.
"$PINTAIL" -c "$CONF" parse --now $NOW shop < "$TOP/tests/data/sample.log" > "$T/stdin.jsonl" 2>/dev/null
cmp -s "$T/out.jsonl" "$T/stdin.jsonl" || fail "stdin gives other events than the file"

# 4. A large realistic log: checked, and identical on a second run.
[ -f "$GEN" ] || fail "the log generator is missing: $GEN"
start=$(( $(date +%s) - 3600 ))
"$PYTHON" "$GEN" -n 30000 --seed 7 --start $start -o "$T/gen.log"
make_site gen "$TOP/conf.d/example.conf.sample" "$T/gen.log"
sed -i "s#^logs .*#logs = $T/gen.log#; s#^access_token_file .*#access_token_file = $T/etc/token#" "$T/etc/conf.d/gen.conf"
"$PINTAIL" -c "$CONF" check > "$T/check.out" 2>&1 || { cat "$T/check.out"; fail "check refused the generated site"; }
"$PINTAIL" -c "$CONF" parse gen "$T/gen.log" > "$T/gen1.jsonl" 2> "$T/gen.summary"
"$PINTAIL" -c "$CONF" parse gen "$T/gen.log" > "$T/gen2.jsonl" 2>/dev/null
cmp -s "$T/gen1.jsonl" "$T/gen2.jsonl" || fail "two runs gave different output"
n=$(wc -l < "$T/gen1.jsonl")
[ "$n" -gt 1000 ] || fail "only $n events from 30,000 lines"
"$PYTHON" "$TOP/tests/tools/check_events.py" --events "$T/gen1.jsonl" --schema "$SCHEMA" \
	--log "$T/gen.log" --site gen --url https://shop.example.com \
	|| fail "check_events.py refused the generated log's events"

# 4b. More visitors with an epik than the click-id memory holds (16,384):
# which of them a full memory forgets, and so the output, is the same on
# every run.  40,000 visitors land with an epik, then each adds to the cart.
"$PYTHON" - "$T/crowd.log" $(( $(date +%s) - 600 )) <<'EOF'
import sys, time
path, t = sys.argv[1], int(sys.argv[2])
stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
ua = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
with open(path, "w") as f:
    for page, method in (("/products/mug?epik=dj0y{0:05d}", "GET"), ("/cart/add", "POST")):
        for i in range(40000):
            ip = "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)
            f.write('%s - - [%s] "%s %s HTTP/1.1" 200 512 "-" "%s"\n'
                    % (ip, stamp, method, page.format(i), ua))
EOF
"$PINTAIL" -c "$CONF" parse gen "$T/crowd.log" > "$T/crowd1.jsonl" 2>/dev/null
"$PINTAIL" -c "$CONF" parse gen "$T/crowd.log" > "$T/crowd2.jsonl" 2>/dev/null
carts=$(grep -c '"event_name":"add_to_cart"' "$T/crowd1.jsonl" || true)
assert_eq "add_to_cart events of the crowd" 40000 "$carts"
remembered=$(grep '"event_name":"add_to_cart"' "$T/crowd1.jsonl" | grep -c '"click_id"' || true)
[ "$remembered" -gt 8000 ] && [ "$remembered" -lt 40000 ] ||
	fail "$remembered of 40,000 carts carry a click_id: the memory should hold some, not all"
cmp -s "$T/crowd1.jsonl" "$T/crowd2.jsonl" || fail "a full click-id memory gave different output on a second run"

# 5. Identical lines at two offsets give two event_ids.
line='203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] "GET /products/blue-mug HTTP/1.1" 200 5123 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"'
printf '%s\n%s\n' "$line" "$line" > "$T/twice.log"
"$PINTAIL" -c "$CONF" parse --now $NOW gen "$T/twice.log" > "$T/twice.jsonl" 2>/dev/null
ids=$(grep -o '"event_id":"[0-9a-f]*"' "$T/twice.jsonl" | sort -u | wc -l)
assert_eq "distinct event_ids of two identical lines" 2 "$ids"

# 6. Exit statuses: unknown site 1, unreadable input 2, usage 1.
set +e
"$PINTAIL" -c "$CONF" parse nosuchsite "$T/twice.log" >/dev/null 2>"$T/err"; rc=$?
set -e
assert_eq "exit status for an unknown site" 1 "$rc"
assert_grep 'no site called "nosuchsite"' "$T/err"
set +e
"$PINTAIL" -c "$CONF" parse gen "$T/missing.log" >/dev/null 2>"$T/err"; rc=$?
set -e
assert_eq "exit status for a missing log" 2 "$rc"
assert_grep "open $T/missing.log: No such file or directory" "$T/err"
set +e
"$PINTAIL" -c "$CONF" parse --now yesterday gen >/dev/null 2>&1; rc=$?
set -e
assert_eq "exit status for a bad --now" 1 "$rc"
set +e
"$PINTAIL" -c "$CONF" parse gen "$T/twice.log" --now $NOW >/dev/null 2>"$T/err"; rc=$?
set -e
assert_eq "exit status for --now after SITE" 1 "$rc"
assert_grep '--now: options go before SITE' "$T/err"

# 6b. parse never reads the access token: it works where the token file
# is missing (or unreadable to the user running it), which check refuses.
mv "$T/etc/token" "$T/etc/token.away"
"$PINTAIL" -c "$CONF" parse --now $NOW shop "$TOP/tests/data/sample.log" > "$T/notoken.jsonl" 2>/dev/null \
	|| fail "parse needed the token file"
cmp -s "$T/out.jsonl" "$T/notoken.jsonl" || fail "parse without the token file gave other events"
set +e
"$PINTAIL" -c "$CONF" check >/dev/null 2>"$T/err"; rc=$?
set -e
assert_eq "check without the token file" 1 "$rc"
assert_grep "token: No such file or directory" "$T/err"
mv "$T/etc/token.away" "$T/etc/token"

# 7. --help, also after a command and without a readable configuration;
# --version.
"$PINTAIL" --help > "$T/help" || fail "pintail --help failed"
assert_grep '^usage: pintail \[-c FILE\] \[run\]$' "$T/help"
assert_grep 'parse \[--now EPOCH\] \[--\] SITE \[LOGFILE...\]' "$T/help"
"$PINTAIL" -c "$T/no-such.conf" parse --help > "$T/help2" || fail "pintail parse --help failed"
cmp -s "$T/help" "$T/help2" || fail "pintail parse --help printed something else than --help"
"$PINTAIL" -c "$T/no-such.conf" --help > "$T/help3" || fail "pintail -c FILE --help failed"
cmp -s "$T/help" "$T/help3" || fail "pintail -c FILE --help printed something else than --help"
# After "--", "-h" and "--help" are log files, whether "--" comes before
# the site or after it.
cp "$TOP/tests/data/sample.log" "$T/-h"
cp "$TOP/tests/data/sample.log" "$T/--help"
(cd "$T" && "$PINTAIL" -c "$CONF" parse --now $NOW shop -- -h > dd1.jsonl 2>/dev/null) \
	|| fail "pintail parse SITE -- -h failed"
cmp -s "$T/out.jsonl" "$T/dd1.jsonl" || fail "parse SITE -- -h did not read the file -h"
(cd "$T" && "$PINTAIL" -c "$CONF" parse --now $NOW -- shop --help -h > dd2.jsonl 2>/dev/null) \
	|| fail "pintail parse -- SITE --help -h failed"
[ "$(wc -l < "$T/dd2.jsonl")" -eq $((2 * $(wc -l < "$T/out.jsonl"))) ] \
	|| fail "parse -- SITE --help -h did not read both files"
"$PINTAIL" --version > "$T/version" || fail "pintail --version failed"
assert_grep '^pintail [0-9]+\.[0-9]+\.[0-9]+' "$T/version"
echo "test_parse: all checks passed"
