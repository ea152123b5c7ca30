// Where the agent looks for outpost-exec-as, and which copies it refuses:
// the helper runs as root, so only a root-owned file in root-owned,
// non-writable directories is used.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "agent/runtime/exec_helper.hpp"
#include "tests/support/skip.hpp"

#ifdef OUTPOST_TEST_EXEC_HELPER

using outpost::runtime::ExecHelper;

namespace fs = std::filesystem;

namespace {

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

void remove_scratch(const fs::path& dir) {
    fs::remove_all(dir.parent_path());
}

// A copy of the built helper (it must pass the probe), or `text` instead.
fs::path install_copy(const fs::path& dir, fs::perms mode, const char* text = nullptr) {
    const fs::path file = dir / "outpost-exec-as";
    fs::remove(file);
    if (text != nullptr) {
        std::ofstream(file) << text;
    } else {
        fs::copy_file(OUTPOST_TEST_EXEC_HELPER, file);
    }
    fs::permissions(file, mode);
    return file;
}

}  // namespace

TEST_CASE("the first trusted candidate that runs is used, the others say why", "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("trusted");
    const fs::path file = install_copy(dir, fs::perms(0755));
    auto helper = ExecHelper::find({(dir / "missing").string(), file.string()});
    CHECK(helper.path() == fs::canonical(file).string());
    REQUIRE(helper.refused().size() == 1);
    CHECK(helper.refused()[0].find("missing: No such file or directory") != std::string::npos);
    CHECK(helper.for_run() == helper.path());
    remove_scratch(dir);
}

TEST_CASE("a helper the kernel will not run here is refused at start-up", "[exec_helper]") {
    // Stands for a noexec mount, a MAC policy or another architecture: the
    // probe finds it once, instead of every run failing.
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("unrunnable");
    const fs::path file = install_copy(dir, fs::perms(0755),
                                       "\x7f"
                                       "ELF not really\n");
    auto helper = ExecHelper::find({file.string()});
    CHECK(helper.path().empty());
    REQUIRE(helper.refused().size() == 1);
    CHECK(helper.refused()[0].find("probe: ") != std::string::npos);
    CHECK(helper.for_run().empty());
    remove_scratch(dir);
}

TEST_CASE("a writable helper or one in a writable directory is refused", "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("writable");
    const fs::path file = install_copy(dir, fs::perms(0757));  // other-writable
    auto helper = ExecHelper::find({file.string()});
    CHECK(helper.path().empty());
    REQUIRE(helper.refused().size() == 1);
    CHECK(helper.refused()[0].find("writable") != std::string::npos);

    fs::permissions(file, fs::perms(0755));
    fs::permissions(dir, fs::perms(0777));  // anyone could swap the file
    CHECK(ExecHelper::find({file.string()}).path().empty());
    fs::permissions(dir, fs::perms(0755));
    remove_scratch(dir);
}

TEST_CASE("a helper owned by another user is refused", "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("owner");
    const fs::path file = install_copy(dir, fs::perms(0755));
    REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
    auto helper = ExecHelper::find({file.string()});
    CHECK(helper.path().empty());
    CHECK_FALSE(helper.refused().empty());
    remove_scratch(dir);
}

TEST_CASE("each run checks the helper again: a loosened directory or a replaced file stops it",
          "[exec_helper]") {
    if (::geteuid() != 0) OUTPOST_SKIP_NOT_ROOT;
    const fs::path dir = scratch("per-run");
    const fs::path file = install_copy(dir, fs::perms(0755));
    auto helper = ExecHelper::find({file.string()});
    REQUIRE_FALSE(helper.path().empty());
    CHECK(helper.for_run() == helper.path());

    fs::permissions(dir, fs::perms(0775));  // now group-writable
    CHECK(helper.for_run().empty());
    fs::permissions(dir, fs::perms(0755));
    CHECK(helper.for_run() == helper.path());

    install_copy(dir, fs::perms(0755));  // same bytes, new file (an upgrade)
    CHECK(helper.for_run().empty());
    remove_scratch(dir);
}

#endif  // OUTPOST_TEST_EXEC_HELPER
