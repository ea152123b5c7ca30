// The allow-list as a whole: building it from config, and what check()
// approves (argv, env, limits, identity) or refuses.

#include <catch2/catch.hpp>

#include "executors/policy/allow_list.hpp"
#include "policy_test_support.hpp"

using namespace outpost::policy;
using namespace outpost::policy::test;
using outpost::config::Protection;
using outpost::config::SandboxLevel;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kRestart =
    "    - name: restart-service\n"
    "      path: /usr/bin/true\n"
    "      args: [restart]\n"
    "      arg_rules:\n"
    "        - one_of: [nginx, postgresql]\n"
    "      run_as: root\n"
    "      allow_root: true\n"
    "      timeout: 30s\n"
    "      max_timeout: 60s\n"
    "      sandbox: standard\n"
    "      requires: [seccomp]\n"
    "      idempotent: true\n"
    "      retries: 2\n"
    "    - name: ids\n"
    "      path: /bin/id\n"
    "      run_as: nobody\n"
    "      group: nogroup\n"
    "      max_stdin_bytes: 1KiB\n"
    "      working_dir: /usr/share\n";

}  // namespace

TEST_CASE("an approved command carries the entry's argv, limits and identity", "[policy]") {
    const auto list = build_ok(kRestart);
    CHECK(list.size() == 2);
    CHECK(list.contains("restart-service"));
    auto approved = list.check(request("restart-service", {"nginx"}));
    REQUIRE(approved.has_value());
    CHECK(approved->run.name == "restart-service");
    CHECK(approved->run.path == "/usr/bin/true");
    CHECK(approved->argv == std::vector<std::string>{"/usr/bin/true", "restart", "nginx"});
    CHECK(approved->env.empty());
    CHECK(approved->timeout == 30s);
    CHECK(approved->run.max_output_bytes == 64 * 1024);
    CHECK(approved->run.identity.uid == 0);
    CHECK(approved->run.identity.gid == 0);
    CHECK(approved->run.identity.home == "/root");
    CHECK(approved->run.working_dir == "/");
    CHECK(approved->run.sandbox == SandboxLevel::standard);
    CHECK(approved->run.required == std::vector<Protection>{Protection::seccomp});
    CHECK(approved->run.best_effort == std::vector<Protection>{Protection::namespaces_mount,
                                                               Protection::cgroup_kill,
                                                               Protection::no_new_privs});
    CHECK(approved->run.idempotent);
    CHECK(approved->run.retries == 2);
}

TEST_CASE("every approval of an entry carries the same run profile, whatever the request",
          "[policy]") {
    const auto list = build_ok(kRestart);
    auto first = list.check(request("restart-service", {"nginx"}));
    auto with_timeout = request("restart-service", {"postgresql"});
    with_timeout.timeout_ms = 45000;
    auto second = list.check(with_timeout);
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    // What the request decides differs...
    CHECK(first->argv != second->argv);
    CHECK(first->timeout == 30s);
    CHECK(second->timeout == 45s);
    // ...and what the entry decided is the same, member for member.
    CHECK(first->run == second->run);
    CHECK(first->run.name == "restart-service");
    // A different entry has its own.
    auto other = list.check(request("ids"));
    REQUIRE(other.has_value());
    CHECK_FALSE(other->run == first->run);
    CHECK(other->run.max_stdin_bytes == 1024);
}

TEST_CASE("run_as and group are resolved at build time", "[policy]") {
    const auto list = build_ok(kRestart);
    auto approved = list.check(request("ids"));
    REQUIRE(approved.has_value());
    CHECK(approved->argv == std::vector<std::string>{"/bin/id"});
    CHECK(approved->run.identity.uid == 65534);
    CHECK(approved->run.identity.gid == 65534);
    CHECK(approved->run.identity.home ==
          "/nonexistent");  // HOME of its runs, never looked up again
    CHECK(approved->run.working_dir == "/usr/share");
    CHECK(approved->run.sandbox == SandboxLevel::strict);
    CHECK(approved->run.required.empty());
    CHECK(approved->run.best_effort.size() == 9);
    CHECK_FALSE(approved->run.idempotent);
}

