// The executor section and its allow-list entries.

#include <catch2/catch.hpp>

#include <type_traits>

#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

TEST_CASE("command entries load with their defaults", "[config][executor]") {
    auto result = load_with(
        "executor:\n"
        "  max_concurrent: 2\n"
        "  commands:\n"
        "    - name: disk-usage\n"
        "      path: /usr/bin/df\n"
        "      args: [\"-h\", --output=source]\n"
        "      description: Disk usage\n"
        "    - name: restart_app.v2\n"
        "      path: /usr/local/bin/restart\n"
        "      timeout: 5m\n"
        "      max_timeout: 1h\n"
        "      max_output_bytes: 1MiB\n"
        "      run_as: app\n");
    if (!result) {
        FAIL(describe(result.error()));
    }
    REQUIRE(result->executor.commands.size() == 2);
    CHECK(result->executor.max_concurrent == 2);
    const auto& df = result->executor.commands[0];
    CHECK(df.name == "disk-usage");
    CHECK(df.path == "/usr/bin/df");
    CHECK(df.args == std::vector<std::string>{"-h", "--output=source"});
    CHECK(df.description == "Disk usage");
    CHECK(df.timeout == 60s);
    CHECK(df.max_timeout == 60s);
    CHECK(df.max_output_bytes == 64 * 1024);
    CHECK_FALSE(df.run_as);
    const auto& restart = result->executor.commands[1];
    CHECK(restart.timeout == 5min);
    CHECK(restart.max_timeout == 1h);
    CHECK(restart.max_output_bytes == 1ULL << 20);
    CHECK(restart.run_as == "app");
}

TEST_CASE("duplicate command names are refused", "[config][executor]") {
    auto issues =
        issues_of(load_with("executor:\n  commands:\n"
                            "    - {name: a, path: /bin/a}\n"
                            "    - {name: b, path: /bin/b}\n"
                            "    - {name: a, path: /bin/c}\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "executor.commands[2].name");
    CHECK(issues[0].line == 7);
    CHECK_THAT(issues[0].message, Catch::Contains("duplicate command name `a`"));
}

TEST_CASE("a relative command path is refused", "[config][executor]") {
    auto issues =
        issues_of(load_with("executor:\n  commands:\n    - name: a\n      path: bin/a\n"));
    auto issue = issue_at(issues, "executor.commands[0].path");
    CHECK(issue.line == 6);
    CHECK_THAT(issue.message, Catch::Contains("absolute path"));
}

TEST_CASE("an unknown entry key is refused with a suggestion", "[config][executor]") {
    auto issues = issues_of(load_with(
        "executor:\n  commands:\n    - name: a\n      path: /bin/a\n      tiemout: 5s\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "executor.commands[0].tiemout");
    CHECK(issues[0].line == 7);
    CHECK_THAT(issues[0].message, Catch::Contains("did you mean `executor.commands[0].timeout`?"));
}

TEST_CASE("entries need name and path", "[config][executor]") {
    auto issues = issues_of(load_with("executor:\n  commands:\n    - description: x\n"));
    CHECK(has_issue(issues, "executor.commands[0].name", "required key is missing"));
    CHECK(has_issue(issues, "executor.commands[0].path", "required key is missing"));
}

TEST_CASE("entry names are limited to [A-Za-z0-9._-]{1,64}", "[config][executor]") {
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n    - {name: a/b, path: /a}\n")),
                    "executor.commands[0].name"));
    const std::string long_name(65, 'n');
    CHECK(has_issue(
        issues_of(load_with("executor:\n  commands:\n    - {name: " + long_name + ", path: /a}\n")),
        "executor.commands[0].name", "longer than 64"));
}

TEST_CASE("entry value checks", "[config][executor]") {
    auto issues =
        issues_of(load_with("executor:\n  commands:\n"
                            "    - name: a\n      path: /a\n      args: -h\n      timeout: 0s\n"
                            "      max_output_bytes: 100\n      run_as: -root\n"));
    INFO(describe(issues));
    CHECK(has_issue(issues, "executor.commands[0].args", "expected a list of string"));
    CHECK(has_issue(issues, "executor.commands[0].timeout", "below the minimum"));
    CHECK(has_issue(issues, "executor.commands[0].max_output_bytes", "below the minimum"));
    CHECK(has_issue(issues, "executor.commands[0].run_as", "starts with -"));
}

TEST_CASE("max_timeout must not be below timeout", "[config][executor]") {
    auto issues = issues_of(load_with(
        "executor:\n  commands:\n    - {name: a, path: /a, timeout: 5m, max_timeout: 1m}\n"));
    CHECK(has_issue(issues, "executor.commands[0].max_timeout", "less than timeout"));
}

TEST_CASE("commands must be a list of maps", "[config][executor]") {
    CHECK(has_issue(issues_of(load_with("executor:\n  commands: {name: a}\n")), "executor.commands",
                    "expected a list of maps"));
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n    - just-a-name\n")),
                    "executor.commands[0]", "expected a map of keys"));
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n    -\n")), "executor.commands[0]",
                    "found nothing"));
}

