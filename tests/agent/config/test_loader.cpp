#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config/loader.hpp"
#include "config_test_support.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

TEST_CASE("a minimal config gets every default", "[config][loader]") {
    auto result = load(kMinimal);
    REQUIRE(result.has_value());
    const Config& c = *result;
    CHECK(c.server.url == "wss://hub.example.com/v1/agent");
    CHECK_FALSE(c.server.ca_file);
    CHECK(c.server.pin_sha256.empty());
    CHECK_FALSE(c.server.client_cert);
    CHECK_FALSE(c.server.insecure_plaintext);
    CHECK_FALSE(c.server.proxy);
    CHECK_FALSE(c.server.poll_url);
    CHECK(c.server.poll_after == 5min);
    CHECK(c.server.poll_interval == 15s);
    CHECK(c.server.transport == Transport::websocket);
    CHECK(c.auth.mode == AuthMode::jwt);
    CHECK(c.auth.audience == c.server.url);
    CHECK(c.auth.token_ttl == 3600s);
    CHECK_FALSE(c.security.command_public_key);
    CHECK_FALSE(c.security.server_seal_key);
    CHECK(c.reconnect.initial == 1s);
    CHECK(c.reconnect.max == 60s);
    CHECK(c.reconnect.revoked_interval == 15min);
    CHECK(c.reconnect.incompatible_interval == 15min);
    CHECK(c.telemetry.interval == 60s);
    CHECK(c.health.interval == 300s);
    CHECK(c.outbox.max_messages == 10000);
    CHECK(c.outbox.max_bytes == 16ULL << 20);
    CHECK(c.outbox.flush_rate == 50);
    CHECK(c.journal.retention == 7 * 24h);
    CHECK(c.journal.sync == JournalSync::full);
    CHECK(c.protocol.max_message_bytes == 1ULL << 20);
    CHECK_FALSE(c.node.id);
    CHECK(c.node.state_dir == "/var/lib/outpost");
    CHECK(c.status.socket == "/run/outpost/status.sock");
    CHECK(c.logging.level == LogLevel::info);
    CHECK(c.logging.format == LogFormat::text);
    CHECK(c.executor.max_concurrent == 4);
    CHECK(c.executor.max_queued == 64);
    CHECK(c.executor.max_queued_stdin_bytes == 16ULL << 20);
    CHECK(c.executor.commands.empty());
}

TEST_CASE("an empty value counts as absent", "[config][loader]") {
    auto result = load_with("telemetry:\n  interval:\nnode:\n  id:\nexecutor:\n  commands:\n");
    REQUIRE(result.has_value());
    CHECK(result->telemetry.interval == 60s);
    CHECK_FALSE(result->node.id);
}

TEST_CASE("a required key with an empty value is named", "[config][loader]") {
    auto issues = issues_of(load("server:\n  url:\n"));
    auto issue = issue_at(issues, "server.url");
    CHECK(issue.line == 2);
    CHECK_THAT(issue.message, Catch::Contains("has no value"));
}

