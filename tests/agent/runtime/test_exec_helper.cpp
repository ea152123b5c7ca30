// Where the agent looks for outpost-exec-as, and which copies it refuses:
// the helper runs as root, so only a root-owned file in root-owned,
// non-writable directories is used.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/runtime/exec_helper.hpp"

using outpost::runtime::find_exec_helper;

namespace fs = std::filesystem;

namespace {

// Catch2 2.x has no SKIP: warn and leave the test case.
#define OUTPOST_SKIP(why) \
    do {                  \
        WARN(why);        \
        return;           \
    } while (false)
#define OUTPOST_SKIP_NOT_ROOT OUTPOST_SKIP("needs root: the trust rules are about root ownership")

// A private directory in /run: root-owned and not writable by others all the
// way up, which the build tree need not be (a clone under /tmp is not).
fs::path scratch(const std::string& name) {
    const fs::path dir =
        fs::path("/run") / ("outpost-test-exec-helper-" + std::to_string(::getpid())) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir.parent_path(), fs::perms(0755));
    fs::permissions(dir, fs::perms(0755));
    return dir;
}

void remove_scratch(const fs::path& dir) { fs::remove_all(dir.parent_path()); }

fs::path install_copy(const fs::path& dir, fs::perms mode) {
    const fs::path file = dir / "outpost-exec-as";
    std::ofstream(file) << "#!not really\n";
    fs::permissions(file, mode);
    return file;
}

}  // namespace

TEST_CASE("the first trusted candidate is used, missing ones are reported", "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("trusted");
    const fs::path file = install_copy(dir, fs::perms(0755));
    auto search = find_exec_helper({(dir / "missing").string(), file.string()});
    CHECK(search.path == fs::canonical(file).string());
    REQUIRE(search.refused.size() == 1);
    CHECK(search.refused[0].find("missing: No such file or directory") != std::string::npos);
    remove_scratch(dir);
}

TEST_CASE("a writable helper or one in a writable directory is refused", "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("writable");
    const fs::path file = install_copy(dir, fs::perms(0757));  // other-writable
    auto search = find_exec_helper({file.string()});
    CHECK(search.path.empty());
    REQUIRE(search.refused.size() == 1);
    CHECK(search.refused[0].find("writable") != std::string::npos);

    fs::permissions(file, fs::perms(0755));
    fs::permissions(dir, fs::perms(0777));  // anyone could swap the file
    search = find_exec_helper({file.string()});
    CHECK(search.path.empty());
    fs::permissions(dir, fs::perms(0755));
    remove_scratch(dir);
}

TEST_CASE("a helper owned by another user is refused", "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("owner");
    const fs::path file = install_copy(dir, fs::perms(0755));
    REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
    auto search = find_exec_helper({file.string()});
    CHECK(search.path.empty());
    CHECK_FALSE(search.refused.empty());
    remove_scratch(dir);
}