TEST_CASE("max_concurrent range", "[config][executor]") {
    CHECK(has_issue(issues_of(load_with("executor:\n  max_concurrent: 0\n")),
                    "executor.max_concurrent"));
    CHECK(has_issue(issues_of(load_with("executor:\n  max_concurrent: 1000\n")),
                    "executor.max_concurrent"));
}

TEST_CASE("the queue bounds load and are range-checked", "[config][executor]") {
    auto result = load_with(
        "executor:\n"
        "  max_queued: 0\n"
        "  max_queued_stdin_bytes: 2MiB\n");
    if (!result) {
        FAIL(describe(result.error()));
    }
    CHECK(result->executor.max_queued == 0);
    CHECK(result->executor.max_queued_stdin_bytes == 2 * 1024 * 1024);
    CHECK(
        has_issue(issues_of(load_with("executor:\n  max_queued: 5000\n")), "executor.max_queued"));
    CHECK(has_issue(issues_of(load_with("executor:\n  max_queued: -1\n")), "executor.max_queued"));
    CHECK(has_issue(issues_of(load_with("executor:\n  max_queued_stdin_bytes: 2GiB\n")),
                    "executor.max_queued_stdin_bytes"));
}

TEST_CASE("argument, environment and sandbox keys load", "[config][executor]") {
    auto result = load_with(
        "executor:\n"
        "  commands:\n"
        "    - name: tail-log\n"
        "      path: /usr/bin/tail\n"
        "      arg_rules:\n"
        "        - {regex: '^-n$', allow_dash: true}\n"
        "        - {int_range: [-5, 1000], allow_dash: true}\n"
        "        - {path_under: [/var/log], allow_missing: true}\n"
        "        - {literal: x}\n"
        "        - {one_of: [a, b]}\n"
        "      variadic: {max: 3, regex: '[a-z]+', allow_newline: true}\n"
        "      max_arg_bytes: 1KiB\n"
        "      env: [{name: TZ, regex: '.*'}, {name: NOTE, regex: '(?s).*', allow_newline: true}]\n"
        "      max_stdin_bytes: 4KiB\n"
        "      run_as: nobody\n"
        "      group: nogroup\n"
        "      allow_root: true\n"
        "      working_dir: /var/log\n"
        "      sandbox: standard\n"
        "      requires: [seccomp, cgroup_kill]\n"
        "      idempotent: true\n"
        "      retries: 3\n");
    if (!result) {
        FAIL(describe(result.error()));
    }
    const auto& e = result->executor.commands.at(0);
    REQUIRE(e.arg_rules.size() == 5);
    CHECK(e.arg_rules[0].regex == "^-n$");
    CHECK(e.arg_rules[0].allow_dash);
    CHECK(e.arg_rules[1].int_range == std::vector<std::int64_t>{-5, 1000});
    CHECK(e.arg_rules[2].path_under == std::vector<std::string>{"/var/log"});
    CHECK(e.arg_rules[2].allow_missing);
    CHECK(e.arg_rules[3].literal == "x");
    CHECK(e.arg_rules[4].one_of == std::vector<std::string>{"a", "b"});
    CHECK(e.variadic.max == 3);
    CHECK(e.variadic.regex == "[a-z]+");
    CHECK(e.variadic.allow_newline);
    CHECK(e.max_arg_bytes == 1024);
    REQUIRE(e.env.size() == 2);
    CHECK(e.env[0].name == "TZ");
    CHECK(e.env[1].allow_newline);
    CHECK(e.max_stdin_bytes == 4096);
    CHECK(e.run_as == "nobody");
    CHECK(e.group == "nogroup");
    CHECK(e.allow_root);
    CHECK(e.working_dir == "/var/log");
    CHECK(e.sandbox == SandboxLevel::standard);
    CHECK(e.required_protections ==
          std::vector<Protection>{Protection::seccomp, Protection::cgroup_kill});
    CHECK(e.idempotent);
    CHECK(e.retries == 3);
}

