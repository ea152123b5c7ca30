// The example config (packaging/agent.yaml) is generated from the schema;
// these tests keep it loadable, complete, and identical to the generator.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "agent/config/schema.hpp"
#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;

namespace {

const std::string kPackagedPath = std::string(OUTPOST_SOURCE_DIR) + "/packaging/agent.yaml";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Turns every commented-out key (`#key: v`, `#- key: v`) into a live one by
// deleting the `#`; prose comments (`# text`, or a lone `#`) stay comments.
std::string uncomment_keys(const std::string& text) {
    std::istringstream in(text);
    std::string out;
    std::string line;
    while (std::getline(in, line)) {
        const auto hash = line.find_first_not_of(' ');
        if (hash != std::string::npos && line[hash] == '#' && hash + 1 < line.size() &&
            line[hash + 1] != ' ') {
            line.erase(hash, 1);
        }
        out += line + "\n";
    }
    return out;
}

void collect_keys(const YAML::Node& map, const std::string& prefix, std::set<std::string>& out) {
    for (const auto& pair : map) {
        const std::string path = prefix + pair.first.as<std::string>();
        const YAML::Node& value = pair.second;
        if (value.IsMap()) {
            collect_keys(value, path + ".", out);
            continue;
        }
        out.insert(path);
        if (value.IsSequence() && value.size() > 0 && value[0].IsMap()) {
            for (const auto& item : value) {
                collect_keys(item, path + "[].", out);
            }
        }
    }
}

}  // namespace

TEST_CASE("packaging/agent.yaml is exactly render_example_yaml()", "[config][example]") {
    // After a schema change, regenerate the file by running this test with
    // OUTPOST_WRITE_EXAMPLE=1 (see docs/configuration.md), then review the diff.
    if (std::getenv("OUTPOST_WRITE_EXAMPLE") != nullptr) {
        std::ofstream(kPackagedPath, std::ios::binary) << render_example_yaml();
    }
    CHECK(read_file(kPackagedPath) == render_example_yaml());
}

TEST_CASE("the example config loads", "[config][example]") {
    auto result = load_config_file(kPackagedPath);
    if (!result) {
        FAIL(describe(result.error()));
    }
    CHECK(result->server.url == "wss://hub.example.com/v1/agent");
    CHECK(result->executor.commands.empty());
}

TEST_CASE("the example config lists every schema key", "[config][example]") {
    const std::string live = uncomment_keys(render_example_yaml());
    std::set<std::string> listed;
    collect_keys(YAML::Load(live), "", listed);
    const auto paths = all_key_paths();
    const std::set<std::string> schema(paths.begin(), paths.end());
    CHECK(listed == schema);
}

TEST_CASE("every example value in the example config is valid", "[config][example]") {
    auto result = load(uncomment_keys(render_example_yaml()));
    if (!result) {
        FAIL(describe(result.error()));
    }
    CHECK(result->executor.commands.size() == 1);
    CHECK(result->security.command_public_key.has_value());
    CHECK(result->security.server_seal_key.has_value());
}

TEST_CASE("uncommenting leaves prose alone", "[config][example]") {
    CHECK(uncomment_keys("  # The URL.\n  #url: x\n    #- a: 1\n      #b: 2\n#\n#   more\n") ==
          "  # The URL.\n  url: x\n    - a: 1\n      b: 2\n#\n#   more\n");
}

TEST_CASE("the example config keeps lines short", "[config][example]") {
    std::istringstream in(render_example_yaml());
    std::string line;
    while (std::getline(in, line)) {
        INFO(line);
        CHECK(line.size() <= 100);
    }
}

TEST_CASE("the schema has every key the protocol names", "[config][schema]") {
    const auto paths = all_key_paths();
    const std::set<std::string> unique(paths.begin(), paths.end());
    CHECK(unique.size() == paths.size());
    for (const char* key : {"server.url",
                            "server.ca_file",
                            "server.pin_sha256",
                            "server.client_cert",
                            "server.client_key",
                            "server.insecure_plaintext",
                            "server.proxy",
                            "server.poll_url",
                            "server.poll_after",
                            "server.poll_interval",
                            "server.transport",
                            "auth.mode",
                            "auth.audience",
                            "auth.token_ttl",
                            "auth.token_url",
                            "auth.token_file",
                            "security.command_public_key",
                            "security.server_seal_key",
                            "reconnect.initial",
                            "reconnect.max",
                            "reconnect.revoked_interval",
                            "reconnect.incompatible_interval",
                            "telemetry.interval",
                            "health.interval",
                            "outbox.max_messages",
                            "outbox.max_bytes",
                            "outbox.flush_rate",
                            "journal.retention",
                            "journal.sync",
                            "protocol.max_message_bytes",
                            "node.id",
                            "node.state_dir",
                            "status.socket",
                            "logging.level",
                            "logging.format",
                            "executor.max_concurrent",
                            "executor.max_queued",
                            "executor.max_queued_stdin_bytes",
                            "executor.commands",
                            "executor.commands[].name",
                            "executor.commands[].path",
                            "executor.commands[].args",
                            "executor.commands[].description",
                            "executor.commands[].timeout",
                            "executor.commands[].max_timeout",
                            "executor.commands[].max_output_bytes",
                            "executor.commands[].run_as"}) {
        INFO(key);
        CHECK(unique.count(key) == 1);
    }
}

TEST_CASE("every key is documented", "[config][schema]") {
    const auto check = [](const KeyDoc& doc, const auto& self) -> void {
        INFO(doc.key);
        CHECK_FALSE(doc.description.empty());
        CHECK_FALSE(doc.type.empty());
        if (doc.presence == Presence::required || doc.presence == Presence::optional ||
            doc.presence == Presence::derived) {
            CHECK_FALSE(doc.example.empty());
        }
        if (doc.presence == Presence::defaulted) {
            // The loader applies defaults as scalar nodes (field.hpp).
            CHECK(YAML::Load(doc.default_value).IsScalar());
        }
        for (const auto& child : doc.children) {
            self(child, self);
        }
    };
    for (const auto& section : schema_docs()) {
        check(section, check);
    }
}
