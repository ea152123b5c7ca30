// Following a file on a real EventLoop with a real inotify: new lines,
// partial lines, a file that comes and goes, junk and huge lines.
#include <fmt/format.h>
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

// A file with `initial` in it, a loop, and a source following it after a
// history of `history_lines`: the set-up most cases share.
struct Followed {
    explicit Followed(const std::string& initial, std::uint32_t history_lines = 10,
                      std::uint32_t max_line_bytes = 1024,
                      std::chrono::milliseconds partial_line_timeout = 2000ms)
        : path(dir.write("app.log", initial)),
          source(FileSourceOptions{path.string(), max_line_bytes, partial_line_timeout}),
          follower(*loop, source) {
        REQUIRE(source.history(history_lines));
        follower.start();
    }

    TempDir dir{"logs-follow"};
    const fs::path path;
    std::unique_ptr<outpost::transport::EventLoop> loop = make_loop();
    FileSource source;
    Follower follower;
};

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
    Followed followed("old\n");
    auto& [dir, path, loop, source, follower] = followed;
    append(path, "new 1\n");
    append(path, "new 2\nnew 3\n");
    REQUIRE(follower.run_until_records(3, 5s));
    CHECK(texts(follower.records) == lines({"new 1", "new 2", "new 3"}));
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("follow: a partial line waits for its end") {
    Followed followed("");
    auto& [dir, path, loop, source, follower] = followed;
    append(path, "hel");
    loop->run_until([] { return false; }, 100ms);
    CHECK(follower.records.empty());
    append(path, "lo\n");
    REQUIRE(follower.run_until_records(1, 5s));
    CHECK(follower.records[0].text == "hello");
    CHECK_FALSE(follower.records[0].partial);
}

TEST_CASE("follow: a partial line is sent after the timeout and its rest is a new line") {
    Followed followed("", 10, 1024, 200ms);
    auto& [dir, path, loop, source, follower] = followed;
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
    Followed followed("a\n");
    auto& [dir, path, loop, source, follower] = followed;
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
    Followed followed("");
    auto& [dir, path, loop, source, follower] = followed;
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
    Followed followed("");
    auto& [dir, path, loop, source, follower] = followed;
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
    Followed followed("", 10, 300, 100ms);
    auto& [dir, path, loop, source, follower] = followed;
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
    Followed followed("", 10, 256, 100ms);
    auto& [dir, path, loop, source, follower] = followed;
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
    Followed followed("");
    auto& [dir, path, loop, source, follower] = followed;
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

TEST_CASE("follow: lines written between history and follow come once") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "1\n2\n");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    auto history = source.history(1);
    REQUIRE(history);
    CHECK(texts(*history) == lines({"2"}));
    append(path, "3\n");
    Follower follower(*loop, source);
    follower.start();
    append(path, "4\n");
    REQUIRE(follower.run_until_records(2, 5s));
    loop->run_until([] { return false; }, 50ms);
    CHECK(texts(follower.records) == lines({"3", "4"}));
}

TEST_CASE("follow: a file deleted and not recreated is drained, closed and waited for") {
    Followed followed("", 0, 1024, 2000ms);
    auto& [dir, path, loop, source, follower] = followed;
    follower.paused = true;
    append(path, "last words\n");
    loop->run_until([] { return false; }, 30ms);
    fs::remove(path);
    loop->run_until([] { return false; }, 30ms);
    follower.paused = false;
    follower.drain();
    CHECK(texts(follower.records) == lines({"last words"}));
    // Its space is freed: no descriptor of this process names it any more.
    for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
        std::error_code error;
        const auto target = fs::read_symlink(entry.path(), error);
        CHECK(target.string().find(path.string()) == std::string::npos);
    }
    CHECK(follower.failure.empty());
    append(path, "back\n");
    REQUIRE(follower.run_until_records(2, 5s));
    CHECK(follower.records[1].text == "back");
}

TEST_CASE("read: takes about max_bytes plus one block from the file, whatever is there") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(0));
    std::string chunk;
    for (int i = 0; i < 1000; ++i) chunk += "a line of some forty bytes of log text\n";
    for (int i = 0; i < 100; ++i) append(path, chunk);   // 3.9 MB
    const std::size_t line_bytes = chunk.size() / 1000;  // with its LF
    const auto before = source.bytes_read();
    const auto batch = source.read(1000000, 16 * 1024);
    // Lines until their text reaches the budget: the one crossing it is whole.
    CHECK(batch.size() == (16 * 1024 + line_bytes - 2) / (line_bytes - 1));
    CHECK(source.bytes_read() - before <= 16 * 1024 + 64 * 1024);
    CHECK(source.backlog_bytes() == 100 * chunk.size() - batch.size() * line_bytes);
    const auto counted = source.read(10, SIZE_MAX);
    CHECK(counted.size() == 10);
}

