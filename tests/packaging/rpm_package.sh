#!/usr/bin/env bash
# The .rpm: its file list and scriptlets (rpm -qlp --scripts), and an
# install into an rpm --root tree (--nodeps: the tree has no libraries;
# --noscripts: nor a shell to run the scriptlets in).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root: rpm --root installs files owned by root"
command -v rpm >/dev/null || skip "rpm is absent"
rpm=$(new_rpm)

listing=$(rpm -qlp --scripts "$rpm")
echo "$listing"
for path in /usr/bin/outpost /usr/libexec/outpost/outpost-exec-as \
    /usr/lib/systemd/system/outpost.service /usr/lib/sysusers.d/outpost.conf \
    /usr/lib/tmpfiles.d/outpost.conf /etc/outpost/agent.yaml /usr/share/man/man8/outpost.8.gz \
    /var/lib/outpost; do
    grep -qx "$path" <<<"$listing" || fail "the .rpm lacks $path"
done
for scriptlet in preinstall postinstall preuninstall postuninstall posttrans; do
    grep -q "^$scriptlet scriptlet" <<<"$listing" || fail "no $scriptlet scriptlet"
done
grep -q "check-config" <<<"$listing" || fail "the restart is not gated by check-config"
rpm -qp --requires "$rpm" | grep -q 'libwebsockets.so' || fail "no automatic requires"
rpm -qp --requires "$rpm"

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
rpm --root "$tree" --initdb
rpm --root "$tree" -i --nodeps --noscripts "$rpm" 2>&1 | grep -v 'group outpost does not exist' || true
rpm --root "$tree" -q outpost || fail "not installed in the --root tree"
[ -x "$tree/usr/bin/outpost" ] || fail "no binary in the tree"
[ "$(stat -c %a "$tree/usr/libexec/outpost/outpost-exec-as")" = 755 ] || fail "helper mode"
[ "$(stat -c %a "$tree/etc/outpost/agent.yaml")" = 640 ] || fail "conffile mode"
[ "$(stat -c %a "$tree/var/lib/outpost")" = 700 ] || fail "state dir mode"
rpm --root "$tree" -V outpost | grep -v '^\.\.\.\.\.\.G\.\.\. ' && fail "rpm -V finds changes" || true
echo "rpm --root install: OK"
