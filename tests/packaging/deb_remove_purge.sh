#!/usr/bin/env bash
# Remove keeps the state and the conffile; purge deletes both. Reinstalling
# over a broken install (a deleted binary, a package left unconfigured)
# repairs it.
. "$(dirname "$0")/lib.sh"
begin_system_test

dpkg -i "$(new_deb)" >/dev/null 2>&1 || fail "install failed"
make_state
sums=$(state_sums)

dpkg --remove outpost >/dev/null 2>&1 || fail "remove failed"
[ ! -e /usr/bin/outpost ] || fail "remove left the binary"
[ "$(state_sums)" = "$sums" ] || fail "remove touched the state"
[ -f "$CONFFILE" ] || fail "remove deleted the conffile"

# Reinstalling after a remove is the same node.
dpkg -i "$(new_deb)" >/dev/null 2>&1 || fail "reinstall after remove failed"
[ "$(state_sums)" = "$sums" ] || fail "the reinstall touched the state"

# A broken install: the binary deleted by hand, then the package left
# half-way (unpacked, not configured). Installing the .deb again repairs both.
rm -f /usr/bin/outpost
dpkg --unpack "$(new_deb)" >/dev/null 2>&1 || fail "unpack failed"
[ "$(dpkg-query -W -f '${Status}' outpost)" = "install ok unpacked" ] || fail "not half-way"
rm -f /usr/bin/outpost
dpkg -i "$(new_deb)" >/dev/null 2>&1 || fail "reinstall over a broken install failed"
[ "$(dpkg-query -W -f '${Status}' outpost)" = "install ok installed" ] || fail "not repaired"
[ "$(/usr/bin/outpost check-config --config "$CONFFILE")" = OK ] || fail "repaired agent"

dpkg --purge outpost >/dev/null 2>&1 || fail "purge failed"
[ ! -e "$STATE_DIR" ] || fail "purge left $STATE_DIR"
[ ! -e "$CONFFILE" ] || fail "purge left the conffile"
[ ! -e /run/outpost ] || fail "purge left /run/outpost"
echo "remove kept the state, purge deleted it, reinstall repaired a broken install"
