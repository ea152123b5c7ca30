// journal_directory's files are parsed as root: a directory someone else may
// write is refused at open (docs/log-streaming.md, "Security").
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "agent/config/config.hpp"
#include "agent/logs/journal/journal_source.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using outpost::logs::JournalSource;
using outpost::test_support::TempDir;

namespace {

outpost::config::LogSourceEntry entry_for(const std::filesystem::path& directory) {
    return outpost::config::LogSourceEntry{.name = "app",
                                           .kind = outpost::config::LogSourceKind::journal,
                                           .path = {},
                                           .unit = "app.service",
                                           .journal_directory = directory.string(),
                                           .max_line_bytes = 16384,
                                           .lines_per_second = 1000};
}

}  // namespace

TEST_CASE("journal directory: the agent's own, writable only by it, opens", "[logs][journal]") {
    TempDir dir("journal-dir");
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    CHECK(JournalSource::open(entry_for(dir.path())));
}

TEST_CASE("journal directory: writable by others is refused with why", "[logs][journal]") {
    TempDir dir("journal-dir");
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    auto source = JournalSource::open(entry_for(dir.path()));
    REQUIRE_FALSE(source);
    CHECK(source.error().kind() == outpost::ErrorKind::permission);
    CHECK_THAT(source.error().message(), Catch::Contains("writable by group or others"));
}

TEST_CASE("journal directory: writable by its group is refused", "[logs][journal]") {
    TempDir dir("journal-dir");
    REQUIRE(::chmod(dir.path().c_str(), 0775) == 0);
    CHECK_FALSE(JournalSource::open(entry_for(dir.path())));
}

TEST_CASE("journal directory: owned by another user is refused", "[logs][journal]") {
    if (::geteuid() != 0) OUTPOST_SKIP("only root can give a directory away");
    TempDir dir("journal-dir");
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    REQUIRE(::chown(dir.path().c_str(), 65534, 65534) == 0);
    auto source = JournalSource::open(entry_for(dir.path()));
    REQUIRE_FALSE(source);
    CHECK_THAT(source.error().message(), Catch::Contains("not by root"));
    REQUIRE(::chown(dir.path().c_str(), 0, 0) == 0);  // TempDir removes it
}
