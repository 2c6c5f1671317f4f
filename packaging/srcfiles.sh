#!/bin/sh
# srcfiles.sh: print the source files of the tree (paths relative to its top
# folder, one a line) that a package build starts from.  In a git checkout:
# the tracked files and the untracked ones git does not ignore (so the
# working tree is packaged as it is, uncommitted changes included); else
# every file but build/, .git and the built binary.  Read-only.
set -eu
cd "$(dirname "$0")/.."
if [ -d .git ] && command -v git >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
else
	find . -path ./build -prune -o -path ./.git -prune -o -type f ! -path ./pintail -print |
		sed 's#^\./##'
fi | LC_ALL=C sort
