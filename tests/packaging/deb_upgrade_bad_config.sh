#!/usr/bin/env bash
# An upgrade while the (edited) conffile has a syntax error: the package
# installs, and the postinst refuses to restart the agent into that config,
# saying why. The decision is printed with or without systemd; the restart
# call itself sits behind it (and behind [ -d /run/systemd/system ]).
. "$(dirname "$0")/lib.sh"
begin_system_test

dpkg -i "$(old_deb)" >/dev/null 2>&1 || fail "installing the old package failed"
printf 'server:\n  url: [unclosed\n' >>"$CONFFILE"
/usr/bin/outpost check-config --config "$CONFFILE" >/dev/null 2>&1 &&
    fail "the broken config passes check-config"

output=$(dpkg -i "$(new_deb)" 2>&1) || fail "the upgrade failed: $output"
echo "$output"
[ "$(dpkg-query -W -f '${Status}' outpost)" = "install ok installed" ] || fail "not configured"
grep -q "not restarting the agent: the new version refuses $CONFFILE" <<<"$output" ||
    fail "the postinst did not say it keeps the agent running"
# The reason itself (check-config's message) is passed on.
grep -q "^outpost:   .*$CONFFILE" <<<"$output" || fail "the postinst did not say why"
grep -q 'url: \[unclosed' "$CONFFILE" || fail "the admin's file was replaced"
