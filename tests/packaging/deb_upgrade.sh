#!/usr/bin/env bash
# Upgrades from an older package version: the identity key, the node id, the
# journal and a locally edited conffile survive, and the postinst restarts
# (where systemd runs) only after the new binary accepted the config.
. "$(dirname "$0")/lib.sh"
begin_system_test

dpkg -i "$(old_deb)" >/dev/null 2>&1 || fail "installing the old package failed"
make_state
[ -f "$STATE_DIR/identity.key" ] || fail "no identity.key"
[ -f "$STATE_DIR/journal.db" ] || fail "no journal.db"
node_id=$(/usr/bin/outpost identity --config "$CONFFILE")
sed -i 's/^  level: info$/  level: debug/' "$CONFFILE"
grep -q '^  level: debug$' "$CONFFILE" || fail "could not edit the conffile"
sums_before=$(state_sums)
conf_before=$(sha256sum <"$CONFFILE")

output=$(dpkg -i "$(new_deb)" 2>&1) || fail "the upgrade failed: $output"
echo "$output"
[ "$(dpkg-query -W -f '${Version}' outpost)" != 0.0.1 ] || fail "still the old version"
grep -q "not restarting" <<<"$output" && fail "a valid config was refused: $output"

[ "$(state_sums)" = "$sums_before" ] || fail "the state changed across the upgrade"
[ "$(sha256sum <"$CONFFILE")" = "$conf_before" ] || fail "the edited conffile was replaced"
[ "$(/usr/bin/outpost identity --config "$CONFFILE")" = "$node_id" ] || fail "another identity"
expect_mode "$STATE_DIR/identity.key" root:root 600
expect_mode "$CONFFILE" root:outpost 640
echo "state and edited conffile survived the upgrade"
