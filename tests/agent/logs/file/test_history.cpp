// history(): the last lines, read backwards in bounded blocks.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "agent/logs/file/file_source.hpp"
#include "agent/logs/file/history_reader.hpp"
#include "file_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using outpost::logs::file::FileSource;
using outpost::logs::file::FileSourceOptions;
using outpost::logs::file::test::age_file;
using outpost::logs::file::test::texts;
using outpost::test_support::TempDir;

namespace {

FileSource source_for(const std::filesystem::path& path, std::size_t cap = 16384) {
    return FileSource(FileSourceOptions{path.string(), cap, 2000ms});
}

std::vector<std::string> history_texts(FileSource& source, std::uint32_t lines) {
    auto records = source.history(lines);
    REQUIRE(records);
    return texts(*records);
}

}  // namespace

TEST_CASE("history: the last lines, oldest first") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "one\ntwo\nthree\nfour\n");
    auto source = source_for(path);
    CHECK(history_texts(source, 2) == std::vector<std::string>{"three", "four"});
}

TEST_CASE("history: a file with fewer lines than asked gives them all") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "one\ntwo\n");
    auto source = source_for(path);
    CHECK(history_texts(source, 10) == std::vector<std::string>{"one", "two"});
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("history: an empty file and a missing file have none") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "");
    auto empty = source_for(path);
    CHECK(history_texts(empty, 10).empty());
    auto missing = source_for(dir.file("absent.log"));
    CHECK(history_texts(missing, 10).empty());
}

TEST_CASE("history: zero lines gives nothing and starts at the end") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "one\ntwo\n");
    auto source = source_for(path);
    CHECK(history_texts(source, 0).empty());
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("history: CRLF lines lose the CR") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "one\r\ntwo\r\n");
    auto source = source_for(path);
    CHECK(history_texts(source, 5) == std::vector<std::string>{"one", "two"});
}

TEST_CASE("history: an old unterminated last line is a partial line of the history") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "one\ntwo\nthree");
    age_file(path, 60s);
    auto source = source_for(path);
    auto records = source.history(2);
    REQUIRE(records);
    REQUIRE(texts(*records) == std::vector<std::string>{"two", "three"});
    CHECK_FALSE((*records)[0].partial);
    CHECK((*records)[1].partial);
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("history: a fresh unterminated last line is left to following") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "one\ntwo\nthr");
    auto source = source_for(path);
    CHECK(history_texts(source, 5) == std::vector<std::string>{"one", "two"});
    CHECK(source.backlog_bytes() == 3);
}

TEST_CASE("history: long lines are cut at the cap, reading only the cap of each") {
    TempDir dir("logs-history");
    const std::string long_line(100000, 'x');
    const auto path = dir.write("app.log", long_line + "\n" + long_line + "\nshort\n");
    auto source = source_for(path, 256);
    auto records = source.history(2);
    REQUIRE(records);
    REQUIRE(records->size() == 2);
    CHECK((*records)[0].text == std::string(256, 'x'));
    CHECK((*records)[0].cut_bytes == 100000 - 256);
    CHECK((*records)[1].text == "short");
    CHECK((*records)[1].cut_bytes == 0);
}

TEST_CASE("history: a large file is read only as far back as the lines asked for") {
    TempDir dir("logs-history");
    const auto path = dir.file("big.log");
    {
        std::ofstream out(path, std::ios::binary);
        std::string line(99, 'y');
        line += '\n';
        for (int i = 0; i < 500000; ++i) out << line;  // 50 MB
    }
    auto source = source_for(path);
    auto records = source.history(1000);
    REQUIRE(records);
    CHECK(records->size() == 1000);
    // 1000 lines of 100 bytes: the scan reads 2 blocks back, then each line once.
    INFO("bytes read: " << source.bytes_read());
    CHECK(source.bytes_read() < 400 * 1024);
    CHECK(source.backlog_bytes() == 0);
}

TEST_CASE("history: an endless last line is skipped, not read") {
    TempDir dir("logs-history");
    const auto path = dir.write("app.log", "before\n");
    REQUIRE(::truncate(path.c_str(), 1LL << 30) == 0);  // 1 GiB of NULs, no newline
    age_file(path, 60s);
    auto source = source_for(path, 256);
    auto records = source.history(10);
    REQUIRE(records);
    CHECK(records->empty());
    CHECK(source.bytes_read() < 2 * 1024 * 1024);
    CHECK(source.backlog_bytes() == 0);
}
