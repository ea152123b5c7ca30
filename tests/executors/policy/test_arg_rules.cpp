// Each argument rule kind accepting and refusing, the leading-dash and
// NUL/newline rules, and the load-time checks of the rules themselves.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "executors/policy/arg_rule.hpp"
#include "policy_test_support.hpp"

using namespace outpost::policy;
using namespace outpost::policy::test;

namespace {

// One entry `t` running /usr/bin/true with `rules` as its arg_rules.
AllowList with_rules(const std::string& rules) {
    return build_ok(
        "    - name: t\n      path: /usr/bin/true\n      run_as: nobody\n"
        "      arg_rules: " +
        rules + "\n");
}

bool accepts(const AllowList& list, std::vector<std::string> args) {
    return list.check(request("t", std::move(args))).has_value();
}

std::string why(const AllowList& list, std::vector<std::string> args) {
    return refusal(list, request("t", std::move(args))).message;
}

}  // namespace

TEST_CASE("literal", "[policy][rules]") {
    const auto list = with_rules("[{literal: status}]");
    CHECK(accepts(list, {"status"}));
    CHECK(
        why(list, {"status;id"}) ==
        "args[0]: \"status;id\" is not the literal \"status\" (executor.commands[0].arg_rules[0])");
    for (const char* shape : {"status ", "Status", "status\n", "$(status)", "`status`", ""}) {
        CHECK_FALSE(accepts(list, {shape}));
    }
}

TEST_CASE("one_of", "[policy][rules]") {
    const auto list = with_rules("[{one_of: [nginx, postgresql]}]");
    CHECK(accepts(list, {"nginx"}));
    CHECK(accepts(list, {"postgresql"}));
    CHECK(why(list, {"nginx && reboot"}) ==
          "args[0]: \"nginx && reboot\" is not one of nginx, postgresql "
          "(executor.commands[0].arg_rules[0])");
    CHECK_FALSE(accepts(list, {"ngin"}));
}

TEST_CASE("regex: whole-argument match", "[policy][rules]") {
    const auto list = with_rules("[{regex: '^[a-z]+$'}, {regex: '[0-9]+'}]");
    CHECK(accepts(list, {"abc", "123"}));
    CHECK(why(list, {"x;y", "1"}) ==
          "args[0]: \"x;y\" does not match regex ^[a-z]+$ (executor.commands[0].arg_rules[0])");
    // Without anchors the match is still of the whole argument.
    CHECK(why(list, {"abc", "12a"}) ==
          "args[1]: \"12a\" does not match regex [0-9]+ (executor.commands[0].arg_rules[1])");
    CHECK_FALSE(accepts(list, {"abc", "a12"}));
}

TEST_CASE("int_range: canonical decimal integers only", "[policy][rules]") {
    const auto list = with_rules("[{int_range: [1, 1000]}]");
    CHECK(accepts(list, {"1"}));
    CHECK(accepts(list, {"1000"}));
    CHECK(why(list, {"1001"}) ==
          "args[0]: \"1001\" is outside int_range [1, 1000] (executor.commands[0].arg_rules[0])");
    CHECK_FALSE(accepts(list, {"0"}));
    for (const char* bad :
         {"007", "+5", "1e3", "5;id", " 5", "5 ", "0x10", "", "99999999999999999999"}) {
        INFO(bad);
        CHECK_THAT(why(list, {bad}), Catch::Contains("is not a canonical decimal integer"));
    }
    CHECK_THAT(why(list, {"-5"}), Catch::Contains("starts with `-`"));
}

TEST_CASE("int_range with negative numbers needs allow_dash", "[policy][rules]") {
    CHECK_THAT(build_error("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                           " arg_rules: [{int_range: [-10, 10]}]}\n"),
               Catch::Contains("arg_rules[0] (t): int_range allows negative numbers"));
    const auto list = with_rules("[{int_range: [-10, 10], allow_dash: true}]");
    CHECK(accepts(list, {"-10"}));
    CHECK(accepts(list, {"0"}));
    CHECK_FALSE(accepts(list, {"-0"}));
    CHECK_FALSE(accepts(list, {"-11"}));
}