TEST_CASE("the new entry keys have safe defaults", "[config][executor]") {
    auto result = load_with("executor:\n  commands:\n    - {name: a, path: /bin/a}\n");
    REQUIRE(result);
    const auto& e = result->executor.commands.at(0);
    CHECK(e.arg_rules.empty());
    CHECK(e.variadic.max == 0);
    CHECK_FALSE(e.variadic.regex);
    CHECK(e.max_arg_bytes == 16 * 1024);
    CHECK(e.env.empty());
    CHECK(e.max_stdin_bytes == 0);
    CHECK_FALSE(e.group);
    CHECK_FALSE(e.allow_root);
    CHECK(e.working_dir == "/");
    CHECK(e.sandbox == SandboxLevel::strict);
    CHECK(e.required_protections.empty());
    CHECK_FALSE(e.idempotent);
    CHECK(e.retries == 0);
}

TEST_CASE("an argument rule has exactly one kind", "[config][executor]") {
    const auto rules = [](const std::string& yaml) {
        return issues_of(load_with(
            "executor:\n  commands:\n    - {name: a, path: /a, arg_rules: " + yaml + "}\n"));
    };
    auto issues = rules("[{literal: a, regex: b}]");
    CHECK(has_issue(issues, "executor.commands[0].arg_rules[0]", "2 rule kinds given"));
    CHECK(has_issue(rules("[{allow_dash: true}]"), "executor.commands[0].arg_rules[0]",
                    "0 rule kinds given"));
    CHECK(has_issue(rules("[{one_of: []}]"), "executor.commands[0].arg_rules[0]",
                    "0 rule kinds given"));
    CHECK(has_issue(rules("[{literal: a, allow_newline: true}]"),
                    "executor.commands[0].arg_rules[0].allow_newline", "only applies to a regex"));
    CHECK(has_issue(rules("[{regex: a, allow_missing: true}]"),
                    "executor.commands[0].arg_rules[0].allow_missing", "only applies to a path"));
    CHECK(has_issue(rules("[{int_range: [1, 2, 3]}]"),
                    "executor.commands[0].arg_rules[0].int_range",
                    "expected [min, max], found 3 values"));
    CHECK(has_issue(rules("[{int_range: [5, 1]}]"), "executor.commands[0].arg_rules[0].int_range",
                    "min (5) is greater than max (1)"));
    CHECK(has_issue(rules("[{int_range: [1, x]}]"),
                    "executor.commands[0].arg_rules[0].int_range[1]", "not a decimal integer"));
    CHECK(has_issue(rules("[{path_under: [var/log]}]"),
                    "executor.commands[0].arg_rules[0].path_under[0]", "absolute path"));
    CHECK(has_issue(rules("[{regxe: a}]"), "executor.commands[0].arg_rules[0].regxe",
                    "did you mean"));
}

