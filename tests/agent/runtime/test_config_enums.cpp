// One type per concept: logging.level/format are the log's own enums and
// journal.sync the journal's, so the config hands them over unconverted.
// The YAML names are pinned here: they are the config file's public words.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <utility>

#include "agent/config/loader.hpp"
#include "agent/journal/sync_mode.hpp"
#include "agent/log/level.hpp"

using namespace outpost;

static_assert(std::is_same_v<config::LogLevel, log::Level>);
static_assert(std::is_same_v<config::LogFormat, log::Format>);
static_assert(std::is_same_v<config::JournalSync, journal::SyncMode>);

namespace {

config::Config load(const std::string& extra) {
    auto loaded = config::load_config_text(
        "server:\n  url: wss://hub.example.com/v1/agent\n" + extra, "test.yaml");
    REQUIRE(loaded);
    return *loaded;
}

}  // namespace

TEST_CASE("config enums: logging.level's YAML names are the log's levels", "[config_enums]") {
    const std::pair<std::string, log::Level> names[] = {{"trace", log::Level::trace},
                                                        {"debug", log::Level::debug},
                                                        {"info", log::Level::info},
                                                        {"warn", log::Level::warn},
                                                        {"error", log::Level::error}};
    for (const auto& [name, level] : names) {
        INFO(name);
        CHECK(load("logging:\n  level: " + name + "\n").logging.level == level);
        // The log reads and writes the same names (JSON lines, config_update).
        CHECK(log::to_string(level) == name);
        CHECK(log::parse_level(name) == level);
    }
    CHECK_FALSE(config::load_config_text(
        "server:\n  url: wss://hub.example.com/v1/agent\nlogging:\n  level: warning\n",
        "test.yaml"));
}

TEST_CASE("config enums: logging.format's YAML names", "[config_enums]") {
    CHECK(load("logging:\n  format: text\n").logging.format == log::Format::text);
    CHECK(load("logging:\n  format: json\n").logging.format == log::Format::json);
}

TEST_CASE("config enums: journal.sync's YAML names are the journal's sync modes",
          "[config_enums]") {
    for (const auto mode : {journal::SyncMode::full, journal::SyncMode::normal}) {
        const std::string name(journal::to_string(mode));
        INFO(name);
        CHECK(load("journal:\n  sync: " + name + "\n").journal.sync == mode);
        CHECK(journal::parse_sync_mode(name) == mode);
    }
    CHECK(journal::to_string(journal::SyncMode::full) == "full");
    CHECK(journal::to_string(journal::SyncMode::normal) == "normal");
}
