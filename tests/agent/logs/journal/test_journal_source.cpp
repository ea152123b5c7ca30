// JournalSource on journal files written by the real systemd-journal-remote,
// opened through journal_directory (the production code path after opening),
// followed through sd_journal_get_fd() in a real EventLoop.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/logs/journal/journal_source.hpp"
#include "agent/transport/event_loop.hpp"
#include "journal_files.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
using namespace outpost::logs;
using namespace outpost::logs::test;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

constexpr std::uint64_t kBase = 1'700'000'000'000'000;  // µs: 2023-11-14T22:13:20Z

#define REQUIRE_JOURNAL_REMOTE()                                                            \
    do {                                                                                    \
        if (!journal_remote_available()) {                                                  \
            OUTPOST_SKIP("systemd-journal-remote is not installed (scripts/install-deps)"); \
        }                                                                                   \
    } while (false)

config::LogSourceEntry unit_entry(const std::filesystem::path& directory,
                                  std::string unit = "app.service") {
    return config::LogSourceEntry{.name = "app",
                                  .kind = config::LogSourceKind::journal,
                                  .path = {},
                                  .unit = std::move(unit),
                                  .journal_directory = directory.string(),
                                  .max_line_bytes = 16384,
                                  .lines_per_second = 1000};
}

std::unique_ptr<JournalSource> open_source(const config::LogSourceEntry& entry) {
    auto source = JournalSource::open(entry);
    if (!source) FAIL(source.error().message());
    return std::move(*source);
}

std::vector<std::string> texts(const std::vector<LogRecord>& records) {
    std::vector<std::string> out;
    for (const auto& record : records) {
        out.push_back(record.text);
    }
    return out;
}

TimePoint at_usec(std::uint64_t usec) {
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(usec)));
}

// `count` entries of app.service, interleaved with other units' entries.
std::vector<Entry> numbered(int first, int count, std::uint64_t base = kBase) {
    std::vector<Entry> entries;
    for (int i = first; i < first + count; ++i) {
        const auto usec = base + static_cast<std::uint64_t>(i) * 1000;
        entries.push_back({"other.service", "noise " + std::to_string(i), usec, {}});
        entries.push_back({"app.service", "line " + std::to_string(i), usec + 1, {}});
    }
    return entries;
}

std::vector<std::string> line_texts(int first, int count) {
    std::vector<std::string> out;
    for (int i = first; i < first + count; ++i) {
        out.push_back("line " + std::to_string(i));
    }
    return out;
}

// A followed source, and everything it reported.
struct Follower {
    std::unique_ptr<transport::EventLoop> loop;
    std::unique_ptr<JournalSource> source;
    std::vector<LogRecord> received;
    std::vector<std::string> failures;
    int readable = 0;
    bool auto_drain = true;           // read everything on each on_readable
    bool destroy_on_failure = false;  // as a stream does: end it, source and all

    explicit Follower(std::unique_ptr<JournalSource> followed) : source(std::move(followed)) {
        auto created = transport::EventLoop::create();
        REQUIRE(created);
        loop = std::move(*created);
        auto ok = source->follow(*loop, SourceEvents{.on_readable =
                                                         [this] {
                                                             ++readable;
                                                             if (auto_drain) drain();
                                                         },
                                                     .on_failed =
                                                         [this](std::string reason) {
                                                             failures.push_back(std::move(reason));
                                                             if (destroy_on_failure) source.reset();
                                                         }});
        if (!ok) FAIL(ok.error().message());
    }
    ~Follower() {
        source.reset();  // its watch and timers before the loop
    }
    void drain() {
        for (;;) {
            auto batch = source->read(3, 1 << 20);  // small batches: the position must hold
            if (batch.empty()) return;
            for (auto& record : batch) {
                received.push_back(std::move(record));
            }
        }
    }
    bool wait_for(std::size_t records, std::chrono::milliseconds limit = 5s) {
        return loop->run_until([&] { return received.size() >= records; }, limit);
    }
};

}  // namespace

TEST_CASE("journal: history is the last N entries of the unit, oldest first, with their time",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), numbered(0, 20));
    auto source = open_source(unit_entry(dir.path()));

    auto history = source->history(5);
    REQUIRE(history);
    CHECK(texts(*history) == line_texts(15, 5));
    REQUIRE(history->size() == 5);
    CHECK(history->front().ts == at_usec(kBase + 15 * 1000 + 1));
    CHECK(history->back().ts == at_usec(kBase + 19 * 1000 + 1));
    CHECK(history->front().cut_bytes == 0);
    CHECK_FALSE(history->front().partial);
    // Nothing after the history yet: reading from its position gives nothing.
    CHECK(source->read(100, 1 << 20).empty());
    CHECK(source->describe() == "journal app.service in " + dir.path().string());
}