TEST_CASE("an unknown command name is refused", "[policy]") {
    const auto list = build_ok(kRestart);
    for (const char* name : {"restart", "/usr/bin/true", "restart-service;id", ""}) {
        auto r = refusal(list, request(name, {"nginx"}));
        CHECK(r.rule == "executor.commands");
        CHECK_THAT(r.message, Catch::Contains("is not in the allow-list"));
    }
    CHECK(refusal(AllowList::build({}).value(), request("x")).rule == "executor.commands");
}

TEST_CASE("timeout_ms: default, within max, above max, zero", "[policy]") {
    const auto list = build_ok(kRestart);
    auto req = request("restart-service", {"nginx"});
    req.timeout_ms = 60000;
    REQUIRE(list.check(req).has_value());
    CHECK(list.check(req)->timeout == 60s);
    req.timeout_ms = 60001;
    auto r = refusal(list, req);
    CHECK(r.rule == "executor.commands[0].max_timeout");
    CHECK(r.message ==
          "timeout_ms: 60001 is not within 1..60000 (executor.commands[0].max_timeout)");
    req.timeout_ms = 0;
    CHECK(refusal(list, req).rule == "executor.commands[0].max_timeout");
}

TEST_CASE("stdin above max_stdin_bytes is refused", "[policy]") {
    const auto list = build_ok(kRestart);
    auto req = request("ids");
    req.stdin_bytes = 1024;
    CHECK(list.check(req).has_value());
    req.stdin_bytes = 1025;
    CHECK(refusal(list, req).rule == "executor.commands[1].max_stdin_bytes");
    auto none = request("restart-service", {"nginx"});
    none.stdin_bytes = 1;  // max_stdin_bytes defaults to 0: no stdin at all
    CHECK(refusal(list, none).rule == "executor.commands[0].max_stdin_bytes");
}

TEST_CASE("root needs allow_root, run_as is required", "[policy]") {
    auto error = build_error("    - {name: a, path: /usr/bin/true, run_as: root}\n");
    CHECK_THAT(error, Catch::Contains("executor.commands[0].run_as (a): `root` is uid 0; set "
                                      "allow_root: true"));
    error = build_error("    - {name: a, path: /usr/bin/true, run_as: nobody, group: root}\n");
    CHECK_THAT(error, Catch::Contains("executor.commands[0].group (a): the group is gid 0"));
    error = build_error("    - {name: a, path: /usr/bin/true}\n");
    CHECK_THAT(error, Catch::Contains("executor.commands[0].run_as (a): is required"));
    error = build_error("    - {name: a, path: /usr/bin/true, run_as: no-such-user-x}\n");
    CHECK_THAT(error, Catch::Contains("no such user `no-such-user-x`"));
    error =
        build_error("    - {name: a, path: /usr/bin/true, run_as: nobody, group: no-such-grp}\n");
    CHECK_THAT(error, Catch::Contains("no such group `no-such-grp`"));
}

TEST_CASE("required protections must come with the sandbox profile", "[policy]") {
    auto error = build_error(
        "    - {name: a, path: /usr/bin/true, run_as: nobody, sandbox: standard,"
        " requires: [landlock]}\n");
    CHECK_THAT(error, Catch::Contains("executor.commands[0].requires (a): sandbox `standard` does "
                                      "not provide `landlock`"));
    CHECK_THAT(build_error("    - {name: a, path: /usr/bin/true, run_as: nobody, sandbox: none,"
                           " requires: [seccomp]}\n"),
               Catch::Contains("sandbox `none` does not provide `seccomp`"));
    const auto list =
        build_ok("    - {name: a, path: /usr/bin/true, run_as: nobody, sandbox: none}\n");
    auto approved = list.check(request("a"));
    REQUIRE(approved.has_value());
    CHECK(approved->run.best_effort.empty());
}

