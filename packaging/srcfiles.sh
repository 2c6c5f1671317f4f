#!/bin/sh
# srcfiles.sh: print the source files of the tree (paths relative to its top
# folder, one a line) that a package build starts from.  In a git checkout
# (a worktree too): the tracked files, as they are in the working tree
# (uncommitted changes included); files git does not track are left out,
# and named on stderr, so that a stray file (a token, a scratch log) never
# ends up in a source package.  Without git (an unpacked tarball): every
# file but build/, .git and the built binary.  Read-only.
set -eu
cd "$(dirname "$0")/.."
if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --others --exclude-standard | while IFS= read -r f; do
		echo "srcfiles: not packaged (not tracked by git; git add it to package it): $f" >&2
	done
	git ls-files --cached | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
else
	find . -path ./build -prune -o -path ./.git -prune -o -type f ! -path ./pintail -print |
		sed 's#^\./##'
fi | LC_ALL=C sort
