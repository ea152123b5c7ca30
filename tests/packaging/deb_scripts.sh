#!/usr/bin/env bash
# The maintainer scripts' systemd and DPKG_ROOT handling, which the install
# tests cannot see (no systemd as PID 1 here, no chrootless dpkg):
#   - the built postinst reloads systemd (guarded as dh's snippets are)
#     right before each deb-systemd-invoke try-restart and start, so the
#     (re)started agent runs the new unit, not the one systemd cached;
#   - the postrm's purge deletes the state under $DPKG_ROOT, not the host's.
# Installs nothing.
. "$(dirname "$0")/lib.sh"
need_root_and_dpkg
source_dir=${1:?source dir}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

# The purge under DPKG_ROOT, with the source postrm (its #DEBHELPER# line is
# a comment to sh): only the tree's state goes.
root="$tree/root"
mkdir -p "$root/var/lib/outpost" "$root/run/outpost"
echo key >"$root/var/lib/outpost/identity.key"
DPKG_ROOT=$root sh "$source_dir/packaging/debian/outpost.postrm" purge ||
    fail "postrm purge failed"
[ ! -e "$root/var/lib/outpost" ] || fail "purge under DPKG_ROOT left \$DPKG_ROOT/var/lib/outpost"
[ ! -e "$root/run/outpost" ] || fail "purge under DPKG_ROOT left \$DPKG_ROOT/run/outpost"
echo "postrm: purge under DPKG_ROOT removes the tree's state"

dpkg-deb -e "$(new_deb)" "$tree/control"
postinst="$tree/control/postinst"
grep -q 'systemctl --system daemon-reload' "$postinst" || fail "the postinst never reloads systemd"
# Inside the [ -d /run/systemd/system ] guard of the function that reloads.
awk '/^reload_systemd\(\)/ { f = 1 } f && /\[ -d \/run\/systemd\/system \]/ { g = 1 }
     f && g && /systemctl --system daemon-reload/ { ok = 1 } f && /^}/ { f = 0 }
     END { exit !ok }' "$postinst" || fail "the reload is not guarded by /run/systemd/system"
# Every start and try-restart right after a reload.
awk '/deb-systemd-invoke (try-restart|start) outpost/ { n++; if (prev !~ /^ *reload_systemd$/) bad++ }
     { prev = $0 } END { exit !(n >= 2 && bad == 0) }' "$postinst" ||
    fail "a deb-systemd-invoke start or try-restart is not right after reload_systemd: $(
        grep -n -B1 'deb-systemd-invoke' "$postinst")"
echo "postinst: systemd reloaded before each start and try-restart"
