// The `logs` section: allow-listed log sources and the stream limits
// (agent/config/schema_logs.cpp, docs/log-streaming.md "Configuration").

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

TEST_CASE("logs: defaults without a logs section", "[config][logs]") {
    auto result = load(kMinimal);
    if (!result) {
        FAIL(describe(result.error()));
    }
    CHECK(result->logs.sources.empty());
    CHECK(result->logs.max_streams == 8);
    CHECK(result->logs.max_lines_per_second == 5000);
    CHECK(result->logs.max_history_lines == 10000);
    CHECK(result->logs.partial_line_timeout == 2s);
}

TEST_CASE("logs: file and unit sources load with their defaults", "[config][logs]") {
    auto result = load_with(
        "logs:\n"
        "  max_streams: 3\n"
        "  max_lines_per_second: 200\n"
        "  max_history_lines: 50\n"
        "  partial_line_timeout: 500ms\n"
        "  sources:\n"
        "    - name: nginx-access\n"
        "      file: /var/log/nginx/access.log\n"
        "    - name: app\n"
        "      unit: app@blue.service\n"
        "      journal_directory: /var/log/journal/remote\n"
        "      max_line_bytes: 1KiB\n"
        "      lines_per_second: 10\n");
    if (!result) {
        FAIL(describe(result.error()));
    }
    const auto& logs = result->logs;
    CHECK(logs.max_streams == 3);
    CHECK(logs.max_lines_per_second == 200);
    CHECK(logs.max_history_lines == 50);
    CHECK(logs.partial_line_timeout == 500ms);
    REQUIRE(logs.sources.size() == 2);
    const auto& file = logs.sources[0];
    CHECK(file.name == "nginx-access");
    CHECK(file.kind == LogSourceKind::file);
    CHECK(file.path == "/var/log/nginx/access.log");
    CHECK(file.unit.empty());
    CHECK_FALSE(file.journal_directory);
    CHECK(file.max_line_bytes == 16384);
    CHECK(file.lines_per_second == 1000);
    const auto& unit = logs.sources[1];
    CHECK(unit.kind == LogSourceKind::journal);
    CHECK(unit.unit == "app@blue.service");
    CHECK(unit.path.empty());
    CHECK(unit.journal_directory == "/var/log/journal/remote");
    CHECK(unit.max_line_bytes == 1024);
    CHECK(unit.lines_per_second == 10);
}

