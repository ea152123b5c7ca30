# Shared by the package tests (sourced). They install the packages into the
# real system of a throwaway CI machine, so each one needs root and dpkg,
# skips (exit 77) without them, runs alone (RESOURCE_LOCK in CMakeLists.txt)
# and purges what it installed on every way out, failure included.
set -euo pipefail

readonly SKIP=77
readonly PACKAGES=${OUTPOST_PACKAGES_DIR:?OUTPOST_PACKAGES_DIR is not set}
readonly STATE_DIR=/var/lib/outpost
readonly CONFFILE=/etc/outpost/agent.yaml

skip() {
    echo "SKIP: $*"
    exit "$SKIP"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

need_root_and_dpkg() {
    [ "$(id -u)" -eq 0 ] || skip "needs root: it installs packages into this system"
    command -v dpkg >/dev/null || skip "dpkg is absent"
}

new_deb() { echo "$PACKAGES/new/$(cd "$PACKAGES/new" && ls outpost_*.deb)"; }
old_deb() { echo "$PACKAGES/old/$(cd "$PACKAGES/old" && ls outpost_*.deb)"; }
new_rpm() { echo "$PACKAGES/new/$(cd "$PACKAGES/new" && ls outpost-*.rpm)"; }

# The user and group are left by a purge (Debian policy: they may own files
# elsewhere); the test removes them only if it made them.
had_user=no
getent passwd outpost >/dev/null && had_user=yes
had_group=no
getent group outpost >/dev/null && had_group=yes

cleanup() {
    local status=$?
    dpkg --purge outpost >/dev/null 2>&1 || true
    rm -rf "$STATE_DIR" /etc/outpost /run/outpost
    [ "$had_user" = yes ] || userdel outpost >/dev/null 2>&1 || true
    [ "$had_group" = yes ] || groupdel outpost >/dev/null 2>&1 || true
    exit "$status"
}

# Starts from a clean system and cleans up on exit.
begin_system_test() {
    need_root_and_dpkg
    [ -d "$PACKAGES/new" ] || fail "no packages in $PACKAGES (the packaging:build test makes them)"
    if dpkg -s outpost >/dev/null 2>&1; then
        fail "outpost is already installed here: the test would remove it"
    fi
    trap cleanup EXIT
    rm -rf "$STATE_DIR" /etc/outpost /run/outpost
}

# expect_mode PATH OWNER:GROUP MODE
expect_mode() {
    local got
    got=$(stat -c '%U:%G %a' "$1") || fail "$1 is missing"
    [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
}

# Makes the state an agent leaves: the identity key and node id (outpost
# identity) and the journal (a short `outpost run` that cannot reach the
# example server, but restores its journal first).
make_state() {
    /usr/bin/outpost identity --config "$CONFFILE" >/dev/null
    timeout -s TERM 5 /usr/bin/outpost run --config "$CONFFILE" >/dev/null 2>&1 || true
    ls "$STATE_DIR"/* >/dev/null 2>&1 || fail "the agent left no state in $STATE_DIR"
}

# Checksums of every state file, to compare across an upgrade.
state_sums() {
    (cd "$STATE_DIR" && find . -type f ! -name '*-wal' ! -name '*-shm' -print0 | sort -z |
        xargs -0 sha256sum)
}
