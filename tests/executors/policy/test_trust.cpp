// Program trust: root-owned and not group/other writable, all the way up,
// at build time and again at check time.

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "executors/policy/trust.hpp"
#include "policy_test_support.hpp"

using namespace outpost::policy;
using namespace outpost::policy::test;

namespace {

std::string trust_error(const std::string& path) {
    auto result = check_executable_trust(path);
    REQUIRE_FALSE(result.has_value());
    return result.error().message();
}

// A scratch tree whose ancestors are trusted, or nothing when this machine
// or user cannot provide one (the tests below then only warn).
bool can_build_trusted_tree() {
    if (::geteuid() != 0 || !trusted_parent(OUTPOST_BINARY_DIR)) {
        WARN("not root or " OUTPOST_BINARY_DIR " is not root-owned all the way up: skipped");
        return false;
    }
    return true;
}

}  // namespace

TEST_CASE("system programs are trusted, symlinks followed", "[policy][trust]") {
    auto t = check_executable_trust("/usr/bin/true");
    REQUIRE(t.has_value());
    CHECK(t->resolved_path == "/usr/bin/true");
    struct stat st {};
    REQUIRE(::stat("/usr/bin/true", &st) == 0);
    CHECK(t->inode == st.st_ino);
    CHECK(t->device == st.st_dev);
    auto via_link = check_executable_trust("/bin/true");  // /bin may be a link to usr/bin
    REQUIRE(via_link.has_value());
    CHECK(via_link->inode == st.st_ino);
    CHECK(check_executable_trust("/usr/bin/../bin/./id").has_value());
}

TEST_CASE("bad paths are refused", "[policy][trust]") {
    CHECK_THAT(trust_error("usr/bin/true"), Catch::Contains("not an absolute path"));
    CHECK_THAT(trust_error("/usr/bin/no-such-program-x"),
               Catch::Contains("/usr/bin/no-such-program-x: No such file or directory"));
    CHECK_THAT(trust_error("/usr/bin"), Catch::Contains("is not a regular file"));
    CHECK_THAT(trust_error("/usr/bin/true/x"), Catch::Contains("/usr/bin/true is not a directory"));
    CHECK_THAT(trust_error("/etc/passwd"), Catch::Contains("is not executable"));
}

TEST_CASE("a program under a sticky world-writable directory is refused", "[policy][trust]") {
    ScratchDir dir("/tmp");
    copy_file("/usr/bin/true", dir.path() + "/true", 0755);
    CHECK_THAT(trust_error(dir.path() + "/true"),
               Catch::Contains("/tmp is writable by others (sticky directories are not trusted "
                               "either)"));
    CHECK_THAT(build_error("    - {name: t, path: " + dir.path() + "/true, run_as: nobody}\n"),
               Catch::Contains("executor.commands[0].path (t): " + dir.path() +
                               "/true is not trusted: /tmp is writable by others"));
}

TEST_CASE("group-writable, foreign-owned, setuid programs and directories are refused",
          "[policy][trust]") {
    if (!can_build_trusted_tree()) {
        return;
    }
    ScratchDir dir(OUTPOST_BINARY_DIR);
    const std::string bin = dir.path() + "/bin";
    REQUIRE(::mkdir(bin.c_str(), 0755) == 0);
    const std::string program = bin + "/true";
    copy_file("/usr/bin/true", program, 0755);
    REQUIRE(check_executable_trust(program).has_value());

    REQUIRE(::chmod(bin.c_str(), 0775) == 0);
    CHECK(trust_error(program) == bin + " is writable by its group");
    REQUIRE(::chmod(bin.c_str(), 0757) == 0);
    CHECK(trust_error(program) == bin + " is writable by others");
    REQUIRE(::chmod(bin.c_str(), 0755) == 0);

    REQUIRE(::chmod(program.c_str(), 0775) == 0);
    CHECK(trust_error(program) == program + " is writable by its group");
    REQUIRE(::chmod(program.c_str(), 04755) == 0);
    CHECK_THAT(trust_error(program), Catch::Contains("is setuid/setgid"));
    REQUIRE(::chmod(program.c_str(), 0644) == 0);
    CHECK_THAT(trust_error(program), Catch::Contains("is not executable"));
    REQUIRE(::chmod(program.c_str(), 0755) == 0);

    REQUIRE(::chown(program.c_str(), 65534, 65534) == 0);
    CHECK(trust_error(program) == program + " is owned by uid 65534, not root");
    REQUIRE(::chown(program.c_str(), 0, 0) == 0);
    REQUIRE(::chown(bin.c_str(), 65534, 0) == 0);
    CHECK(trust_error(program) == bin + " is owned by uid 65534, not root");
    REQUIRE(::chown(bin.c_str(), 0, 0) == 0);
    CHECK(check_executable_trust(program).has_value());
}

