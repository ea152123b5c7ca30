// Following a file on a real EventLoop with a real inotify: new lines,
// partial lines, a file that comes and goes, junk and huge lines.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "agent/common/json/utf8.hpp"
#include "agent/logs/file/file_source.hpp"
#include "agent/transport/event_loop.hpp"
#include "file_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using outpost::logs::file::FileSource;
using outpost::logs::file::FileSourceOptions;
using outpost::logs::file::test::append;
using outpost::logs::file::test::Follower;
using outpost::logs::file::test::texts;
using outpost::test_support::TempDir;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<outpost::transport::EventLoop> make_loop() {
    auto loop = outpost::transport::EventLoop::create();
    REQUIRE(loop);
    return std::move(*loop);
}

std::vector<std::string> lines(std::initializer_list<const char*> items) {
    return std::vector<std::string>(items.begin(), items.end());
}

// Resident set size of this process, in KiB.
long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            long value = 0;
            status >> value;
            return value;
        }
    }
    return -1;
}

}  // namespace

TEST_CASE("follow: lines appended after the history come once, in order") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "old\n");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    append(path, "new 1\n");
    append(path, "new 2\nnew 3\n");
    REQUIRE(follower.run_until_records(3, 5s));
    CHECK(texts(follower.records) == lines({"new 1", "new 2", "new 3"}));
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("follow: a partial line waits for its end") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    append(path, "hel");
    loop->run_until([] { return false; }, 100ms);
    CHECK(follower.records.empty());
    append(path, "lo\n");
    REQUIRE(follower.run_until_records(1, 5s));
    CHECK(follower.records[0].text == "hello");
    CHECK_FALSE(follower.records[0].partial);
}

TEST_CASE("follow: a partial line is sent after the timeout and its rest is a new line") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 200ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    const auto start = std::chrono::steady_clock::now();
    append(path, "prompt> ");
    REQUIRE(follower.run_until_records(1, 5s));
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
    CHECK(follower.records[0].text == "prompt> ");
    CHECK(follower.records[0].partial);
    append(path, "answer\n");
    REQUIRE(follower.run_until_records(2, 5s));
    CHECK(follower.records[1].text == "answer");
    CHECK_FALSE(follower.records[1].partial);
}

TEST_CASE("follow: a file that appears later is read from its start") {
    TempDir dir("logs-follow");
    const auto path = dir.file("later.log");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    auto history = source.history(10);
    REQUIRE(history);
    CHECK(history->empty());
    Follower follower(*loop, source);
    follower.start();
    loop->run_until([] { return false; }, 50ms);
    append(path, "first\nsecond\n");
    REQUIRE(follower.run_until_records(2, 5s));
    CHECK(texts(follower.records) == lines({"first", "second"}));
    CHECK(source.counters().rotations == 0);
}

TEST_CASE("follow: a file in a directory that does not exist yet is waited for") {
    TempDir dir("logs-follow");
    const auto path = dir.file("sub") / "app.log";
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    loop->run_until([] { return false; }, 50ms);
    fs::create_directory(dir.file("sub"));
    append(path, "made it\n");
    REQUIRE(follower.run_until_records(1, 5s));
    CHECK(follower.records[0].text == "made it");
}

TEST_CASE("follow: a file deleted and recreated is followed into the new one") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "a\n");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    append(path, "b\n");
    REQUIRE(follower.run_until_records(1, 5s));
    fs::remove(path);
    loop->run_until([] { return false; }, 50ms);
    CHECK(source.backlog_bytes() == 0);
    append(path, "c\n");
    REQUIRE(follower.run_until_records(2, 5s));
    CHECK(texts(follower.records) == lines({"b", "c"}));
    CHECK(source.counters().rotations == 1);
    CHECK(follower.failure.empty());
}

TEST_CASE("follow: rename-and-create drains the old file before the new one") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    append(path, "1\n");
    REQUIRE(follower.run_until_records(1, 5s));
    fs::rename(path, dir.file("app.log.1"));
    append(path, "");  // created, still empty: the writer has not moved yet
    loop->run_until([] { return false; }, 50ms);
    append(dir.file("app.log.1"), "2\n");  // the writer still writes the old one
    REQUIRE(follower.run_until_records(2, 5s));
    append(path, "3\n");  // and now the new one
    REQUIRE(follower.run_until_records(3, 5s));
    append(path, "4\n");
    REQUIRE(follower.run_until_records(4, 5s));
    CHECK(texts(follower.records) == lines({"1", "2", "3", "4"}));
    CHECK(source.counters().rotations == 1);
}

TEST_CASE("follow: a truncated file is read again from its start") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    append(path, "first line\n");
    REQUIRE(follower.run_until_records(1, 5s));
    REQUIRE(::truncate(path.c_str(), 0) == 0);
    append(path, "again\n");
    REQUIRE(follower.run_until_records(2, 5s));
    CHECK(texts(follower.records) == lines({"first line", "again"}));
    CHECK(source.counters().truncations == 1);
    CHECK(source.counters().lost == 0);
}

TEST_CASE("follow: binary junk gives valid, capped UTF-8 and no crash") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 300, 100ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    std::mt19937 random(16);
    std::string junk(4 << 20, '\0');
    for (auto& byte : junk) byte = static_cast<char>(random());
    append(path, junk);
    append(path, "\nend\n");
    REQUIRE(loop->run_until(
        [&] { return !follower.records.empty() && follower.records.back().text == "end"; }, 20s));
    std::uint64_t accounted = 0;
    for (const auto& record : follower.records) {
        CHECK(outpost::json::utf8::find_invalid(record.text) == std::string::npos);
        CHECK(record.text.size() <= 300);
        accounted += record.cut_bytes;
    }
    CHECK(accounted > 0);
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("follow: a 1 GiB line without a newline does not grow memory") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 256, 100ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    loop->run_until([] { return false; }, 20ms);
    const long rss_before = rss_kib();
    REQUIRE(::truncate(path.c_str(), 1LL << 30) == 0);  // 1 GiB of NULs, sparse
    REQUIRE(follower.run_until_records(1, 60s));
    const long rss_after = rss_kib();
    REQUIRE(follower.records.size() == 1);
    CHECK(follower.records[0].text == std::string(256, '\0'));
    CHECK(follower.records[0].cut_bytes == (1ull << 30) - 256);
    CHECK(follower.records[0].partial);
    INFO("RSS before " << rss_before << " KiB, after " << rss_after << " KiB");
    CHECK(rss_after - rss_before < 16 * 1024);
    CHECK(source.bytes_read() == 1ull << 30);
}

TEST_CASE("follow: two rotations while the stream is paused lose nothing") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(10));
    Follower follower(*loop, source);
    follower.start();
    follower.paused = true;
    append(path, "a\n");
    loop->run_until([] { return false; }, 30ms);
    // First rotation: the writer moves to the new file at once.
    fs::rename(path, dir.file("app.log.1"));
    append(path, "b\n");
    loop->run_until([] { return false; }, 30ms);
    // Second rotation before the stream read anything: "b" is only in the
    // file now called app.log.2.
    fs::rename(dir.file("app.log.1"), dir.file("app.log.2"));
    fs::rename(path, dir.file("app.log.1"));
    append(path, "c\n");
    loop->run_until([] { return false; }, 30ms);
    follower.paused = false;
    follower.drain();
    CHECK(texts(follower.records) == lines({"a", "b", "c"}));
    CHECK(source.counters().rotations == 2);
}
