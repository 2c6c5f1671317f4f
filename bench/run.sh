#!/bin/sh
# bench/run.sh — how fast pintail parses, against the parsing ceiling.
#
# Usage, from the repository top (`make bench` runs exactly this):
#
#     sh bench/run.sh ./pintail
#
# It builds bench/ceiling.c (read 1 MiB blocks, split lines, one PCRE2 JIT
# match per line: the least work any parser must do), generates a log of
# LINES nginx "combined" lines with the shared generator, writes a one-site
# configuration, then times `pintail -c CONF parse shop LOG > /dev/null` and
# the ceiling on the same log under /usr/bin/time -v, RUNS times each, taking
# turns, and prints lines/s, CPU, CPU per line and peak RSS for both, and
# pintail's share of the ceiling's speed (the target: at least 40 %), and,
# for information, how much of parse's time SPEC §4's SHA-256 per event takes
# (build/sha_cost, from bench/sha_cost.c).
#
# Environment (all optional):
#   BENCH_DIR  work folder: log, configuration, state, timings
#              (default /tmp/pintail-bench)
#   GEN        the log generator; a relative path is taken from the repository
#              top (default ../shared/tools/gen_access_log.py)
#   LINES      lines in the log (default 1000000)
#   RUNS       runs per program, taking turns; the best wall time counts
#              (default 9: the machine may be shared, and a slow spell
#              should not decide the figure)
#   CC         C compiler for the ceiling (default cc)
#   E2E_RUNS   end-to-end backfills of `pintail run`; the best counts (default 5)
#   IDLE_SECONDS  how long `pintail run` is watched idle (default 60)
#
# The log is generated once, with --seed 1 and timestamps starting two hours
# ago, and reused while the generator, LINES and the seed are unchanged and
# it is younger than 6 days: its events must stay inside max_event_age (7d)
# so that pintail does the full work for every line.
#
# Exit status: 0 when the measurements were made (whatever they say), 1 on a
# usage error, 2 when a step failed.

set -eu

die() {
	echo "bench: $*" >&2
	exit 2
}

