#!/usr/bin/env bash
# Fixture: builds the packages once per test run with scripts/package: the
# current version into $OUTPOST_PACKAGES_DIR/new and, from the same build,
# an older package version into .../old for the upgrade tests. Then lintian
# on the .deb (an error fails the test) and rpmlint on the .rpm (recorded:
# it judges by Fedora's rules, see docs/packaging.md).
. "$(dirname "$0")/lib.sh"
need_root_and_dpkg
source_dir=${1:?source dir}

rm -rf "$PACKAGES"
"$source_dir/scripts/package" --out "$PACKAGES/new"
"$source_dir/scripts/package" --version 0.0.1 --out "$PACKAGES/old"

deb=$(new_deb)
ls -l "$PACKAGES"/new "$PACKAGES"/old
if command -v lintian >/dev/null; then
    # --fail-on error: warnings are shown; each override is justified in
    # packaging/debian/outpost.lintian-overrides.
    lintian --fail-on error --display-info "$deb"
    echo "lintian: clean of errors"
else
    echo "lintian is absent: not checked"
fi
if command -v rpmlint >/dev/null; then
    rpmlint "$(new_rpm)" || true
fi