TEST_CASE("a missing server section reports server.url as missing", "[config][loader]") {
    auto issues = issues_of(load("telemetry:\n  interval: 30s\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key_path == "server.url");
    CHECK_THAT(issues[0].message, Catch::Contains("missing"));
}

TEST_CASE("a wrong type and an unknown key are both reported with lines", "[config][loader]") {
    auto issues =
        issues_of(load("server:\n"
                       "  url: wss://hub.example.com/v1/agent\n"
                       "telemetry:\n"
                       "  interval: [30s]\n"
                       "outbox:\n"
                       "  max_mesages: 10\n"));
    INFO(describe(issues));
    REQUIRE(issues.size() == 2);
    auto type = issue_at(issues, "telemetry.interval");
    CHECK(type.line == 4);
    CHECK(type.column == 13);
    CHECK_THAT(type.message, Catch::Contains("expected a duration") && Catch::Contains("a list"));
    auto unknown = issue_at(issues, "outbox.max_mesages");
    CHECK(unknown.line == 6);
    CHECK(unknown.column == 3);
    CHECK_THAT(unknown.message, Catch::Contains("did you mean `outbox.max_messages`?"));
}

TEST_CASE("all problems are collected, not just the first", "[config][loader]") {
    auto issues = issues_of(
        load("server:\n  url: https://x\nreconnect:\n  initial: fast\n  max: -1s\nlogging:\n"
             "  level: loud\n  colour: true\n"));
    INFO(describe(issues));
    CHECK(issues.size() == 5);
    CHECK(has_issue(issues, "logging.colour", "unknown key"));
    CHECK(has_issue(issues, "server.url", "scheme `https`"));
    CHECK(has_issue(issues, "reconnect.initial", "found `fast`"));
    CHECK(has_issue(issues, "reconnect.max", "negative"));
    CHECK(has_issue(issues, "logging.level", "one of trace, debug, info, warn, error"));
}

TEST_CASE("unknown keys suggest a close sibling", "[config][loader][suggest]") {
    auto issues = issues_of(load_with("telemetry:\n  intervall: 30s\n"));
    CHECK(has_issue(issues, "telemetry.intervall", "did you mean `telemetry.interval`?"));
}

TEST_CASE("unknown keys suggest the same key in another section", "[config][loader][suggest]") {
    auto issues = issues_of(load_with("  token_url: https://hub.example.com/token\n"));
    CHECK(has_issue(issues, "server.token_url", "did you mean `auth.token_url`?"));
}

TEST_CASE("unknown top-level keys suggest a section or a dotted key", "[config][loader][suggest]") {
    auto issues = issues_of(load_with("telemetri:\n  interval: 30s\ntelemetry_interval: 30s\n"));
    INFO(describe(issues));
    CHECK(has_issue(issues, "telemetri", "did you mean `telemetry`?"));
    CHECK(has_issue(issues, "telemetry_interval", "did you mean `telemetry.interval`?"));
}

TEST_CASE("unknown keys with nothing close list the allowed keys", "[config][loader][suggest]") {
    auto issues = issues_of(load_with("journal:\n  something: 1\n"));
    CHECK(has_issue(issues, "journal.something", "allowed here: retention, sync"));
}

TEST_CASE("enum values suggest a close value", "[config][loader][suggest]") {
    auto issues = issues_of(load_with("logging:\n  level: warning\n"));
    CHECK(has_issue(issues, "logging.level", "did you mean `warn`?"));
}

TEST_CASE("duplicate keys are refused", "[config][loader]") {
    auto issues = issues_of(load_with("telemetry:\n  interval: 30s\n  interval: 40s\n"));
    auto issue = issue_at(issues, "telemetry.interval");
    CHECK(issue.line == 5);
    CHECK_THAT(issue.message, Catch::Contains("duplicate key (first given at line 4)"));
}

TEST_CASE("duplicate sections are refused", "[config][loader]") {
    auto issues = issues_of(load_with("server:\n  insecure_plaintext: false\n"));
    CHECK(has_issue(issues, "server", "duplicate key"));
}

TEST_CASE("malformed YAML gives one error with its position", "[config][loader]") {
    auto issues = issues_of(load("server:\n  url: [wss://x\n  other: 1\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line > 0);
    CHECK(issues[0].key_path.empty());
    CHECK_THAT(issues[0].message, Catch::StartsWith("invalid YAML"));
}

TEST_CASE("malformed YAML position is 1-based", "[config][loader]") {
    auto issues = issues_of(load("server:\n  url: \"unterminated\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line >= 2);
    CHECK(issues[0].column >= 1);
}

TEST_CASE("a top level that is not a map is refused", "[config][loader]") {
    auto issues = issues_of(load("- server\n- auth\n"));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("top level") && Catch::Contains("a list"));
    CHECK(issues[0].line == 1);
    auto scalar = issues_of(load("just text"));
    CHECK_THAT(scalar[0].message, Catch::Contains("top level"));
}

TEST_CASE("an empty document is refused", "[config][loader]") {
    auto issues = issues_of(load(""));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("empty"));
    CHECK(issues_of(load("# only a comment\n")).size() == 1);
}

TEST_CASE("several YAML documents are refused", "[config][loader]") {
    auto issues = issues_of(load(std::string(kMinimal) + "---\n" + std::string(kMinimal)));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("more than one YAML document"));
}

TEST_CASE("a section that is not a map is refused", "[config][loader]") {
    auto issues = issues_of(load_with("telemetry: 30s\n"));
    CHECK(has_issue(issues, "telemetry", "expected a map of keys"));
}

TEST_CASE("non-scalar keys are refused", "[config][loader]") {
    auto issues = issues_of(load_with("? [a, b]\n: 1\n"));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("expected a key name"));
}

TEST_CASE("anchors and aliases work as in any YAML", "[config][loader]") {
    auto result = load_with("telemetry:\n  interval: &every 30s\nhealth:\n  interval: *every\n");
    REQUIRE(result.has_value());
    CHECK(result->health.interval == 30s);
}

TEST_CASE("deeply nested input is refused before parsing", "[config][loader][guard]") {
    auto issues = issues_of(load(std::string(100000, '[')));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("nested deeper"));
    std::string indented;
    for (int i = 0; i < 400; ++i) {
        indented += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    }
    auto block = issues_of(load(indented));
    REQUIRE(block.size() == 1);
    CHECK_THAT(block[0].message, Catch::Contains("nested too deeply"));
    std::string dashes;
    for (int i = 0; i < 5000; ++i) {
        dashes += "- ";
    }
    auto compact = issues_of(load(dashes + "x\n"));
    REQUIRE(compact.size() == 1);
    CHECK_THAT(compact[0].message, Catch::Contains("nested too deeply"));
}

TEST_CASE("oversized input is refused", "[config][loader][guard]") {
    std::string big(kMinimal);
    big += "# " + std::string(kMaxConfigBytes, 'x') + "\n";
    auto issues = issues_of(load(big));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("larger than"));
}

