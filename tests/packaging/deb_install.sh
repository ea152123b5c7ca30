#!/usr/bin/env bash
# Installs the .deb with dpkg on a host without systemd as PID 1 and checks
# the layout: files, owners, modes, the user and group, the installed
# binary's check-config and version, the man page and the unit (verify).
. "$(dirname "$0")/lib.sh"
begin_system_test

output=$(dpkg -i "$(new_deb)" 2>&1) || fail "dpkg -i failed: $output"
echo "$output"
[ "$(dpkg-query -W -f '${Status}' outpost)" = "install ok installed" ] || fail "not installed"

# Without systemd the postinst starts nothing and says how to run the agent.
if [ ! -d /run/systemd/system ]; then
    grep -q "outpost run --config $CONFFILE" <<<"$output" || fail "no hint how to run the agent"
fi

getent group outpost >/dev/null || fail "no outpost group"
getent passwd outpost >/dev/null || fail "no outpost user"
[ "$(getent passwd outpost | cut -d: -f7)" = /usr/sbin/nologin ] || fail "outpost can log in"

expect_mode /usr/bin/outpost root:root 755
expect_mode /usr/libexec/outpost/outpost-exec-as root:root 755
expect_mode /usr/libexec/outpost root:root 755
expect_mode "$CONFFILE" root:outpost 640
expect_mode "$STATE_DIR" root:root 700
expect_mode /run/outpost root:outpost 750
expect_mode /lib/systemd/system/outpost.service root:root 644
expect_mode /usr/lib/sysusers.d/outpost.conf root:root 644
expect_mode /usr/lib/tmpfiles.d/outpost.conf root:root 644
expect_mode /usr/share/man/man8/outpost.8.gz root:root 644
expect_mode /usr/share/doc/outpost/copyright root:root 644
expect_mode /usr/share/doc/outpost/changelog.gz root:root 644
dpkg-query -W -f '${Conffiles}\n' outpost | grep -q "$CONFFILE" || fail "agent.yaml is no conffile"
dpkg-query -W -f '${Depends}\n' outpost | grep -q libwebsockets || fail "no shlibs dependencies"

[ "$(/usr/bin/outpost check-config --config "$CONFFILE")" = OK ] || fail "check-config"
/usr/bin/outpost version | grep -Eq '^outpost [0-9]+\.[0-9]+\.[0-9]+' ||
    fail "version: $(/usr/bin/outpost version)"
# A member of the outpost group may read the config (the operator's case).
su -s /bin/sh -c "test -r $CONFFILE" outpost || fail "group outpost cannot read the config"

# Every command of `outpost --help` is in the man page.
man_text=$(zcat /usr/share/man/man8/outpost.8.gz)
for command in $(/usr/bin/outpost --help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\).*/\1/p'); do
    grep -q "^\.B $command\( \|$\)" <<<"$man_text" || fail "outpost.8 lacks '$command'"
done

if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/outpost.service
    echo "systemd-analyze verify: OK"
else
    echo "systemd-analyze is absent: unit not verified"
fi
