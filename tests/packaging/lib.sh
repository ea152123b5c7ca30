# Shared by the package tests (sourced). They install the packages into the
# real system of a throwaway CI machine, so each one needs root and dpkg,
# skips (exit 77) without them, runs alone (RESOURCE_LOCK in CMakeLists.txt)
# and purges what it installed on every way out, failure included.
#
# They never destroy what they did not make: before anything else,
# begin_system_test looks for an existing outpost install (the package known
# to dpkg, /var/lib/outpost, /etc/outpost, /run/outpost, the outpost user or
# group) and, if it finds any, SKIPs with "refusing to touch an existing
# outpost install: ..." instead of deleting it. An agent installed by hand,
# by `make install` or run with the default state dir keeps its identity key,
# node id and journal there. Only after that check passes does the test take
# ownership of those paths and names, and its cleanup removes them.
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

# Every trace an outpost install leaves on this system, one per line; empty
# when there is none. The user and group count: a purge leaves them (Debian
# policy: they may own files elsewhere), so they mark an earlier install.
existing_install() {
    local status
    # "not-installed" is what dpkg remembers of a package once purged.
    if status=$(dpkg-query -W -f '${Status}' outpost 2>/dev/null) &&
        [ "${status##* }" != not-installed ]; then
        echo "the outpost package is known to dpkg ($status)"
    fi
    local path
    for path in "$STATE_DIR" /etc/outpost /run/outpost; do
        if [ -e "$path" ] || [ -L "$path" ]; then echo "$path exists"; fi
    done
    if getent passwd outpost >/dev/null; then echo "the outpost user exists"; fi
    if getent group outpost >/dev/null; then echo "the outpost group exists"; fi
    return 0
}

# Runs only once begin_system_test has proved that none of this existed
# before the test: everything it removes was made by this test run.
cleanup() {
    local status=$?
    dpkg --purge outpost >/dev/null 2>&1 || true
    rm -rf "$STATE_DIR" /etc/outpost /run/outpost
    userdel outpost >/dev/null 2>&1 || true
    groupdel outpost >/dev/null 2>&1 || true
    exit "$status"
}

# Starts from a system without outpost, and removes on exit what the test
# made. Skips, touching nothing, when any outpost install is already here.
begin_system_test() {
    need_root_and_dpkg
    local found
    found=$(existing_install)
    if [ -n "$found" ]; then
        skip "refusing to touch an existing outpost install: $(paste -sd ';' <<<"$found" |
            sed 's/;/; /g')"
    fi
    [ -d "$PACKAGES/new" ] || fail "no packages in $PACKAGES (the packaging:build test makes them)"
    trap cleanup EXIT
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