TEST_CASE("a build reports every problem of every entry, each naming its entry", "[policy]") {
    // The loader refuses a bad regex itself; the build must refuse it too.
    auto error = build_error_patched(
        "    - {name: good, path: /usr/bin/true, run_as: nobody}\n"
        "    - name: bad-one\n"
        "      path: /no/such/program\n"
        "      run_as: nobody\n"
        "      working_dir: /no/such/dir\n"
        "    - name: bad-two\n"
        "      path: /usr/bin/true\n"
        "      run_as: nobody\n"
        "      arg_rules: [{regex: 'x'}]\n"
        "      env: [{name: LD_PRELOAD, regex: '.*'}]\n",
        [](outpost::config::ExecutorConfig& e) {
            e.commands.at(2).arg_rules.at(0).regex = "(unclosed";
        });
    INFO(error);
    CHECK_THAT(error, Catch::Contains("executor.commands[1].path (bad-one): /no/such/program is "
                                      "not trusted: /no: No such file or directory"));
    CHECK_THAT(error, Catch::Contains("executor.commands[1].working_dir (bad-one): /no/such/dir"));
    CHECK_THAT(error, Catch::Contains("executor.commands[2].arg_rules[0] (bad-two): regex "
                                      "\"(unclosed\": missing )"));
    CHECK_THAT(error, Catch::Contains("executor.commands[2].env[0].name (bad-two): `LD_PRELOAD` "
                                      "is never allowed"));
    CHECK_THAT(error, !Catch::Contains("(good)"));
}

TEST_CASE("fixed args come first and sent args stay single argv elements", "[policy][injection]") {
    const auto list = build_ok(
        "    - name: echo\n"
        "      path: /bin/echo\n"
        "      args: [--, fixed]\n"
        "      run_as: nobody\n"
        "      variadic: {max: 16, regex: '.*'}\n");
    const std::vector<std::string> shapes = {
        "a;id",   "$(id)", "`id`",  "a|id",  "a && id", "a > /etc/passwd", "'quoted'",
        "\"dq\"", "*",     "~root", "a b c", "\\",      "${IFS}id"};
    auto approved = list.check(request("echo", shapes));
    REQUIRE(approved.has_value());
    REQUIRE(approved->argv.size() == 3 + shapes.size());
    CHECK(approved->argv[0] == "/bin/echo");
    CHECK(approved->argv[1] == "--");
    CHECK(approved->argv[2] == "fixed");
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        CHECK(approved->argv[3 + i] == shapes[i]);
    }
}

TEST_CASE("argument count: positional rules are needed, the tail is bounded", "[policy]") {
    const auto list = build_ok(
        "    - name: two\n"
        "      path: /usr/bin/true\n"
        "      run_as: nobody\n"
        "      arg_rules: [{literal: a}, {literal: b}]\n"
        "      variadic: {max: 2, one_of: [x, y]}\n");
    CHECK(list.check(request("two", {"a", "b"})).has_value());
    CHECK(list.check(request("two", {"a", "b", "x", "y"})).has_value());
    auto r = refusal(list, request("two", {"a"}));
    CHECK(r.rule == "executor.commands[0].arg_rules[1]");
    CHECK(r.message == "args: 1 given, `two` needs 2 (executor.commands[0].arg_rules[1])");
    r = refusal(list, request("two", {"a", "b", "x", "y", "x"}));
    CHECK(r.rule == "executor.commands[0].variadic.max");
    r = refusal(list, request("two", {"a", "b", "z"}));
    CHECK(r.rule == "executor.commands[0].variadic");
    CHECK(r.message == "args[2]: \"z\" is not one of x, y (executor.commands[0].variadic)");
}

TEST_CASE("no arguments at all unless the entry has rules", "[policy]") {
    const auto list = build_ok("    - {name: plain, path: /usr/bin/true, run_as: nobody}\n");
    CHECK(list.check(request("plain")).has_value());
    CHECK(refusal(list, request("plain", {"x"})).rule == "executor.commands[0].variadic.max");
}

TEST_CASE("many and very long arguments are refused before any matching", "[policy][injection]") {
    const auto list = build_ok(
        "    - name: many\n"
        "      path: /usr/bin/true\n"
        "      run_as: nobody\n"
        "      variadic: {max: 1024, regex: '.*'}\n"
        "      max_arg_bytes: 64KiB\n");
    CHECK(refusal(list, request("many", std::vector<std::string>(100000, "a"))).rule ==
          "executor.commands[0].variadic.max");
    auto r = refusal(list, request("many", {std::string(1 << 20, 'a')}));
    CHECK(r.rule == "executor.commands[0].max_arg_bytes");
    CHECK(r.message ==
          "args: 1048577 bytes, more than max_arg_bytes 65536 "
          "(executor.commands[0].max_arg_bytes)");
    CHECK(list.check(request("many", std::vector<std::string>(1024, std::string(63, 'a'))))
              .has_value());
    CHECK(
        refusal(list, request("many", std::vector<std::string>(1024, std::string(64, 'a')))).rule ==
        "executor.commands[0].max_arg_bytes");
}
