#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# SIGHUP (SPEC §2): "reloads the configuration and re-reads token files; a
# new configuration that fails check is refused with a logged error and the
# old one keeps running. A site removed by a reload stops being read; its
# state (checkpoints, spool) is kept, so it resumes where it was if it comes
# back."
#   1. a broken pintail.conf (unknown key), then a broken site file (a
#      non-numeric ad_account_id): each refused ("reload refused ... the
#      running configuration is kept"), the agent keeps delivering;
#   2. a site added (read_from = end): "configuration reloaded (2 sites)",
#      lines written after it started are delivered, not those before;
#      the site that was there ("shop"; "blog" sorts before it) goes on,
#      its new lines delivered once;
#   3. that site removed: "(1 site)", lines written meanwhile are not
#      delivered; re-added: they are, each once (it resumed from its
#      checkpoint: neither re-read from the start nor skipped to the end);
#   4. a new token file path (the old file now holds a refused token):
#      deliveries go on with the new one, no 401;
#   5. [agent] max_line raised: the sites restart from their checkpoints
#      and a line longer than the old limit is delivered, nothing twice;
#   6. test_mode turned on by a reload: the "TEST MODE is on" warning of a
#      start is logged then too; turned off again: said as well.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

SHOP=$T/logs/shop.log
BLOG=$T/logs/blog.log
answers_config
ep_start
make_live_site shop "$SHOP"
append_lines "$SHOP" s0 0 10
agent_start 1
expected_keys shop "$SHOP" > "$T/exp_shop"
wait_delivered "$T/exp_shop" 15

# ---- 1. broken configurations are refused, the old one keeps running
# (the lines' ids are computed while the configuration is good: staged)
cp "$CONF" "$T/conf.good"
stage_lines s1 0 10
stage_keys shop "$SHOP" >> "$T/exp_shop"
echo "no_such_key = 1" >> "$CONF"
agent_hup
log_has "reload refused: .*the running configuration is kept" || fail "a broken pintail.conf was not refused"
grep -q "no_such_key" "$AGENT_ERR" || fail "the refusal does not name the unknown key"
stage_commit "$SHOP"
wait_delivered "$T/exp_shop" 10
cp "$T/conf.good" "$CONF"
cp "$T/etc/conf.d/shop.conf" "$T/shop.conf.good"
stage_lines s2 0 10
stage_keys shop "$SHOP" >> "$T/exp_shop"
sed -i "s/^ad_account_id = .*/ad_account_id = 54975588517x/" "$T/etc/conf.d/shop.conf"
agent_hup
[ "$(log_count 'reload refused')" -eq 2 ] || fail "a site file with a non-numeric ad_account_id was not refused"
stage_commit "$SHOP"
wait_delivered "$T/exp_shop" 10
cp "$T/shop.conf.good" "$T/etc/conf.d/shop.conf"
proc_alive "$AGENT_PID" || fail "the agent died"
report "broken pintail.conf and broken site file refused; the old configuration kept delivering"

# ---- 2. a site added
append_lines "$BLOG" before 0 5
make_live_site blog "$BLOG" --read-from end
agent_hup
log_has 'configuration reloaded \(2 sites\)' || fail "adding a site: no \"configuration reloaded (2 sites)\""
expected_keys blog "$BLOG" > "$T/blog_before"
# The new site started at the end of its file before "configuration
# reloaded" was logged: appending now is after that end.
append_lines "$BLOG" b1 0 10
expected_keys blog "$BLOG" > "$T/exp_blog_all"
keys_minus "$T/exp_blog_all" "$T/blog_before" > "$T/exp_blog"
wait_delivered "$T/exp_blog" 10
assert_none_delivered "$T/blog_before" "lines of the added site written before it started (read_from = end)"
# the site that was there keeps going, once ("blog" sorts before "shop")
append_lines "$SHOP" s3 0 10
expected_keys shop "$SHOP" > "$T/exp_shop"
wait_delivered "$T/exp_shop" 10
sleep 1.5
d=$(dup_count)
[ "$d" -eq 0 ] || fail "after a reload that added site blog, $d of shop's 10 new lines were delivered twice (shop is followed twice?)"
report "site added: its new lines delivered"

