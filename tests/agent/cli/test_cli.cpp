#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/cli/main.hpp"
#include "agent/cli/options.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
    int code;
    std::string out;
    std::string err;
};

Run run(std::vector<std::string> args) {
    std::ostringstream out, err;
    int code = outpost::cli::run_cli(args, out, err);
    return {code, out.str(), err.str()};
}

using outpost::test_support::TempDir;

const std::string kExample = OUTPOST_SOURCE_DIR "/packaging/agent.yaml";

}  // namespace

TEST_CASE("version prints the agent version") {
    auto r = run({"version"});
    CHECK(r.code == 0);
    CHECK(r.out.rfind("outpost ", 0) == 0);
}

TEST_CASE("no command prints usage and exits 2") {
    auto r = run({});
    CHECK(r.code == 2);
    CHECK(r.err.find("usage: outpost") != std::string::npos);
}

TEST_CASE("an unknown command is named") {
    auto r = run({"frobnicate"});
    CHECK(r.code == 2);
    CHECK(r.err.find("unknown command 'frobnicate'") != std::string::npos);
}

TEST_CASE("an unknown option is named") {
    auto r = run({"check-config", "--bogus"});
    CHECK(r.code == 2);
    CHECK(r.err.find("'--bogus'") != std::string::npos);
    CHECK(run({"check-config", "--config"}).code == 2);
}

TEST_CASE("check-config accepts the documented example") {
    auto r = run({"check-config", "--config", kExample});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "OK\n");
}

TEST_CASE("check-config names both a wrong type and an unknown key") {
    TempDir dir;
    auto path = dir.write("bad.yaml",
                          "server:\n  url: wss://hub.example.com/v1/agent\n"
                          "telemetry:\n  interval: [1, 2]\n"
                          "reconect:\n  initial: 1s\n");
    auto r = run({"check-config", "--config=" + path.string()});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("telemetry.interval") != std::string::npos);
    CHECK(r.err.find("reconect") != std::string::npos);
    CHECK(r.err.find("did you mean") != std::string::npos);
    CHECK(r.err.find(path.string() + ":4:") != std::string::npos);
}

TEST_CASE("check-config on a missing file says which file") {
    auto r = run({"check-config", "--config", "/nonexistent/agent.yaml"});
    CHECK(r.code == 2);
    CHECK(r.err.find("/nonexistent/agent.yaml") != std::string::npos);
}

TEST_CASE("identity creates the key once and prints the same identity again") {
    TempDir dir;
    auto config = dir.write("agent.yaml",
                            "server:\n  url: wss://hub.example.com/v1/agent\n"
                            "node:\n  state_dir: " +
                                (dir.path() / "state").string() + "\n");
    auto first = run({"identity", "--config", config.string()});
    INFO(first.err);
    REQUIRE(first.code == 0);
    CHECK(first.out.find("node_id: ") == 0);
    CHECK(first.out.find("\npublic_key: ") != std::string::npos);
    auto second = run({"identity", "--config", config.string()});
    CHECK(second.out == first.out);

    struct stat st {};
    REQUIRE(::stat((dir.path() / "state" / "identity.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("enroll (protocol.md §2) creates the identity that identity then prints") {
    TempDir dir;
    auto config = dir.write("agent.yaml",
                            "server:\n  url: wss://hub.example.com/v1/agent\n"
                            "node:\n  state_dir: " +
                                (dir.path() / "state").string() + "\n");
    auto enrolled = run({"enroll", "--config", config.string()});
    INFO(enrolled.err);
    REQUIRE(enrolled.code == 0);
    CHECK(enrolled.out.find("node_id: ") == 0);
    CHECK(run({"identity", "--config", config.string()}).out == enrolled.out);
    CHECK(run({"enroll", "--config", config.string()}).out == enrolled.out);  // once
    fs::permissions(dir.path() / "state" / "identity.key", fs::perms(0644));
    auto refused = run({"enroll", "--config", config.string()});
    CHECK(refused.code == 1);
    CHECK(refused.err.find("outpost enroll: ") == 0);
}

TEST_CASE("identity refuses a key file readable by others") {
    TempDir dir;
    auto config = dir.write("agent.yaml",
                            "server:\n  url: wss://hub.example.com/v1/agent\n"
                            "node:\n  state_dir: " +
                                (dir.path() / "state").string() + "\n");
    REQUIRE(run({"identity", "--config", config.string()}).code == 0);
    fs::permissions(dir.path() / "state" / "identity.key", fs::perms(0644));
    auto r = run({"identity", "--config", config.string()});
    CHECK(r.code == 1);
    CHECK(r.err.find("identity.key") != std::string::npos);
    CHECK(r.out.empty());
}

TEST_CASE("status: no agent answering is exit 3 with the reason") {
    TempDir tmp;
    Run r = run({"status", "--socket", (tmp.path() / "status.sock").string()});
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.find("no status socket at " + (tmp.path() / "status.sock").string()) !=
          std::string::npos);
}

TEST_CASE("status: bad options and a missing config are usage errors") {
    CHECK(run({"status", "--socket"}).code == 2);
    CHECK(run({"status", "--frob"}).code == 2);
    TempDir tmp;
    Run r = run({"status", "--config", (tmp.path() / "missing.yaml").string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("--socket PATH") != std::string::npos);
}

TEST_CASE("metrics: no agent answering is exit 3, bad options exit 2") {
    TempDir tmp;
    Run r = run({"metrics", "--socket", (tmp.path() / "status.sock").string()});
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.find("outpost metrics: no status socket at ") != std::string::npos);
    CHECK(run({"metrics", "--json"}).code == 2);  // metrics are text only
    CHECK(run({"metrics", "--config", (tmp.path() / "missing.yaml").string()}).code == 2);
}

TEST_CASE("check-config refuses a FIFO at once with exit 2") {
    TempDir dir;
    const fs::path fifo = dir.path() / "agent.yaml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Nobody ever writes to the FIFO: the old loader waited here for good
    // (ctest's timeout ends it).
    auto r = run({"check-config", "--config", fifo.string()});
    CHECK(r.code == outpost::kExitUsage);
    CHECK(r.err.find("not a regular file (a FIFO)") != std::string::npos);
}

TEST_CASE("check-config prints no raw terminal controls from the file or the path") {
    TempDir dir;
    const auto path = dir.write("agent\x1b[2J.yaml",
                                "server:\n  url: wss://hub.example.com/v1/agent\n"
                                "telemetry:\n  \"\x1b]0;owned\x07\xc2\x9b"
                                "31m\xff\": 1\n");
    auto r = run({"check-config", "--config", path.string()});
    INFO(r.err);
    CHECK(r.code == outpost::kExitUsage);
    CHECK(r.err.find('\x1b') == std::string::npos);
    CHECK(r.err.find('\x07') == std::string::npos);
    CHECK(r.err.find("\xc2\x9b") == std::string::npos);
    CHECK(r.err.find('\xff') == std::string::npos);
    CHECK(r.err.find("\\x1b]0;owned") != std::string::npos);
}

TEST_CASE("a bad option is an invalid_input error naming it") {
    auto parsed = outpost::cli::parse_options({"--config"}, {.config = true});
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind() == outpost::ErrorKind::invalid_input);
    CHECK(parsed.error().message() == "--config needs a file path");
    auto r = run({"check-config", "--bogus\x1b[2J"});
    CHECK(r.code == outpost::kExitUsage);
    CHECK(r.err == "outpost check-config: unexpected argument '--bogus\\x1b[2J'\n");
}