TEST_CASE("journal: history of more lines than exist returns them all", "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), numbered(0, 4));
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(1000);
    REQUIRE(history);
    CHECK(texts(*history) == line_texts(0, 4));
}

TEST_CASE("journal: the unit's entries are its processes' and systemd's about it",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(
        dir.file("a.journal"),
        {
            {"app.service", "from the app", kBase, {}},
            {"init.scope", "Started app.service.", kBase + 1, {"_PID=1", "UNIT=app.service"}},
            // UNIT= from any other process is not believed.
            {"evil.service", "forged", kBase + 2, {"_PID=4242", "UNIT=app.service"}},
            {"app2.service", "a unit with a longer name", kBase + 3, {}},
            {"", "no unit at all", kBase + 4, {}},
        });
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(10);
    REQUIRE(history);
    CHECK(texts(*history) == std::vector<std::string>{"from the app", "Started app.service."});
}

TEST_CASE("journal: a binary MESSAGE becomes valid UTF-8", "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    // Bytes that are not UTF-8, a control byte, a NUL, a newline.
    const std::string binary =
        "bin\xff\xfe"
        "ary\n\x01\0"
        "end \xc3\xa9"s;
    append_entries(dir.file("a.journal"), {{"app.service", binary, kBase, {}}});
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(1);
    REQUIRE(history);
    REQUIRE(history->size() == 1);
    CHECK(history->front().text ==
          "bin\xEF\xBF\xBD\xEF\xBF\xBD"
          "ary\n\x01\0"
          "end \xc3\xa9"s);
    CHECK(history->front().cut_bytes == 0);
}

TEST_CASE("journal: a MESSAGE over max_line_bytes is cut at a character boundary",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    // 255 bytes, then a 2-byte character across the 256-byte cap, then more.
    const std::string long_message = std::string(255, 'a') + "\xc3\xa9" + std::string(5000, 'b');
    append_entries(dir.file("a.journal"), {{"app.service", long_message, kBase, {}},
                                           {"app.service", "short", kBase + 1, {}}});
    auto entry = unit_entry(dir.path());
    entry.max_line_bytes = 256;
    auto source = open_source(entry);
    auto history = source->history(2);
    REQUIRE(history);
    REQUIRE(history->size() == 2);
    CHECK((*history)[0].text == std::string(255, 'a'));
    CHECK((*history)[0].cut_bytes == 2 + 5000);
    CHECK((*history)[1].text == "short");
    CHECK((*history)[1].cut_bytes == 0);
}

TEST_CASE("journal: following after history delivers new entries once, through the loop",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), numbered(0, 10));
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(3);
    REQUIRE(history);
    CHECK(texts(*history) == line_texts(7, 3));
    Follower follower(std::move(source));

    // Written between history and the first loop pass: queued on the fd.
    append_entries(dir.file("a.journal"), numbered(10, 4));
    REQUIRE(follower.wait_for(4));
    // Then into a second file (as journald's rotation, or another sender).
    append_entries(dir.file("b.journal"), numbered(14, 7));
    REQUIRE(follower.wait_for(11));
    // Nothing more, nothing repeated.
    follower.loop->run_until([] { return false; }, 300ms);
    CHECK(texts(follower.received) == line_texts(10, 11));
    CHECK(follower.received.back().ts == at_usec(kBase + 20 * 1000 + 1));
    CHECK(follower.readable > 0);
    CHECK(follower.failures.empty());
}

TEST_CASE("journal: lines = 0 follows from now on", "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), numbered(0, 5));
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(0);
    REQUIRE(history);
    CHECK(history->empty());
    CHECK(source->read(100, 1 << 20).empty());
    Follower follower(std::move(source));
    append_entries(dir.file("a.journal"), numbered(5, 2));
    REQUIRE(follower.wait_for(2));
    follower.loop->run_until([] { return false; }, 200ms);
    CHECK(texts(follower.received) == line_texts(5, 2));
}

TEST_CASE("journal: a unit with no entries yet gets all of its first ones", "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), {{"other.service", "not ours", kBase, {}}});
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(10);
    REQUIRE(history);
    CHECK(history->empty());
    Follower follower(std::move(source));
    append_entries(dir.file("a.journal"), numbered(0, 3));
    REQUIRE(follower.wait_for(3));
    follower.loop->run_until([] { return false; }, 200ms);
    CHECK(texts(follower.received) == line_texts(0, 3));
}