TEST_CASE("a leading dash is refused unless the rule allows it", "[policy][rules][injection]") {
    const auto list = with_rules("[{regex: '.*'}]");
    CHECK(accepts(list, {"file"}));
    for (const char* opt : {"-n", "--opt=/etc/passwd", "--", "-"}) {
        INFO(opt);
        CHECK(why(list, {opt}) == std::string("args[0]: \"") + opt +
                                      "\" starts with `-` and the rule does not set allow_dash "
                                      "(executor.commands[0].arg_rules[0])");
    }
    const auto dash = with_rules("[{regex: '^-n$', allow_dash: true}, {int_range: [1, 1000]}]");
    CHECK(accepts(dash, {"-n", "10"}));
    CHECK_FALSE(accepts(dash, {"--opt=/etc/passwd", "10"}));
}

TEST_CASE("literals and one_of values starting with - need allow_dash at load", "[policy][rules]") {
    CHECK_THAT(build_error("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                           " arg_rules: [{literal: -n}]}\n"),
               Catch::Contains("value \"-n\" starts with `-`; set allow_dash: true"));
    CHECK_THAT(build_error("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                           " arg_rules: [{one_of: [a, --all]}]}\n"),
               Catch::Contains("value \"--all\" starts with `-`"));
    CHECK(accepts(with_rules("[{literal: -n, allow_dash: true}]"), {"-n"}));
}

TEST_CASE("NUL is always refused, line breaks unless the regex allows them", "[policy][rules]") {
    const auto list = with_rules("[{regex: '(?s).*'}]");
    CHECK(why(list, {std::string("a\0b", 3)}) ==
          "args[0]: \"a\\x00b\" contains a NUL byte (never allowed: argv strings end at NUL) "
          "(executor.commands[0].arg_rules[0])");
    CHECK_THAT(why(list, {"a\nrm -rf /"}),
               Catch::Contains("\"a\\nrm -rf /\" contains a line break and the rule does not set "
                               "allow_newline"));
    CHECK_FALSE(accepts(list, {"a\rb"}));

    const auto multi = with_rules("[{regex: '(?s).*', allow_newline: true}]");
    auto approved = multi.check(request("t", {"line1\nline2"}));
    REQUIRE(approved.has_value());
    CHECK(approved->argv.size() == 2);
    CHECK(approved->argv[1] == "line1\nline2");
    CHECK_FALSE(accepts(multi, {std::string("a\0b", 3)}));
    // Without (?s) RE2's `.` does not match a newline, even when it is let through.
    CHECK_FALSE(accepts(with_rules("[{regex: '.*', allow_newline: true}]"), {"a\nb"}));
}

TEST_CASE("refusals quote and cut what the control plane sent", "[policy][rules]") {
    const auto list = build_ok(
        "    - {name: t, path: /usr/bin/true, run_as: nobody,"
        " max_arg_bytes: 1MiB, arg_rules: [{literal: x}]}\n");
    const auto message = why(list, {std::string(100000, 'a')});
    CHECK(message.size() < 200);
    CHECK_THAT(message, Catch::Contains("… (100000 bytes)"));
}

TEST_CASE("rule shape is checked again when the allow-list is built", "[policy][rules]") {
    outpost::config::ArgRule two_kinds;
    two_kinds.literal = "a";
    two_kinds.regex = "b";
    CHECK_THAT(ArgMatcher::compile(two_kinds, "r").error().message(),
               Catch::Contains("2 rule kinds given"));
    CHECK_THAT(ArgMatcher::compile(outpost::config::ArgRule{}, "r").error().message(),
               Catch::Contains("0 rule kinds given"));
    outpost::config::ArgRule newline_literal;
    newline_literal.literal = "a";
    newline_literal.allow_newline = true;
    CHECK_THAT(ArgMatcher::compile(newline_literal, "r").error().message(),
               Catch::Contains("allow_newline only applies to a regex rule"));
}