TEST_CASE("each symlink's target is checked like the path itself", "[policy][trust]") {
    if (!can_build_trusted_tree()) {
        return;
    }
    ScratchDir tmp("/tmp");
    copy_file("/usr/bin/true", tmp.path() + "/true", 0755);
    ScratchDir dir(OUTPOST_BINARY_DIR);
    REQUIRE(::symlink("/usr/bin/true", (dir.path() + "/good").c_str()) == 0);
    REQUIRE(::symlink((tmp.path() + "/true").c_str(), (dir.path() + "/bad").c_str()) == 0);
    REQUIRE(::symlink("loop", (dir.path() + "/loop").c_str()) == 0);
    CHECK(check_executable_trust(dir.path() + "/good")->resolved_path == "/usr/bin/true");
    CHECK_THAT(trust_error(dir.path() + "/bad"), Catch::Contains("/tmp is writable by others"));
    CHECK_THAT(trust_error(dir.path() + "/loop"), Catch::Contains("too many symbolic links"));
}

TEST_CASE("trust is checked again for every request", "[policy][trust]") {
    if (!can_build_trusted_tree()) {
        return;
    }
    ScratchDir dir(OUTPOST_BINARY_DIR);
    const std::string program = dir.path() + "/true";
    copy_file("/usr/bin/true", program, 0755);
    const auto list = build_ok("    - {name: t, path: " + program + ", run_as: nobody}\n");
    REQUIRE(list.check(request("t")).has_value());
    REQUIRE(::chmod(dir.path().c_str(), 0775) == 0);
    auto r = refusal(list, request("t"));
    CHECK(r.rule == "executor.commands[0].path");
    CHECK(r.message == program + " is not trusted: " + dir.path() +
                           " is writable by its group (executor.commands[0].path)");
}

