#!/bin/bash
# Style rules a tool can check: no unsafe string calls, braces always
# (clang-format is advisory), no tabs-vs-spaces mixups are not checked.
set -u
cd "$(dirname "$0")/.."
status=0
banned='\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|strtok|gets|tmpnam|mktemp)[[:space:]]*\('
if grep -nE "$banned" agent/*.c agent/*.h; then
	echo "lint: banned call above (use snprintf, strtol, strtok_r, memcpy with a length)"
	status=1
fi
# The token must never be formatted into a message.
if grep -nE 'log_(err|warn|info|debug)\(.*->token' agent/*.c; then
	echo "lint: the access token reaches a log line above"
	status=1
fi
exit $status
