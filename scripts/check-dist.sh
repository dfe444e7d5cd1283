#!/bin/bash
# check-dist.sh - every tracked file that the build, the tests or the
# installed system use is in the release tarball.
#
# Run from the top of a git checkout after "make dist" (or distcheck).
# Prints each missing file and exits 1 when one is missing.
set -euo pipefail

tarball=$(ls -t cloister-*.tar.gz 2>/dev/null | head -1)
if [ -z "$tarball" ]; then
	echo "check-dist: no cloister-*.tar.gz here: run make dist first" >&2
	exit 1
fi
# Files only a developer of the project needs stay out of the tarball.
dirs=(src privsep tests man contrib selinux)

missing=$(comm -13 \
	<(tar -tzf "$tarball" | sed -e 's|^[^/]*/||' -e '/\/$/d' | sort) \
	<(git ls-files -- "${dirs[@]}" | sort))
if [ -n "$missing" ]; then
	echo "check-dist: tracked but not in $tarball (add them to EXTRA_DIST or a _SOURCES list):"
	printf '  %s\n' $missing
	exit 1
fi
echo "check-dist: $tarball holds all $(git ls-files -- "${dirs[@]}" | wc -l) tracked files of ${dirs[*]}"