TEST_CASE("follow: a directory removed and made again is watched again") {
    TempDir dir("logs-follow");
    fs::create_directory(dir.file("sub"));
    const auto path = dir.file("sub") / "app.log";
    append(path, "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(0));
    Follower follower(*loop, source);
    follower.start();
    append(path, "before\n");
    REQUIRE(follower.run_until_records(1, 5s));
    fs::remove_all(dir.file("sub"));
    loop->run_until([] { return false; }, 50ms);
    fs::create_directory(dir.file("sub"));
    append(path, "after\n");
    REQUIRE(follower.run_until_records(2, 5s));
    CHECK(texts(follower.records) == lines({"before", "after"}));
    CHECK(follower.failure.empty());
}

// Issue 16: under logrotate's `create` with a writer at full speed, files
// were created at the path, written and renamed away before the loop looked
// at the path, and only the newest was read.
TEST_CASE("follow: files created, written and renamed away before the loop runs are all read") {
    Followed followed("0\n", 0, 1024, 2000ms);
    auto& [dir, path, loop, source, follower] = followed;
    follower.paused = true;
    loop->run_until([] { return false; }, 20ms);
    // Six rotations, `rotate 9`, each file written once; the loop does not
    // run in between.
    constexpr int kRotations = 6;
    for (int i = 1; i <= kRotations; ++i) {
        for (int n = kRotations; n >= 1; --n) {
            if (fs::exists(dir.file("app.log." + std::to_string(n)))) {
                fs::rename(dir.file("app.log." + std::to_string(n)),
                           dir.file("app.log." + std::to_string(n + 1)));
            }
        }
        fs::rename(path, dir.file("app.log.1"));
        append(path, std::to_string(i) + "\n");
    }
    follower.paused = false;
    loop->run_until([] { return false; }, 20ms);
    follower.drain();
    CHECK(texts(follower.records) == lines({"1", "2", "3", "4", "5", "6"}));
    CHECK(source.counters().rotations == kRotations);
    CHECK(source.missed_files() == 0);
}

TEST_CASE("follow: a file deleted before it could be opened is missed, the others kept in order") {
    Followed followed("", 0, 1024, 2000ms);
    auto& [dir, path, loop, source, follower] = followed;
    follower.paused = true;
    append(path, "a\n");
    loop->run_until([] { return false; }, 20ms);
    // "b" goes to a file that is rotated out and deleted before the loop
    // runs (logrotate's `rotate 1`, twice): nobody can read it any more.
    fs::rename(path, dir.file("app.log.1"));
    append(path, "b\n");
    fs::rename(path, dir.file("app.log.1"));
    fs::remove(dir.file("app.log.1"));
    append(path, "c\n");
    follower.paused = false;
    loop->run_until([] { return false; }, 20ms);
    follower.drain();
    CHECK(texts(follower.records) == lines({"a", "c"}));
    CHECK(source.missed_files() == 1);
}

TEST_CASE("skip: whole lines are jumped over and counted, the next read starts on a line") {
    TempDir dir("logs-follow");
    const auto path = dir.write("app.log", "");
    auto loop = make_loop();
    FileSource source(FileSourceOptions{path.string(), 1024, 2000ms});
    REQUIRE(source.history(0));
    std::string text;
    for (int i = 0; i < 20000; ++i) text += fmt::format("line {:05}\n", i);  // 11 bytes each
    append(path, text);
    const auto first = source.skip(100, SIZE_MAX);
    CHECK(first.records == 100);
    CHECK(first.bytes == 1100);
    // 5 000 bytes hold 454 whole lines: the 455th is left whole to read().
    const auto second = source.skip(SIZE_MAX, 5000);
    CHECK(second.records == 454);
    CHECK(second.bytes == 454 * 11);
    CHECK(texts(source.read(1, 1024)) == lines({"line 00554"}));
    // Past the blocks of the file: all the rest, and nothing more.
    const auto rest = source.skip(SIZE_MAX, SIZE_MAX);
    CHECK(rest.records == 20000 - 555);
    CHECK(source.backlog_bytes() == 0);
    CHECK(source.read(10, 1024).empty());
}

TEST_CASE("skip: a line held partly read ends first, a successor is moved to") {
    Followed followed("", 0, 1024, 2000ms);
    auto& [dir, path, loop, source, follower] = followed;
    follower.paused = true;
    append(path, "a\nhalf");
    CHECK(texts(source.read(10, 1024)) == lines({"a"}));  // "half" is held
    append(path, " done\nb\n");
    // Read and discarded: "half done" is dropped as a whole line, not as " done".
    CHECK(source.skip(1, SIZE_MAX).records == 1);
    CHECK(texts(source.read(10, 1024)) == lines({"b"}));
    fs::rename(path, dir.file("app.log.1"));
    append(path, "c\nd\n");
    loop->run_until([] { return false; }, 20ms);
    CHECK(source.skip(1, SIZE_MAX).records == 1);
    CHECK(texts(source.read(10, 1024)) == lines({"d"}));
}