TEST_CASE("a script's #! interpreter must be trusted too", "[policy][trust]") {
    if (!can_build_trusted_tree()) {
        return;
    }
    ScratchDir untrusted("/tmp");
    copy_file("/bin/sh", untrusted.path() + "/sh", 0755);
    ScratchDir dir(OUTPOST_BINARY_DIR);
    const auto script = [&](const std::string& name, const std::string& text) {
        const std::string path = dir.path() + "/" + name;
        std::ofstream(path) << text;
        REQUIRE(::chmod(path.c_str(), 0755) == 0);
        return path;
    };
    CHECK(check_executable_trust(script("good", "#!/bin/sh\necho hi\n")).has_value());
    CHECK(check_executable_trust(script("spaced", "#!  /bin/sh -e\n")).has_value());
    CHECK_THAT(trust_error(script("bad", "#!" + untrusted.path() + "/sh\n")),
               Catch::Contains("its #! interpreter is not trusted: /tmp is writable by others"));
    CHECK_THAT(trust_error(script("relative", "#!sh\n")),
               Catch::Contains("its #! interpreter `sh` is not an absolute path"));
    CHECK_THAT(trust_error(script("empty", "#!\n")), Catch::Contains("empty #! line"));
    CHECK_THAT(trust_error(script("long", "#!/" + std::string(300, 'x'))),
               Catch::Contains("longer than 256 bytes"));
    // The line as the kernel reads it: a short file needs no newline, a NUL
    // ends it, an argument is allowed.
    CHECK(check_executable_trust(script("no-newline", "#!/bin/true")).has_value());
    CHECK(check_executable_trust(script("nul", std::string("#!/bin/sh\0junk", 14))).has_value());
    CHECK(check_executable_trust(script("arg", "#!/bin/sh -eu\n")).has_value());
    // What the interpreter is told to load is checked too.
    CHECK(check_executable_trust(script("loads-trusted", "#!/bin/sh /etc/hostname\n")).has_value());
    std::ofstream(untrusted.path() + "/x.sh") << "true\n";
    CHECK_THAT(trust_error(script("loads-untrusted", "#!/bin/sh " + untrusted.path() + "/x.sh\n")),
               Catch::Contains("the file its #! line passes to the interpreter is not trusted"));
    // env: what it runs from the fixed PATH is the interpreter.
    CHECK(check_executable_trust(script("env", "#!/usr/bin/env sh\n")).has_value());
    CHECK_THAT(trust_error(script("env-missing", "#!/usr/bin/env no-such-program-here\n")),
               Catch::Contains("no no-such-program-here on PATH"));
    CHECK_THAT(trust_error(script("env-S", "#!/usr/bin/env -S sh -e\n")),
               Catch::Contains("env options are refused"));
    CHECK_THAT(trust_error(script("env-abs", "#!/usr/bin/env " + untrusted.path() + "/sh\n")),
               Catch::Contains("the program its #! env runs is not trusted"));
    // A multicall binary called as env (busybox, coreutils) is env too.
    REQUIRE(::mkdir((dir.path() + "/multicall").c_str(), 0755) == 0);
    REQUIRE(::symlink("/usr/bin/true", (dir.path() + "/multicall/env").c_str()) == 0);
    CHECK_THAT(trust_error(script("env-multicall",
                                  "#!" + dir.path() + "/multicall/env no-such-program-here\n")),
               Catch::Contains("no no-such-program-here on PATH"));
    // A script as interpreter is followed: five interpreters in a chain
    // (level4 -> level3 -> ... -> level0 -> /bin/sh), as many as the kernel
    // follows before ELOOP.
    std::string previous = script("level0", "#!/bin/sh\n");
    for (int level = 1; level <= 4; ++level)
        previous = script("level" + std::to_string(level), "#!" + previous + "\n");
    CHECK(check_executable_trust(previous).has_value());
    CHECK_THAT(trust_error(script("level5", "#!" + previous + "\n")),
               Catch::Contains("more than 5 #! interpreters"));
    // The interpreter is checked again at every request, like the script.
    const auto list = build_ok("    - {name: s, path: " + dir.path() + "/good, run_as: nobody}\n");
    REQUIRE(list.check(request("s")).has_value());
    script("good", "#!" + untrusted.path() + "/sh\n");
    CHECK(refusal(list, request("s")).rule == "executor.commands[0].path");
}

TEST_CASE("working_dir must be trusted like a program's directories", "[policy][trust]") {
    CHECK(check_directory_trust("/").has_value());
    CHECK(check_directory_trust("/usr/./share/..")->resolved_path == "/usr");
    CHECK_THAT(check_directory_trust("/tmp").error().message(),
               Catch::Contains("/tmp is writable by others"));
    CHECK_THAT(check_directory_trust("/usr/bin/true").error().message(),
               Catch::Contains("/usr/bin/true is not a directory"));
    CHECK_THAT(build_error("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                           " working_dir: /tmp}\n"),
               Catch::Contains("working_dir (t): /tmp is not trusted: /tmp is writable by others"));
    if (!can_build_trusted_tree()) {
        return;
    }
    ScratchDir dir(OUTPOST_BINARY_DIR);
    const auto list = build_ok(
        "    - {name: t, path: /usr/bin/true, run_as: nobody, working_dir: " + dir.path() + "}\n");
    REQUIRE(list.check(request("t")).has_value());
    REQUIRE(::chown(dir.path().c_str(), 65534, 0) == 0);  // the app user takes it over
    auto r = refusal(list, request("t"));
    CHECK(r.rule == "executor.commands[0].working_dir");
    CHECK_THAT(r.message, Catch::Contains("is owned by uid 65534, not root"));
    REQUIRE(::chown(dir.path().c_str(), 0, 0) == 0);
}