TEST_CASE("format_issue gives file:line:col: key: message", "[config][loader]") {
    CHECK(format_issue({"a.yaml", 3, 5, "server.url", "bad"}) == "a.yaml:3:5: server.url: bad");
    CHECK(format_issue({"a.yaml", 3, 5, "", "bad"}) == "a.yaml:3:5: bad");
    CHECK(format_issue({"a.yaml", 0, 0, "", "cannot open: x"}) == "a.yaml: cannot open: x");
}

TEST_CASE("issues name the source", "[config][loader]") {
    auto result = load_config_text("server: 1\n", "/etc/outpost/agent.yaml");
    REQUIRE_FALSE(result);
    CHECK_THAT(format_issue(result.error().at(0)),
               Catch::StartsWith("/etc/outpost/agent.yaml:1:9: server: expected a map"));
}

TEST_CASE("a missing file names the path and the cause", "[config][loader][file]") {
    auto issues = issues_of(load_config_file("/nonexistent/outpost/agent.yaml"));
    REQUIRE(issues.size() == 1);
    CHECK(format_issue(issues[0]) ==
          "/nonexistent/outpost/agent.yaml: cannot open: No such file or directory");
}

TEST_CASE("a directory is not a config file", "[config][loader][file]") {
    auto issues = issues_of(load_config_file("/"));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(format_issue(issues[0]), Catch::StartsWith("/: cannot read: Is a directory"));
}

// Conditions that hold for root too (CI runs as root, and root reads a file
// whatever its mode), so this case checks something on every machine.
TEST_CASE("an unreadable file names the cause", "[config][loader][file]") {
    outpost::test_support::TempDir dir("config");
    SECTION("a path through a file is not opened") {
        const auto file = dir.write("agent.yaml", kMinimal);
        const auto path = file / "agent.yaml";
        auto issues = issues_of(load_config_file(path));
        REQUIRE(issues.size() == 1);
        CHECK(format_issue(issues[0]) == path.string() + ": cannot open: Not a directory");
    }
    SECTION("a regular file whose read fails") {
        // /proc/self/mem is a regular file, but offset 0 is never mapped:
        // every read fails with EIO, for root as well.
        auto issues = issues_of(load_config_file("/proc/self/mem"));
        REQUIRE(issues.size() == 1);
        CHECK(format_issue(issues[0]) == "/proc/self/mem: cannot read: Input/output error");
    }
    SECTION("a file without read permission, for a user that is not root") {
        const auto path = dir.write("locked.yaml", kMinimal);
        std::filesystem::permissions(path, std::filesystem::perms::none);
        auto result = load_config_file(path);
        if (::geteuid() == 0) {
            // Root reads it anyway: the mode does not make it unreadable to root.
            CHECK(result.has_value());
        } else {
            auto issues = issues_of(result);
            REQUIRE(issues.size() == 1);
            CHECK(format_issue(issues[0]) == path.string() + ": cannot open: Permission denied");
        }
    }
}

