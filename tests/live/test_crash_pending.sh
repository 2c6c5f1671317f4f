#!/bin/bash
# A crash between the spool's fsync and the checkpoint's, then a restart at
# which the log cannot be opened (the agent's user may not read it for a
# moment): once it can, it is read again from its checkpoint, and the
# events of the crash's window, known to be in the spool, are not spooled
# twice (the recovery waits for such a file).  The agent runs as nobody.
. "$(dirname "$0")/live_lib.sh"
set -euo pipefail

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
	echo "SKIP: $LIVE_NAME: needs root and setpriv"
	exit 0
fi
AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
L=$T/logs; LOG=$L/access.log
live_config
endpoint_start
make_live_site shop "$LOG"
append_lines "$LOG" pend 0 20
chmod 644 "$LOG"
chmod 711 "$T"; chmod 755 "$T/etc" "$T/etc/conf.d" "$T/certs" "$L"
chown nobody:nogroup "$T/state" "$T/etc/token" "$T"/etc/conf.d/*.conf
AGENT_AS=("${AS[@]}")
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 20
agent_stop TERM
crash_state shop "$LOG"
chown nobody:nogroup "$T/state/shop/spool/ckpt" "$T/state/shop/checkpoint"
chmod 600 "$LOG"                      # cannot be opened at the restart
agent_start 1
wait_until 10 "the log said unreadable" agent_logged "$LOG.*Permission denied"
chmod 644 "$LOG"                      # readable again: read from its checkpoint
wait_until 15 "the log opened" agent_logged "$LOG can be opened now"
sleep 2 # anything spooled twice would be sent by now
agent_stop TERM
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
