// Rules that relate several keys.

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

TEST_CASE("ws:// without insecure_plaintext is refused and says how to allow it",
          "[config][rules]") {
    auto issues = issues_of(load("server:\n  url: ws://localhost:8080/v1/agent\n"));
    REQUIRE(issues.size() == 1);
    auto issue = issue_at(issues, "server.url");
    CHECK(issue.line == 2);
    CHECK_THAT(issue.message, Catch::Contains("server.insecure_plaintext: true"));
}

TEST_CASE("http:// poll and token URLs need insecure_plaintext too", "[config][rules]") {
    auto issues =
        issues_of(load_with("  poll_url: http://h/poll\nauth:\n  token_url: http://h/t\n"));
    CHECK(has_issue(issues, "server.poll_url", "insecure_plaintext"));
    CHECK(has_issue(issues, "auth.token_url", "insecure_plaintext"));
    CHECK(load("server:\n  url: ws://h/a\n  insecure_plaintext: true\n  poll_url: http://h/p\n")
              .has_value());
}

TEST_CASE("exchange mode needs token_url", "[config][rules]") {
    auto issues = issues_of(load_with("auth:\n  mode: exchange\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "auth.mode");
    CHECK(issues[0].line == 4);
    CHECK_THAT(issues[0].message, Catch::Contains("needs auth.token_url"));
}

TEST_CASE("static mode needs token_file", "[config][rules]") {
    auto issues = issues_of(load_with("auth:\n  mode: static\n"));
    CHECK(has_issue(issues, "auth.mode", "needs auth.token_file"));
}

TEST_CASE("client_cert and client_key come together", "[config][rules]") {
    auto cert_only = issues_of(load_with("  client_cert: /etc/outpost/c.pem\n"));
    CHECK(has_issue(cert_only, "server.client_cert", "give both or neither"));
    auto key_only = issues_of(load_with("  client_key: /etc/outpost/c.key\n"));
    CHECK(has_issue(key_only, "server.client_key", "give both or neither"));
    CHECK(load_with("  client_cert: /etc/c.pem\n  client_key: /etc/c.key\n").has_value());
}

TEST_CASE("transport poll needs poll_url", "[config][rules]") {
    CHECK(has_issue(issues_of(load_with("  transport: poll\n")), "server.transport", "poll_url"));
    CHECK(load_with("  transport: poll\n  poll_url: https://h/p\n").has_value());
}

TEST_CASE("reconnect.max must not be below reconnect.initial", "[config][rules]") {
    auto issues = issues_of(load_with("reconnect:\n  initial: 10s\n  max: 5s\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "reconnect.max");
    CHECK(issues[0].line == 5);
    CHECK_THAT(issues[0].message, Catch::Contains("5s") && Catch::Contains("10s"));
    // With max left at its default, the given key is blamed.
    auto defaulted = issues_of(load_with("reconnect:\n  initial: 2m\n"));
    CHECK(has_issue(defaulted, "reconnect.initial", "less than"));
    CHECK(load_with("reconnect:\n  initial: 10s\n  max: 10s\n").has_value());
}

TEST_CASE("the outbox holds at least one largest message", "[config][rules]") {
    auto issues =
        issues_of(load_with("outbox:\n  max_bytes: 1MiB\nprotocol:\n  max_message_bytes: 2MiB\n"));
    CHECK(has_issue(issues, "outbox.max_bytes", "cannot hold"));
}

TEST_CASE("rules are skipped when their keys already have issues", "[config][rules]") {
    auto issues = issues_of(load_with("auth:\n  mode: exchange\n  token_url: not-a-url\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "auth.token_url");
}

TEST_CASE("one rule's finding does not hide another's", "[config][rules]") {
    auto issues =
        issues_of(load_with("executor:\n  commands:\n    - {name: a, path: /a}\n"
                            "    - {name: a, path: /b, timeout: 2h, max_timeout: 1h}\n"));
    INFO(describe(issues));
    CHECK(has_issue(issues, "executor.commands[1].name", "duplicate"));
    CHECK(has_issue(issues, "executor.commands[1].max_timeout", "less than timeout"));
}