TEST_CASE("a file loads like its text", "[config][loader][file]") {
    const auto path = std::filesystem::temp_directory_path() /
                      ("outpost-config-ok-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path) << kMinimal << "telemetry:\n  interval: 10s\n";
    auto result = load_config_file(path);
    std::filesystem::remove(path);
    REQUIRE(result.has_value());
    CHECK(result->telemetry.interval == 10s);
}

TEST_CASE("a stray comma where a document should be is refused, not looped on",
          "[config][loader][guard]") {
    for (const char* text : {",", ",\n", ",j t\ns\xf4\n", "-\n,\nb\n", "\n\n  ,"}) {
        INFO(text);
        auto issues = issues_of(load(text));
        REQUIRE(issues.size() == 1);
        CHECK(issues[0].line >= 1);
    }
}

TEST_CASE("a FIFO given as the config is refused at once, not waited on",
          "[config][loader][file]") {
    const auto path = std::filesystem::temp_directory_path() /
                      ("outpost-config-fifo-" + std::to_string(::getpid()) + ".yaml");
    std::filesystem::remove(path);
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    auto loading = std::async(std::launch::async, [&] { return load_config_file(path); });
    if (loading.wait_for(10s) == std::future_status::timeout) {
        // The old loader blocks in open() until a writer comes: be that
        // writer, so the test ends with a failure rather than a hang.
        const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0) ::close(fd);
        (void)loading.get();
        std::filesystem::remove(path);
        FAIL("load_config_file waited on a FIFO");
    }
    auto result = loading.get();
    std::filesystem::remove(path);
    auto issues = issues_of(result);
    REQUIRE(issues.size() == 1);
    CHECK(format_issue(issues[0]) == path.string() + ": not a regular file (a FIFO)");
}

TEST_CASE("a NUL byte in the text is refused with its position, not read as an escape",
          "[config][loader][guard]") {
    using namespace std::string_literals;
    const std::string text = std::string(kMinimal) + "node:\n  id: \"in\0fo\"\n"s;
    auto issues = issues_of(load(text));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line == 4);
    CHECK(issues[0].column == 10);
    CHECK_THAT(issues[0].message, Catch::Contains("NUL"));
}

TEST_CASE("YAML tags are refused, not silently accepted", "[config][loader]") {
    auto issues = issues_of(load_with("node:\n  id: !!python/object:os.system x\n"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line == 4);
    CHECK(issues[0].column == 7);
    CHECK_THAT(issues[0].message, Catch::Contains("!!python/object:os.system"));
    // A tag on a section is refused too.
    CHECK_FALSE(load_with("telemetry: !!map\n  interval: 10s\n"));
    CHECK_FALSE(load_with("telemetry:\n  interval: !custom 10s\n"));
}

TEST_CASE("issue text has no raw terminal controls or invalid UTF-8",
          "[config][loader][printable]") {
    // An unknown key made of ESC, C1 CSI (U+009B) and an invalid byte.
    const std::string text = std::string(kMinimal) +
                             "telemetry:\n  \"\x1b[2J\xc2\x9b"
                             "31m\xff\": 1\n";
    auto issues = issues_of(load(text));
    REQUIRE_FALSE(issues.empty());
    for (const auto& issue : issues) {
        const std::string line = format_issue(issue);
        INFO(line);
        CHECK(line.find('\x1b') == std::string::npos);
        CHECK(line.find("\xc2\x9b") == std::string::npos);
        CHECK(line.find('\xff') == std::string::npos);
        CHECK_THAT(line, Catch::Contains("\\x1b[2J"));
    }
}