TEST_CASE("path normalisation", "[policy][rules][path]") {
    CHECK(normalize_path("/") == "/");
    CHECK(normalize_path("/a/./b//../c/") == "/a/c");
    CHECK(normalize_path("/../../etc") == "/etc");
    CHECK(normalize_path("/var/log/../../etc/passwd") == "/etc/passwd");
    CHECK(path_is_under("/var/log", "/var/log"));
    CHECK(path_is_under("/var/log/x", "/var/log"));
    CHECK_FALSE(path_is_under("/var/logs", "/var/log"));
    CHECK_FALSE(path_is_under("/var", "/var/log"));
    CHECK(path_is_under("/etc", "/"));
}

TEST_CASE("path_under: normalised, symlinks resolved, no escape", "[policy][rules][path]") {
    ScratchDir dir("/tmp");
    const std::string root = dir.path() + "/logs";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    REQUIRE(::mkdir((root + "/sub").c_str(), 0755) == 0);
    std::ofstream(root + "/app.log") << "x\n";
    REQUIRE(::symlink("/etc/passwd", (root + "/evil").c_str()) == 0);
    REQUIRE(::symlink("app.log", (root + "/good").c_str()) == 0);
    REQUIRE(::symlink("/etc", (root + "/etcdir").c_str()) == 0);

    const auto list = with_rules("[{path_under: [" + root + "]}]");
    auto approved = list.check(request("t", {root + "/sub/../app.log"}));
    REQUIRE(approved.has_value());
    CHECK(approved->argv[1] == root + "/app.log");  // the resolved path is what runs
    CHECK(list.check(request("t", {root + "/good"}))->argv[1] == root + "/app.log");
    CHECK(accepts(list, {root}));

    CHECK_THAT(why(list, {root + "/../../../etc/passwd"}),
               Catch::Contains("is outside path_under"));
    CHECK_THAT(why(list, {root + "/evil"}),
               Catch::Contains("resolves to \"/etc/passwd\", outside path_under"));
    CHECK_THAT(why(list, {root + "/etcdir/shadow"}),
               Catch::Contains("resolves to \"/etc/shadow\""));
    CHECK_THAT(why(list, {"app.log"}), Catch::Contains("is not an absolute path"));
    CHECK_THAT(why(list, {root + "/missing.log"}),
               Catch::Contains("cannot be resolved: No such file or directory"));
    CHECK_THAT(why(list, {root + "s/x"}), Catch::Contains("is outside path_under"));
    CHECK_THAT(why(list, {"--file=" + root + "/app.log"}), Catch::Contains("starts with `-`"));

    const auto missing_ok = with_rules("[{path_under: [" + root + "], allow_missing: true}]");
    CHECK(missing_ok.check(request("t", {root + "/sub/new.log"}))->argv[1] ==
          root + "/sub/new.log");
    CHECK_THAT(why(missing_ok, {root + "/nodir/new.log"}),
               Catch::Contains("has no usable directory"));
    CHECK_THAT(why(missing_ok, {root + "/etcdir/new"}),
               Catch::Contains("resolves to \"/etc/new\""));
    // A dangling link planted in the root: creating "the missing file" would
    // follow it out of the root.
    REQUIRE(::symlink((dir.path() + "/outside-created").c_str(), (root + "/dangling").c_str()) ==
            0);
    CHECK_THAT(why(missing_ok, {root + "/dangling"}),
               Catch::Contains("is a symlink to a missing file"));
    REQUIRE(::symlink("../nowhere", (root + "/sub/relative-dangling").c_str()) == 0);
    CHECK_THAT(why(missing_ok, {root + "/sub/relative-dangling"}),
               Catch::Contains("is a symlink to a missing file"));
}

TEST_CASE("path_under roots must exist", "[policy][rules][path]") {
    CHECK_THAT(build_error("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                           " arg_rules: [{path_under: [/no/such/root]}]}\n"),
               Catch::Contains("path_under root /no/such/root: No such file or directory"));
}