TEST_CASE("journal: an empty journal directory is followed until its files appear",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    auto source = open_source(unit_entry(dir.path()));
    auto history = source->history(10);
    REQUIRE(history);
    CHECK(history->empty());
    Follower follower(std::move(source));
    append_entries(dir.file("first.journal"), numbered(0, 3));
    REQUIRE(follower.wait_for(3));
    follower.loop->run_until([] { return false; }, 200ms);
    CHECK(texts(follower.received) == line_texts(0, 3));
    CHECK(follower.failures.empty());
}

TEST_CASE("journal: read() honours its record and byte budgets and keeps its place",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), numbered(0, 2));
    auto source = open_source(unit_entry(dir.path()));
    REQUIRE(source->history(0));
    Follower follower(std::move(source));
    follower.auto_drain = false;
    append_entries(dir.file("a.journal"), numbered(2, 10));
    REQUIRE(follower.loop->run_until([&] { return follower.readable > 0; }, 5s));
    auto& reader = *follower.source;
    CHECK(texts(reader.read(3, 1 << 20)) == line_texts(2, 3));
    // "line 5" is 6 bytes: under the 10-byte budget after it, over after the next.
    CHECK(texts(reader.read(100, 10)) == line_texts(5, 2));
    CHECK(texts(reader.read(100, 1 << 20)) == line_texts(7, 5));
    CHECK(reader.read(100, 1 << 20).empty());
}

TEST_CASE("journal: journal files that vanish end following with on_failed", "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    const bool destroy = GENERATE(false, true);
    INFO("the stream destroys the source from on_failed: " << destroy);
    test_support::TempDir dir("journal");
    const auto journals = dir.path() / "journals";
    std::filesystem::create_directory(journals);
    append_entries(journals / "a.journal", numbered(0, 2));
    auto source = open_source(unit_entry(journals));
    REQUIRE(source->history(1));
    Follower follower(std::move(source));
    follower.destroy_on_failure = destroy;
    std::filesystem::remove_all(journals);
    REQUIRE(follower.loop->run_until([&] { return !follower.failures.empty(); }, 5s));
    CHECK_THAT(follower.failures.front(), Catch::Contains("are gone"));
    if (follower.source) {
        CHECK(follower.source->read(10, 1 << 20).empty());
    }
    follower.loop->run_until([] { return false; }, 100ms);
    CHECK(follower.failures.size() == 1);
}

TEST_CASE("journal: a journal directory that does not exist is an error at open",
          "[logs][journal]") {
    test_support::TempDir dir("journal");
    auto source = JournalSource::open(unit_entry(dir.file("missing")));
    REQUIRE_FALSE(source);
    CHECK(source.error().kind() == ErrorKind::not_found);
    CHECK_THAT(source.error().message(), Catch::Contains("missing"));
}

namespace {

// Journal files this process can open in the system journal's places.
bool readable_system_journal_file() {
    std::error_code ec;
    for (const char* root : {"/run/log/journal", "/var/log/journal"}) {
        for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end;
             it.increment(ec)) {
            if (it->path().extension() == ".journal" && ::access(it->path().c_str(), R_OK) == 0) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace

TEST_CASE("journal: the system journal opens, or says why nothing could be read",
          "[logs][journal]") {
    auto entry = unit_entry("/unused");
    entry.journal_directory.reset();
    auto source = JournalSource::open(entry);
    if (readable_system_journal_file()) {
        REQUIRE(source);
        CHECK((*source)->describe() == "journal app.service");
        CHECK((*source)->history(1));
    } else {  // a container without journald, as in CI
        REQUIRE_FALSE(source);
        CHECK(source.error().kind() == ErrorKind::permission);
        CHECK_THAT(source.error().message(), Catch::Contains("systemd-journal group"));
    }
}

TEST_CASE("journal: a journal directory the agent may not read is a permission error",
          "[logs][journal]") {
    REQUIRE_JOURNAL_REMOTE();
    if (::geteuid() != 0) {
        OUTPOST_SKIP("needs root to switch to an unprivileged user for the check");
    }
    test_support::TempDir dir("journal");
    append_entries(dir.file("a.journal"), numbered(0, 1));
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
    // The check runs in a child that drops to nobody (the test itself is root).
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
        auto source = JournalSource::open(unit_entry(dir.path()));
        ::_exit(!source && source.error().kind() == ErrorKind::permission ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
