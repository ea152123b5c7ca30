#!/usr/bin/env bash
# The unit: systemd-analyze verify (on a tree with the files it names, so it
# runs without the package installed) and the security exposure, printed as
# a figure, not a pass/fail. And the restart arithmetic: RestartSec times
# StartLimitBurst must exceed StartLimitIntervalSec, or a flapping agent
# hits the start limit and systemd stops restarting it for good.
set -euo pipefail
unit=${1:?unit file}

seconds() { sed -n "s/^$1=\([0-9]*\)s\?$/\1/p" "$unit"; }
restart_sec=$(seconds RestartSec)
interval=$(seconds StartLimitIntervalSec)
burst=$(sed -n 's/^StartLimitBurst=//p' "$unit")
[ -n "$restart_sec" ] && [ -n "$interval" ] && [ -n "$burst" ] || {
    echo "FAIL: RestartSec, StartLimitIntervalSec or StartLimitBurst missing" >&2
    exit 1
}
if [ $((restart_sec * burst)) -le "$interval" ]; then
    echo "FAIL: $burst restarts ${restart_sec}s apart fit in ${interval}s: a flapping agent is locked out" >&2
    exit 1
fi
for want in Type=notify NotifyAccess=main WatchdogSec=30s Restart=always Delegate=yes \
    'ExecReload=/bin/kill -HUP $MAINPID'; do
    grep -qxF "$want" "$unit" || { echo "FAIL: the unit lacks $want" >&2; exit 1; }
done

command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is absent"; exit 77; }
systemd-analyze security --offline=yes "$unit" | tail -1
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
# verify checks that ExecStart's binary is executable: without the package
# installed, /bin/true stands in for it at a path of our own (deb_install.sh
# verifies the installed unit as it is, man page included).
cp /bin/true "$tree/outpost"
sed "s#/usr/bin/outpost#$tree/outpost#g" "$unit" >"$tree/outpost.service"
systemd-analyze verify --man=no "$tree/outpost.service"
echo "systemd-analyze verify: OK"