TEST_CASE("logs: a relative file path is refused at its line", "[config][logs]") {
    auto issues =
        issues_of(load_with("logs:\n  sources:\n"
                            "    - {name: a, file: /var/log/a.log}\n"
                            "    - {name: b, unit: b.service}\n"
                            "    - name: c\n"
                            "      file: var/log/c.log\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "logs.sources[2].file");
    CHECK(issues[0].line == 8);
    CHECK_THAT(issues[0].message, Catch::Contains("absolute path"));
}

TEST_CASE("logs: duplicate source names are refused", "[config][logs]") {
    auto issues =
        issues_of(load_with("logs:\n  sources:\n"
                            "    - {name: web, file: /var/log/a.log}\n"
                            "    - {name: db, unit: postgresql.service}\n"
                            "    - {name: web, unit: nginx.service}\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "logs.sources[2].name");
    CHECK(issues[0].line == 7);
    CHECK_THAT(issues[0].message, Catch::Contains("a source named `web` is given twice"));
}

TEST_CASE("logs: a source needs exactly one of file and unit", "[config][logs]") {
    SECTION("both") {
        auto issues = issues_of(load_with(
            "logs:\n  sources:\n    - {name: a, file: /var/log/a.log, unit: a.service}\n"));
        REQUIRE(issues.size() == 1);
        CHECK(issues[0].key_path == "logs.sources[0].unit");
        CHECK_THAT(issues[0].message, Catch::Contains("either `file` or `unit`, not both"));
    }
    SECTION("neither") {
        auto issues =
            issues_of(load_with("logs:\n  sources:\n    - {name: a, max_line_bytes: 1KiB}\n"));
        REQUIRE(issues.size() == 1);
        CHECK(issues[0].key_path == "logs.sources[0]");
        CHECK(issues[0].line == 5);
        CHECK_THAT(issues[0].message, Catch::Contains("needs `file`"));
        CHECK_THAT(issues[0].message, Catch::Contains("or `unit`"));
    }
    SECTION("journal_directory on a file source") {
        auto issues =
            issues_of(load_with("logs:\n  sources:\n"
                                "    - name: a\n"
                                "      file: /var/log/a.log\n"
                                "      journal_directory: /var/log/journal\n"));
        REQUIRE(issues.size() == 1);
        CHECK(issues[0].key_path == "logs.sources[0].journal_directory");
        CHECK(issues[0].line == 7);
        CHECK_THAT(issues[0].message, Catch::Contains("only a `unit` source"));
    }
}

TEST_CASE("logs: unit names follow systemd's rules", "[config][logs]") {
    for (const char* good : {"nginx.service", "getty@tty1.service", "var-log.mount", "a.timer",
                             "system-getty.slice", "dev-sda1.device", "x\\x2dy.socket"}) {
        auto result =
            load_with(fmt::format("logs:\n  sources:\n    - name: a\n      unit: '{}'\n", good));
        INFO(good);
        if (!result) {
            FAIL(describe(result.error()));
        }
    }
    const std::pair<const char*, const char*> bad[] = {
        {"nginx", "has no unit type suffix"},
        {"nginx.services", "does not end in a unit type"},
        {".service", "nothing before the type"},
        {"getty@.service", "is a template"},
        {"a@b@c.service", "more than one `@`"},
        {"my app.service", "character systemd does not allow"},
        {"app/x.service", "character systemd does not allow"},
    };
    for (const auto& [name, reason] : bad) {
        INFO(name);
        auto issues = issues_of(
            load_with(fmt::format("logs:\n  sources:\n    - name: a\n      unit: '{}'\n", name)));
        REQUIRE(issues.size() == 1);
        CHECK(issues[0].key_path == "logs.sources[0].unit");
        CHECK_THAT(issues[0].message, Catch::Contains("a systemd unit name"));
        CHECK_THAT(issues[0].message, Catch::Contains(reason));
    }
    auto issues = issues_of(load_with(fmt::format(
        "logs:\n  sources:\n    - name: a\n      unit: {}.service\n", std::string(250, 'x'))));
    CHECK(has_issue(issues, "logs.sources[0].unit", "longer than 255"));
}

TEST_CASE("logs: names, caps and limits are range-checked", "[config][logs]") {
    CHECK(has_issue(issues_of(load_with("logs:\n  sources:\n    - {name: 'a b', file: /x}\n")),
                    "logs.sources[0].name", "not allowed"));
    CHECK(
        has_issue(issues_of(load_with(fmt::format(
                      "logs:\n  sources:\n    - {{name: {}, file: /x}}\n", std::string(65, 'n')))),
                  "logs.sources[0].name", "longer than 64"));
    CHECK(has_issue(
        issues_of(load_with("logs:\n  sources:\n    - {name: a, file: /x, max_line_bytes: 255}\n")),
        "logs.sources[0].max_line_bytes"));
    CHECK(has_issue(issues_of(load_with(
                        "logs:\n  sources:\n    - {name: a, file: /x, max_line_bytes: 2MiB}\n")),
                    "logs.sources[0].max_line_bytes"));
    CHECK(load_with("logs:\n  sources:\n    - {name: a, file: /x, max_line_bytes: 1MiB}\n"));
    CHECK(has_issue(
        issues_of(load_with("logs:\n  sources:\n    - {name: a, file: /x, lines_per_second: 0}\n")),
        "logs.sources[0].lines_per_second"));
    CHECK(has_issue(issues_of(load_with("logs:\n  max_streams: 0\n")), "logs.max_streams"));
    CHECK(has_issue(issues_of(load_with("logs:\n  partial_line_timeout: 5m\n")),
                    "logs.partial_line_timeout"));
    CHECK(has_issue(issues_of(load_with("logs:\n  sources: /var/log/a.log\n")), "logs.sources",
                    "expected a list of maps"));
    CHECK(has_issue(issues_of(load_with("logs:\n  sources:\n    - /var/log/a.log\n")),
                    "logs.sources[0]", "expected a map of keys"));
}

TEST_CASE("logs: an unknown source key is refused with a suggestion", "[config][logs]") {
    auto issues = issues_of(
        load_with("logs:\n  sources:\n    - name: a\n      file: /x\n      max_line_byte: 1KiB\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "logs.sources[0].max_line_byte");
    CHECK_THAT(issues[0].message,
               Catch::Contains("did you mean `logs.sources[0].max_line_bytes`?"));
}

TEST_CASE("logs: history is bounded by lines (up to 100000) and bytes", "[config][logs]") {
    auto defaults = load(kMinimal);
    REQUIRE(defaults);
    CHECK(defaults->logs.max_history_bytes == 4U * 1024 * 1024);
    auto set = load_with("logs:\n  max_history_lines: 100000\n  max_history_bytes: 64KiB\n");
    if (!set) FAIL(describe(set.error()));
    CHECK(set->logs.max_history_lines == 100000);
    CHECK(set->logs.max_history_bytes == 64U * 1024);
    for (const char* bad :
         {"max_history_lines: 100001", "max_history_bytes: 32KiB", "max_history_bytes: 65MiB"}) {
        INFO(bad);
        CHECK_FALSE(load_with(std::string("logs:\n  ") + bad + "\n"));
    }
}
