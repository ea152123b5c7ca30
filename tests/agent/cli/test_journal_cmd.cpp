// `outpost journal accept-reset` against a real journal that went backwards.

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/cli/main.hpp"
#include "agent/journal/journal.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace j = outpost::journal;

namespace {

struct Run {
    int code;
    std::string out;
    std::string err;
};

Run run(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int code = outpost::cli::run_cli(args, out, err);
    return {code, out.str(), err.str()};
}

// A temp dir holding a state dir and a config that names it.
struct StateDir {
    outpost::test_support::TempDir temp{"cli-journal"};
    fs::path root = temp.path();
    fs::path state = root / "state";
    fs::path config = temp.write("agent.yaml",
                                 "server:\n  url: wss://hub.example.com/v1/agent\n"
                                 "node:\n  state_dir: " +
                                     state.string() + "\n");
    StateDir() { fs::create_directories(state); }
    [[nodiscard]] fs::path journal() const { return state / "journal.db"; }
};

j::CommandSpec spec(const std::string& id) {
    j::CommandSpec s;
    s.request_id = id;
    s.command = "uptime";
    return s;
}

// A journal that ran commands and whose WAL was then deleted after a
// kill -9: the files are copied while it is open, then the WAL removed.
void lose_the_wal(const StateDir& dir) {
    const fs::path live = dir.root / "live";
    fs::create_directories(live);
    auto journal = j::Journal::open(live / "journal.db", j::SyncMode::full);
    REQUIRE(journal);
    for (const char* id : {"a-1", "a-2"}) REQUIRE(journal->start_new(spec(id), {}, {}));
    for (const char* name : {"journal.db", "journal.mark"}) {
        fs::copy_file(live / name, dir.state / name);
    }
}

}  // namespace

TEST_CASE("journal accept-reset gives a journal that went backwards a new epoch") {
    StateDir dir;
    lose_the_wal(dir);
    auto refused = j::Journal::open(dir.journal(), j::SyncMode::full);
    REQUIRE(!refused);
    CHECK(refused.error().message().find("went backwards") != std::string::npos);
    const std::string old_epoch = (*j::read_mark(j::mark_path(dir.journal())))->epoch;

    const Run reset = run({"journal", "accept-reset", "--config", dir.config.string()});
    INFO(reset.err);
    REQUIRE(reset.code == 0);
    CHECK(reset.out.find("new epoch ") != std::string::npos);
    CHECK(reset.out.find("(was " + old_epoch + ")") != std::string::npos);

    auto opened = j::Journal::open(dir.journal(), j::SyncMode::full);
    REQUIRE(opened);
    CHECK(opened->mark().epoch != old_epoch);
    CHECK(reset.out.find(opened->mark().epoch) != std::string::npos);
}

TEST_CASE("journal accept-reset refuses while the agent holds the journal") {
    StateDir dir;
    auto running = j::Journal::open(dir.journal(), j::SyncMode::full);
    REQUIRE(running);
    const Run reset = run({"journal", "accept-reset", "--config", dir.config.string()});
    CHECK(reset.code == 1);
    CHECK(reset.err.find("locked by another process") != std::string::npos);
    CHECK((*j::read_mark(j::mark_path(dir.journal())))->epoch == running->mark().epoch);
}

TEST_CASE("journal without its action, or with another, is a usage error") {
    StateDir dir;
    CHECK(run({"journal", "--config", dir.config.string()}).code == 2);
    const Run other = run({"journal", "reset", "--config", dir.config.string()});
    CHECK(other.code == 2);
    CHECK(other.err.find("accept-reset") != std::string::npos);
    CHECK(run({"journal", "accept-reset", "extra", "--config", dir.config.string()}).code == 2);
    CHECK(run({"status", "accept-reset"}).code == 2);  // only `journal` takes an action
}
