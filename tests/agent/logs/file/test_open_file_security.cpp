// A file source must not stream what a planted link points at: the agent
// reads logs as root, and the log's directory is often writable by the
// service that logs there (docs/log-streaming.md, "Security").
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "agent/logs/file/file_source.hpp"
#include "agent/logs/file/open_file.hpp"
#include "agent/transport/event_loop.hpp"
#include "file_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using outpost::logs::file::FileSource;
using outpost::logs::file::FileSourceOptions;
using outpost::logs::file::OpenFile;
using outpost::logs::file::test::append;
using outpost::logs::file::test::Follower;
using outpost::test_support::TempDir;
namespace fs = std::filesystem;

namespace {

// A root-only file standing in for the agent's identity key.
fs::path write_secret(const TempDir& dir) {
    const auto secret = dir.write("identity.key", "SECRET-SEED\n");
    fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
    return secret;
}

std::string open_error(const fs::path& path) {
    auto opened = OpenFile::open(path.string());
    REQUIRE_FALSE(opened);
    return opened.error().message();
}

}  // namespace

TEST_CASE("open_file: a symbolic link as the last component is refused") {
    TempDir dir("logs-security");
    const auto secret = write_secret(dir);
    fs::create_symlink(secret, dir.file("app.log"));
    CHECK_THAT(open_error(dir.file("app.log")), Catch::Contains("is a symbolic link"));
}

TEST_CASE("open_file: a file with a second hard link is refused") {
    TempDir dir("logs-security");
    const auto secret = write_secret(dir);
    fs::create_hard_link(secret, dir.file("app.log"));
    CHECK_THAT(open_error(dir.file("app.log")), Catch::Contains("hard links"));
}

TEST_CASE("open_file: procfs and sysfs files are refused") {
    CHECK_THAT(open_error("/proc/self/status"), Catch::Contains("procfs or sysfs"));
    CHECK_THAT(open_error("/sys/kernel/mm/transparent_hugepage/enabled"),
               Catch::Contains("procfs or sysfs"));
}

TEST_CASE("open_file: a symlinked parent directory is the operator's and still works") {
    TempDir dir("logs-security");
    fs::create_directory(dir.file("data"));
    append(dir.file("data") / "app.log", "one\n");
    fs::create_directory_symlink(dir.file("data"), dir.file("log"));
    auto opened = OpenFile::open((dir.file("log") / "app.log").string());
    REQUIRE(opened);
    CHECK(opened->has_value());
}

TEST_CASE("follow: a followed file replaced by a symlink ends the stream, sends nothing of it") {
    TempDir dir("logs-security");
    const auto secret = write_secret(dir);
    const auto path = dir.write("app.log", "before\n");
    auto loop_made = outpost::transport::EventLoop::create();
    REQUIRE(loop_made);
    auto& loop = **loop_made;
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(loop, source);
    follower.start();
    append(path, "after\n");
    REQUIRE(follower.run_until_records(1, 5s));
    // What the writer of the directory can do: delete and plant a link.
    fs::remove(path);
    fs::create_symlink(secret, path);
    REQUIRE(loop.run_until([&] { return !follower.failure.empty(); }, 5s));
    CHECK_THAT(follower.failure, Catch::Contains("is a symbolic link"));
    for (const auto& record : follower.records) {
        CHECK(record.text.find("SECRET") == std::string::npos);
    }
    CHECK(source.read(256, 64 * 1024).empty());
}
