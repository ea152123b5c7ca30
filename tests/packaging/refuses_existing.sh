#!/usr/bin/env bash
# The package tests must never destroy an outpost install they did not make
# (lib.sh's header). This one plays the part of such an install with the
# least intrusive trace, a /run/outpost holding a file (made only when
# /run/outpost is absent, and removed after), then runs deb_install.sh,
# which must skip (77) and leave the file in place.
. "$(dirname "$0")/lib.sh"
need_root_and_dpkg
[ ! -e /run/outpost ] || skip "/run/outpost exists already: not ours to play with"

mkdir /run/outpost
trap 'rm -rf /run/outpost' EXIT
echo "not the test's" >/run/outpost/sentinel

status=0
output=$(bash "$(dirname "$0")/deb_install.sh" 2>&1) || status=$?
echo "$output"
[ "$status" -eq "$SKIP" ] || fail "deb_install.sh exited $status next to an existing install"
grep -q "refusing to touch an existing outpost install: /run/outpost exists" <<<"$output" ||
    fail "the skip does not say why"
[ "$(cat /run/outpost/sentinel 2>/dev/null)" = "not the test's" ] ||
    fail "deb_install.sh deleted /run/outpost"
echo "deb_install.sh skipped and left /run/outpost alone"