# ---- 3. removed, lines written meanwhile, re-added
stage_lines gone 0 10
stage_keys blog "$BLOG" > "$T/blog_gone" # while blog is still configured
mv "$T/etc/conf.d/blog.conf" "$T/blog.conf.off"
agent_hup
log_has 'configuration reloaded \(1 site\)' || fail "removing a site: no \"configuration reloaded (1 site)\""
log_has 'site blog: removed from the configuration' || fail "no \"site blog: removed\" line"
stage_commit "$BLOG"
assert_eq "lines written while the site was removed" 10 "$(wc -l < "$T/blog_gone")"
n0=$(request_count)
same() { [ "$(request_count)" -eq "$n0" ]; }
hold 3 "a request was sent for a removed site" same
mv "$T/blog.conf.off" "$T/etc/conf.d/blog.conf"
agent_hup
[ "$(log_count 'configuration reloaded \(2 sites\)')" -eq 2 ] || fail "re-adding: no second \"configuration reloaded (2 sites)\""
wait_delivered "$T/blog_gone" 10
append_lines "$BLOG" back 0 5
expected_keys blog "$BLOG" > "$T/exp_blog_all"
keys_minus "$T/exp_blog_all" "$T/blog_before" > "$T/exp_blog"
wait_delivered "$T/exp_blog" 10
sleep 1.5
assert_none_delivered "$T/blog_before" "lines before the site's first start, after re-adding"
assert_eq "events delivered twice after remove and re-add" 0 "$(dup_count)"
report "site removed and re-added: the 10 lines written meanwhile delivered once"

# ---- 4. a new token file path
set_token "$T/etc/token2" "$TOKEN_GOOD"
sed -i "s#^access_token_file = .*#access_token_file = $T/etc/token2#" "$T/etc/conf.d/shop.conf" "$T/etc/conf.d/blog.conf"
set_token "$T/etc/token" "$TOKEN_BAD" # the old path now holds a refused token
agent_hup
log_has 'configuration reloaded \(2 sites\)' || fail "new token path: reload refused"
append_lines "$SHOP" s4 0 10
append_lines "$BLOG" b2 0 10
expected_keys shop "$SHOP" > "$T/exp_shop"
expected_keys blog "$BLOG" > "$T/exp_blog_all"
keys_minus "$T/exp_blog_all" "$T/blog_before" > "$T/exp_blog"
wait_delivered "$T/exp_shop" 10
wait_delivered "$T/exp_blog" 10
assert_eq "401 answers" 0 "$(request_count 401)"
report "new token file path: delivered with it (the old path holds a refused token)"

# ---- 5. [agent] max_line raised: the sites restart and read with it
# A line longer than the old max_line (64K, the default) and shorter than
# the new one: a site kept running with its old line buffers skipped it.
echo "max_line = 128K" >> "$CONF"
agent_hup
log_has 'site shop: max_line or rotate_wait changed; restarting it from its checkpoint' ||
	fail "raising max_line: no \"site shop: max_line or rotate_wait changed\" line"
[ "$(log_count 'configuration reloaded \(2 sites\)')" -ge 4 ] || fail "raising max_line: the reload was refused"
printf '203.0.113.5 - - [%s] "GET /products/long-0 HTTP/1.1" 200 %s "-" "%s"\n' \
	"$(log_time)" "$(head -c 70000 /dev/zero | tr '\0' 7)" "$UA" >> "$SHOP"
append_lines "$SHOP" s5 0 5
expected_keys shop "$SHOP" > "$T/exp_shop"
assert_eq "events of the 70,000-byte line in pintail parse (max_line = 128K)" 1 \
	"$("$PINTAIL" -c "$CONF" parse shop "$SHOP" 2>/dev/null | grep -c '/products/long-0')"
wait_delivered "$T/exp_shop" 10
report "max_line raised by a reload: a line longer than the old limit delivered"

# ---- 6. test mode switched by a reload is said in the log
sed -i 's/^timeout = 10s$/&\ntest_mode = true/' "$T/etc/conf.d/shop.conf"
agent_hup
log_has 'warning: site shop: TEST MODE is on: Pinterest validates the events but records none' ||
	fail "test_mode turned on by a reload: no \"TEST MODE is on\" warning"
sed -i '/^test_mode = true$/d' "$T/etc/conf.d/shop.conf"
agent_hup
log_has 'site shop: test mode is off: events are recorded from now on' ||
	fail "test_mode turned off by a reload: not said"
report "test mode turned on and off by reloads: both logged"

agent_stop TERM
cat "$T/exp_shop" "$T/exp_blog" > "$T/exp"
assert_only_expected "$T/exp"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_no_violations
assert_token_secret
answers_done