if [ $# -ne 1 ]; then
	echo "usage: sh bench/run.sh PINTAIL_BINARY" >&2
	exit 1
fi

REPO=$(cd "$(dirname "$0")/.." && pwd)
case $1 in
/*) PINTAIL=$1 ;;
*) PINTAIL=$(pwd)/$1 ;;
esac
[ -x "$PINTAIL" ] || die "$1: not an executable file"

WORK=${BENCH_DIR:-/tmp/pintail-bench}
GEN=${GEN:-../shared/tools/gen_access_log.py}
case $GEN in
/*) ;;
*) GEN=$REPO/$GEN ;;
esac
LINES=${LINES:-1000000}
RUNS=${RUNS:-9}
SEED=1
LOG=$WORK/access.log
CONF=$WORK/pintail.conf

[ -r "$GEN" ] || die "$GEN: log generator not found (set GEN=/path/to/gen_access_log.py)"
mkdir -p "$WORK/state" "$WORK/conf.d" || die "cannot create $WORK"

if [ ! -x /usr/bin/time ]; then
	echo "bench: /usr/bin/time is missing; installing the time package" >&2
	apt-get install -y time >/dev/null || die "apt-get install time failed (install GNU time)"
fi

# --- The ceiling ------------------------------------------------------------

# The pkg-config flags are word lists: they are split on purpose.
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror $(pkg-config --cflags libpcre2-8) \
	-o "$WORK/ceiling" "$REPO/bench/ceiling.c" $(pkg-config --libs libpcre2-8) ||
	die "building bench/ceiling.c failed"

# --- The log ----------------------------------------------------------------

now=$(date +%s)
params="lines=$LINES seed=$SEED gen=$(sha256sum <"$GEN" | cut -d' ' -f1)"
reuse=no
if [ -f "$LOG" ] && [ -f "$LOG.params" ]; then
	old_params=$(sed -n 1p "$LOG.params")
	old_start=$(sed -n 2p "$LOG.params")
	if [ "$old_params" = "$params" ] && [ -n "$old_start" ] &&
		[ "$old_start" -gt $((now - 6 * 86400)) ]; then
		reuse=yes
	fi
fi
if [ $reuse = yes ]; then
	echo "bench: reusing $LOG"
else
	start=$((now - 7200))
	echo "bench: generating $LINES lines into $LOG"
	rm -f "$LOG.params"
	python3 "$GEN" -n "$LINES" --seed "$SEED" --start "$start" -o "$LOG.tmp" ||
		die "log generation failed"
	mv "$LOG.tmp" "$LOG"
	printf '%s\n%s\n' "$params" "$start" >"$LOG.params"
fi
# Warm the page cache, so that the first timed run reads from memory too.
cat "$LOG" >/dev/null

# --- The configuration ------------------------------------------------------

(umask 077 && echo "pintail-bench-dummy-token" >"$WORK/shop.token")

cat >"$CONF" <<EOF
# Written by bench/run.sh: the benchmark's agent configuration.
[agent]
state_dir = $WORK/state
include   = conf.d/*.conf
parsers   = $REPO/parsers
bots_file = $REPO/parsers/bots.txt
EOF

cat >"$WORK/conf.d/shop.conf" <<EOF
# Written by bench/run.sh: the benchmark's site, a shop with four rules.
[site]
url       = https://shop.example.com
logs      = $LOG
parser    = nginx_combined
read_from = beginning

[pinterest]
ad_account_id     = 549755885175
access_token_file = $WORK/shop.token

[event checkout]
type     = checkout
path     = ^/checkout/thank-you
value    = query:value
currency = query:currency
order_id = query:order

[event add_to_cart]
type    = add_to_cart
path    = ^/cart/add\$
methods = POST

[event search]
type          = search
path          = ^/search\$
search_string = query:q

[event page_visit]
type    = page_visit
path    = ^/(products|collections|pages|blog)?(/|\$)
methods = GET
EOF

if ! "$PINTAIL" -c "$CONF" check >"$WORK/check.out" 2>&1; then
	cat "$WORK/check.out" >&2
	die "pintail check refused $CONF"
fi

# --- Measuring --------------------------------------------------------------

# measure NAME OUT COMMAND...: runs COMMAND once under /usr/bin/time -v with
# its stdout sent to OUT, and folds the run into $WORK/NAME.result, "wall cpu
# rss_kb": the best wall time and the least user+system CPU so far (seconds),
# and the largest peak RSS.  Its stderr of the last run is kept in
# $WORK/NAME.err.  Start a measurement by emptying NAME.result.
measure() {
	m_name=$1
	m_out=$2
	shift 2
	m_t0=$(date +%s%N)
	if ! /usr/bin/time -v -o "$WORK/$m_name.time" "$@" >"$m_out" 2>"$WORK/$m_name.err"; then
		tail -n 20 "$WORK/$m_name.err" >&2
		die "$m_name failed (see $WORK/$m_name.err)"
	fi
	m_t1=$(date +%s%N)
	awk -v t0="$m_t0" -v t1="$m_t1" -v prev="$(cat "$WORK/$m_name.result")" '
		/User time \(seconds\)/ { cpu += $NF }
		/System time \(seconds\)/ { cpu += $NF }
		/Maximum resident set size/ { rss = $NF }
		END {
			wall = (t1 - t0) / 1e9
			if (prev != "") {
				split(prev, p, " ")
				if (p[1] < wall) wall = p[1]
				if (p[2] < cpu) cpu = p[2]
				if (p[3] > rss) rss = p[3]
			}
			printf "%.4f %.2f %d\n", wall, cpu, rss
		}' "$WORK/$m_name.time" >"$WORK/$m_name.result.new"
	mv "$WORK/$m_name.result.new" "$WORK/$m_name.result"
}

# row LABEL NAME: one line of the table from $WORK/NAME.result.
row() {
	awk -v label="$1" -v lines="$NLINES" '{
		printf "%-24s %12.0f %10.2f %12.3f %10.1f\n",
			label, lines / $1, $2, $2 * 1e6 / lines, $3 / 1024
	}' "$WORK/$2.result"
}

# rate NAME: lines per second of $WORK/NAME.result.
rate() {
	awk -v lines="$NLINES" '{ printf "%.0f", lines / $1 }' "$WORK/$1.result"
}

header() {
	printf '%-24s %12s %10s %13s %10s\n' "" "lines/s" "CPU s" "CPU µs/line" "RSS MB"
}

NLINES=$(wc -l <"$LOG")
echo "bench: $NLINES lines, $(($(wc -c <"$LOG") / 1048576)) MiB; $RUNS runs each, in turn," \
	"best wall time; CPU = user+system; RSS = peak"
echo "bench: $(uname -sr), $(nproc) CPUs," \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

# The two programs take turns, so that a machine shared with others (whose
# speed drifts over seconds) slows both alike rather than one of them.
: >"$WORK/ceiling.result"
: >"$WORK/parse.result"
run_i=1
while [ "$run_i" -le "$RUNS" ]; do
	measure ceiling "$WORK/ceiling.out" "$WORK/ceiling" "$LOG"
	measure parse /dev/null "$PINTAIL" -c "$CONF" parse shop "$LOG"
	run_i=$((run_i + 1))
done

echo
echo "== parse: pintail parse against the ceiling =="
header
row "ceiling (PCRE2 JIT)" ceiling
row "pintail parse" parse
awk -v p="$(rate parse)" -v c="$(rate ceiling)" 'BEGIN {
	r = 100 * p / c
	printf "pintail / ceiling: %.1f %% of the ceiling'\''s lines/s (target: at least 40 %%): %s\n",
		r, (r >= 40 ? "met" : "NOT MET")
}'
echo "ceiling said (last run): $(cat "$WORK/ceiling.out")"
echo "pintail said (stderr of the last run):"
sed 's/^/  /' "$WORK/parse.err"

EVENTS=$(sed -n 's/^events: *\([0-9]*\).*/\1/p' "$WORK/parse.err")
PARSE_CPU=$(awk '{ print $2 }' "$WORK/parse.result")

# What SPEC §4's event_id costs on this machine, for information (the target
# above counts it): one SHA-256 per event over "site NUL identity NUL offset
# NUL line NUL event_name".  build/sha_cost (bench/sha_cost.c, `make bench`
# builds it) times pintail's own hash_event_id() over as many of the log's
# lines as parse gave events; the best of 3 runs counts.
SHA_COST=$REPO/build/sha_cost
if [ -x "$SHA_COST" ]; then
	sha_best=
	for _ in 1 2 3; do
		s=$("$SHA_COST" "$LOG" "$EVENTS" | sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p')
		if [ -n "$s" ] && { [ -z "$sha_best" ] || awk -v a="$s" -v b="$sha_best" 'BEGIN { exit !(a < b) }'; }; then
			sha_best=$s
		fi
	done
	if [ -n "$sha_best" ]; then
		echo
		awk -v sha="$sha_best" -v ev="$EVENTS" -v cpu="$PARSE_CPU" \
			-v wall="$(awk '{ print $1 }' "$WORK/parse.result")" \
			-v c="$(rate ceiling)" -v lines="$NLINES" 'BEGIN {
			printf "event_id (SPEC §4): one SHA-256 per event, pintail'\''s hash_event_id() timed alone: %.2f s for %d events (%.2f µs each)\n",
				sha, ev, sha * 1e6 / ev
			printf "  = %.0f %% of parse'\''s %.2f CPU s; without it, parse would run at %.1f %% of the ceiling'\''s lines/s\n",
				100 * sha / cpu, cpu, (wall > sha ? 100 * lines / (wall - sha) / c : 0)
		}'
	fi
fi

# --- End to end: `pintail run` into a local sink, and idle -------------------

/usr/bin/python3 "$REPO/bench/e2e.py" "$PINTAIL" "$WORK" "$LOG" "$EVENTS" "$PARSE_CPU" "$REPO"

