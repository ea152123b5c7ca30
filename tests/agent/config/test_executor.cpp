// The executor section and its allow-list entries.

#include <catch2/catch.hpp>

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