TEST_CASE("variadic needs max and one kind", "[config][executor]") {
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n"
                                        "    - {name: a, path: /a, variadic: {max: 2}}\n")),
                    "executor.commands[0].variadic", "0 rule kinds given"));
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n"
                                        "    - {name: a, path: /a, variadic: {regex: x}}\n")),
                    "executor.commands[0].variadic.max", "never applies"));
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n"
                                        "    - {name: a, path: /a, variadic: {max: 2000}}\n")),
                    "executor.commands[0].variadic.max", "above the maximum"));
}

TEST_CASE("retries need idempotent and stay at most 3", "[config][executor]") {
    CHECK(has_issue(issues_of(load_with("executor:\n  commands:\n"
                                        "    - {name: a, path: /a, retries: 1}\n")),
                    "executor.commands[0].retries", "idempotent: true"));
    CHECK(
        has_issue(issues_of(load_with("executor:\n  commands:\n"
                                      "    - {name: a, path: /a, retries: 4, idempotent: true}\n")),
                  "executor.commands[0].retries", "above the maximum"));
}

TEST_CASE("sandbox, requires and env names are checked", "[config][executor]") {
    auto issues =
        issues_of(load_with("executor:\n  commands:\n"
                            "    - {name: a, path: /a, sandbox: strcit, requires: [secomp],"
                            " env: [{name: 1BAD, regex: x}, {name: OK}]}\n"));
    INFO(describe(issues));
    CHECK(has_issue(issues, "executor.commands[0].sandbox", "did you mean `strict`?"));
    CHECK(has_issue(issues, "executor.commands[0].requires[0]", "did you mean `seccomp`?"));
    CHECK(has_issue(issues, "executor.commands[0].env[0].name", "not allowed"));
    CHECK(has_issue(issues, "executor.commands[0].env[1].regex", "required key is missing"));
}

TEST_CASE("an invalid regex is reported with its line and column", "[config][executor]") {
    auto issues =
        issues_of(load_with("executor:\n"
                            "  commands:\n"
                            "    - name: a\n"
                            "      path: /a\n"
                            "      arg_rules: [{regex: '(unclosed'}]\n"));
    const ConfigIssue issue = issue_at(issues, "executor.commands[0].arg_rules[0].regex");
    CHECK(issue.line == 7);
    CHECK(issue.column == 27);
    CHECK_THAT(issue.message, Catch::Contains("missing )"));
    const auto env_issues =
        issues_of(load_with("executor:\n"
                            "  commands:\n"
                            "    - name: a\n"
                            "      path: /a\n"
                            "      env: [{name: X, regex: '[z-a]'}]\n"));
    INFO(describe(env_issues));
    const ConfigIssue env = issue_at(env_issues, "executor.commands[0].env[0].regex");
    CHECK(env.line == 7);
    CHECK_THAT(env.message, Catch::Contains("invalid character class range"));
}

TEST_CASE("requires names each sandbox protection by the sandbox's own name and type",
          "[config][executor]") {
    // One type from config to sandbox: nothing to map, nothing to drop.
    static_assert(std::is_same_v<Protection, outpost::executors::Protection>);
    for (const Protection p : outpost::executors::kAllProtections) {
        const std::string name(outpost::executors::protection_name(p));
        INFO(name);
        auto result = load_with(
            "executor:\n  commands:\n    - name: a\n      path: /a\n"
            "      sandbox: strict\n      requires: [" +
            name + "]\n");
        if (!result) FAIL(describe(result.error()));
        CHECK(result->executor.commands.at(0).required_protections == std::vector<Protection>{p});
    }
    CHECK_FALSE(
        load_with("executor:\n  commands:\n    - name: a\n      path: /a\n"
                  "      requires: [no_such_protection]\n"));
}
