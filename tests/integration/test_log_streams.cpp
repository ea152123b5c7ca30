// Log streaming end to end (protocol.md §3.3 stream_logs / stop_stream;
// docs/log-streaming.md): the real agent following real files, the real hub
// steering it over real TLS, the real logrotate rotating under a writer.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "../agent/logs/journal/journal_files.hpp"
#include "rig.hpp"

using namespace outpost::integration;

namespace {

// One file source `app` (and `other`), rates high enough for the tests.
void configure_logs(Rig& rig, const std::string& file, std::uint32_t max_streams = 4) {
    rig.agent.set("logs", "sources",
                  fmt::format("[{{name: app, file: {}, lines_per_second: 1000000}}, "
                              "{{name: other, file: {}, lines_per_second: 1000000}}]",
                              file, file + ".other"));
    rig.agent.set("logs", "max_streams", std::to_string(max_streams));
    rig.agent.set("logs", "max_lines_per_second", "1000000");
    rig.agent.set("logs", "partial_line_timeout", "200ms");
}

void append(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
}

EventPredicate message_of_stream(std::string type, std::string stream_id) {
    return [type = std::move(type), stream_id = std::move(stream_id)](const Event& e) {
        return e.is_message(type) && e.str("/msg/data/stream_id") == stream_id;
    };
}

// The log_line texts of `stream_id` received in [from, now).
std::vector<std::string> lines_of(Hub& hub, const std::string& stream_id, std::size_t from) {
    std::vector<std::string> out;
    for (const Event* e : hub.events(message_of_stream("log_line", stream_id), from)) {
        out.push_back(e->str("/msg/data/line").value_or("?"));
    }
    return out;
}

const Event& wait_end(Hub& hub, const std::string& stream_id, std::size_t from) {
    return hub.expect_event(message_of_stream("stream_end", stream_id), kEventLimit, from,
                            "stream_end of " + stream_id);
}

const Event& wait_error(Hub& hub, std::size_t from) {
    return hub.expect_event(message_of_type("error"), kEventLimit, from, "error");
}

}  // namespace

TEST_CASE("log streams: history, following, stop and every refusal of §3.3 over real TLS") {
    Rig rig;
    const std::string file = rig.dir.file("app.log");
    write_file(file, "one\ntwo\nthree\nfour\n");
    configure_logs(rig, file, 2);
    const Event& connected = rig.start_online();
    const Event& hello =
        rig.hub.expect_event(message_of_type("hello"), kEventLimit, connected.index(), "hello");
    const auto caps = hello.strings("/msg/data/capabilities");
    REQUIRE(caps.has_value());
    CHECK(std::find(caps->begin(), caps->end(), "stream_logs") != caps->end());

    // History-only: the last 2 lines, then done.
    std::size_t from = rig.hub.mark();
    rig.hub.command("stream-logs h1 app off 2");
    const Event& done = wait_end(rig.hub, "h1", from);
    CHECK(done.str("/msg/data/reason") == "done");
    CHECK(lines_of(rig.hub, "h1", from) == std::vector<std::string>{"three", "four"});

    // Following: history, then what is appended, in order.
    from = rig.hub.mark();
    rig.hub.command("stream-logs f1 app on 1");
    rig.hub.expect_event(message_of_stream("log_line", "f1"), kEventLimit, from, "history");
    append(file, "five\nsix\n");
    rig.hub.expect_event(
        [](const Event& e) { return e.is_message("log_line") && e.str("/msg/data/line") == "six"; },
        kEventLimit, from, "six");
    CHECK(lines_of(rig.hub, "f1", from) == std::vector<std::string>{"four", "five", "six"});

    // A duplicate id: schema error on /data/stream_id, and f1 goes on.
    from = rig.hub.mark();
    rig.hub.command("stream-logs f1 other on 0");
    const Event& duplicate = wait_error(rig.hub, from);
    CHECK(duplicate.str("/msg/data/code") == "schema");
    CHECK(duplicate.str("/msg/data/path") == "/data/stream_id");
    append(file, "seven\n");
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("log_line") && e.str("/msg/data/line") == "seven";
        },
        kEventLimit, from, "seven after the duplicate");

    // stop_stream for an unknown id.
    from = rig.hub.mark();
    rig.hub.command("stop-stream nope");
    CHECK(wait_error(rig.hub, from).str("/msg/data/code") == "unknown_request");

    // An unknown source: stream_end at once, no log_line.
    from = rig.hub.mark();
    rig.hub.command("stream-logs u1 /etc/shadow on 10");
    CHECK(wait_end(rig.hub, "u1", from).str("/msg/data/reason") == "unknown source `/etc/shadow`");

    // max_streams is 2: f1 and a second one are open; a third is refused.
    from = rig.hub.mark();
    rig.hub.command("stream-logs f2 other on 0");
    rig.hub.command("stream-logs f3 other on 0");
    const std::string refused = wait_end(rig.hub, "f3", from).str("/msg/data/reason").value_or("");
    CHECK(refused.starts_with("too many streams"));

    // stop_stream: stopped, with the totals.
    from = rig.hub.mark();
    rig.hub.command("stop-stream f1");
    const Event& stopped = wait_end(rig.hub, "f1", from);
    CHECK(stopped.str("/msg/data/reason") == "stopped");
    CHECK(stopped.num("/msg/data/dropped") == 0);

    // SIGTERM: stream_end for f2 before status{offline}.
    from = rig.hub.mark();
    rig.agent.signal(SIGTERM);
    const Event& ended = wait_end(rig.hub, "f2", from);
    CHECK(ended.str("/msg/data/reason") == "agent stopping");
    const Event& offline = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("status") && e.str("/msg/data/status") == "offline";
        },
        kEventLimit, from, "status offline");
    CHECK(ended.index() < offline.index());
    REQUIRE(rig.agent.wait_exit(10s).has_value());
}

TEST_CASE("log streams: 100 concurrent stream_logs, refused past logs.max_streams") {
    Rig rig;
    const std::string file = rig.dir.file("app.log");
    write_file(file, "");
    configure_logs(rig, file, 8);
    rig.start_online();
    const std::size_t from = rig.hub.mark();
    for (int i = 0; i < 100; ++i) rig.hub.command(fmt::format("stream-logs c{} app on 0", i));
    rig.hub.expect_event(message_of_stream("stream_end", "c99"), kEventLimit, from, "c99 refused");
    const auto ends = rig.hub.events(message_of_type("stream_end"), from);
    CHECK(ends.size() == 92);
    for (const Event* e : ends) {
        CHECK(e->str("/msg/data/reason").value_or("").starts_with("too many streams"));
    }
    // The 8 open ones still stream.
    append(file, "to all\n");
    rig.hub.idle(500ms);
    rig.hub.expect_event(
        [&](const Event& e) {
            return e.is_message("log_line") && e.str("/msg/data/stream_id") == "c7";
        },
        kEventLimit, from, "a line on c7");
}

TEST_CASE("log streams: binary junk, a cut line, and a source deleted while followed") {
    Rig rig;
    const std::string file = rig.dir.file("app.log");
    write_file(file, "");
    configure_logs(rig, file);
    rig.agent.set("logs", "sources",
                  fmt::format("[{{name: app, file: {}, max_line_bytes: 256}}]", file));
    rig.start_online();
    std::size_t from = rig.hub.mark();
    rig.hub.command("stream-logs j1 app on 0");
    rig.agent.wait_log("stream j1:", kEventLimit);
    append(file, std::string("bin\x00\xff\xfe\x01"
                             "ary\n",
                             11) +
                     std::string(1000, 'x') + "\n");
    rig.hub.expect_event(message_of_stream("log_line", "j1"), kEventLimit, from, "junk line");
    const Event& cut = rig.hub.expect_event(
        [](const Event& e) { return e.is_message("log_line") && e.has("/msg/data/truncated"); },
        kEventLimit, from, "cut line");
    CHECK(cut.boolean("/msg/data/truncated") == true);
    CHECK(cut.str("/msg/data/line") == std::string(256, 'x') + " [outpost: 744 bytes cut]");
    const auto lines = lines_of(rig.hub, "j1", from);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines[0] == std::string("bin\0\xEF\xBF\xBD\xEF\xBF\xBD\x01"
                                  "ary",
                                  14));

    // Deleted: the stream waits, and goes on with the recreated file.
    std::filesystem::remove(file);
    rig.hub.idle(300ms);
    from = rig.hub.mark();
    append(file, "reborn\n");
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("log_line") && e.str("/msg/data/line") == "reborn";
        },
        kEventLimit, from, "a line of the recreated file");
    CHECK(rig.hub.events(message_of_stream("stream_end", "j1"), from).empty());
}

// Issue 16: once lost lines 88 000-97 999 under ctest -j2 (files created,
// written and rotated away before the loop looked at the path); the file
// source now follows every file that came to the path through the
// directory's renames (agent/logs/file/arrival_tracker.hpp).
TEST_CASE("log streams: logrotate create under a writer at full speed, every line once, in order") {
    Rig rig;
    const std::string file = rig.dir.file("app.log");
    write_file(file, "");
    configure_logs(rig, file);
    const std::string state = rig.dir.file("logrotate.state");
    const std::string conf = rig.dir.file("logrotate.conf");
    write_file(conf,
               fmt::format("{} {{\n  create\n  rotate 50\n  size 1\n  missingok\n}}\n", file));
    rig.start_online();
    const std::size_t from = rig.hub.mark();
    rig.hub.command("stream-logs r1 app on 0");
    rig.agent.wait_log("stream r1:", kEventLimit);

    constexpr int kLines = 100000;
    std::atomic<bool> written{false};
    std::thread writer([&] {
        // The writer reopens the path after each rotation, as a logger told
        // by a postrotate signal would; here: every 2 000 lines.
        int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        for (int i = 0; i < kLines; ++i) {
            const std::string line = fmt::format("line {:06}\n", i);
            (void)!::write(fd, line.data(), line.size());
            if (i % 2000 == 1999) {
                ::close(fd);
                fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
            }
        }
        ::close(fd);
        written = true;
    });
    int rotations = 0;
    while (!written) {
        const std::string cmd =
            fmt::format("/usr/sbin/logrotate --force --state {} {} 2>/dev/null", state, conf);
        if (std::system(cmd.c_str()) == 0) ++rotations;
        std::this_thread::sleep_for(20ms);
    }
    writer.join();
    INFO("rotations: " << rotations);
    CHECK(rotations > 0);
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("log_line") &&
                   e.str("/msg/data/line") == fmt::format("line {:06}", kLines - 1);
        },
        120s, from, "the last line");
    const auto lines = lines_of(rig.hub, "r1", from);
    REQUIRE(lines.size() == kLines);
    for (int i = 0; i < kLines; ++i) REQUIRE(lines[i] == fmt::format("line {:06}", i));
}

namespace {

std::uint64_t rss_kib(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            std::uint64_t kib = 0;
            in >> kib;
            return kib;
        }
        in.ignore(4096, '\n');
    }
    return 0;
}

}  // namespace

// copytruncate loses lines no reader can see: those written after
// logrotate's copy and before its truncate, when the source did not look in
// between (docs/log-streaming.md, "copytruncate"). What is true, and checked:
// every line received comes once and in order, and the `lost` the agent
// reports are lines it proved were there and cut off, so never more than the
// real gap. Both numbers are printed.
TEST_CASE("log streams: logrotate copytruncate, once and in order, lost never above the gap") {
    Rig rig;
    const std::string file = rig.dir.file("app.log");
    write_file(file, "");
    configure_logs(rig, file);
    const std::string state = rig.dir.file("logrotate.state");
    const std::string conf = rig.dir.file("logrotate.conf");
    write_file(
        conf, fmt::format("{} {{\n  copytruncate\n  rotate 50\n  size 1\n  missingok\n}}\n", file));
    rig.start_online();
    const std::size_t from = rig.hub.mark();
    rig.hub.command("stream-logs t1 app on 0");
    rig.agent.wait_log("stream t1:", kEventLimit);

    constexpr int kLines = 50000;
    std::atomic<bool> written{false};
    std::thread writer([&] {
        const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        for (int i = 0; i < kLines; ++i) {
            const std::string line = fmt::format("line {:06}\n", i);
            (void)!::write(fd, line.data(), line.size());
        }
        ::close(fd);
        written = true;
    });
    int rotations = 0;
    while (!written) {
        const std::string cmd =
            fmt::format("/usr/sbin/logrotate --force --state {} {} 2>/dev/null", state, conf);
        if (std::system(cmd.c_str()) == 0) ++rotations;
        std::this_thread::sleep_for(20ms);
    }
    writer.join();
    // What is left is read: until no line came for a second.
    for (std::size_t seen = 0;;) {
        rig.hub.idle(1s);
        const std::size_t now = lines_of(rig.hub, "t1", from).size();
        if (now == seen) break;
        seen = now;
    }
    rig.hub.command("stop-stream t1");
    const Event& end = wait_end(rig.hub, "t1", from);
    const auto lines = lines_of(rig.hub, "t1", from);
    const std::int64_t lost = end.num("/msg/data/lost").value_or(-1);
    const auto gap = static_cast<std::int64_t>(kLines) - static_cast<std::int64_t>(lines.size());
    INFO("rotations: " << rotations << ", received " << lines.size() << ", lost " << lost);
    CHECK(rotations > 0);
    // Never repeated, never out of order, never a piece of a line.
    int last = -1;
    for (const std::string& l : lines) {
        REQUIRE(l.size() == 11);
        REQUIRE(l.substr(0, 5) == "line ");
        const int n = std::stoi(l.substr(5));
        REQUIRE(n > last);
        last = n;
    }
    CHECK(lost >= 0);
    CHECK(lost <= gap);
    WARN("copytruncate: " << rotations << " logrotate runs, " << lines.size() << " of " << kLines
                          << " lines received, real gap " << gap << ", reported lost " << lost);
}

// What is a property is asserted: RSS bounded, every ping answered within a
// liveness bound, the drops told. The latency is measured and printed, not
// asserted (this ASan build on a shared 2-core machine): the 50 ms goal is
// measured on the release build by tests/bench (docs/performance-logs.md).
// The bound is liveness, not speed: alone the ASan p50 is ~1 ms, but beside
// the logrotate tests under ctest -j2 (load ~9 on 2 cores) a p50 of 2 s was
// seen; a session starved outright (pings unanswered for 15 s, as before the
// skip passes were paced) still fails it.
constexpr std::int64_t kPongLivenessMs = 10000;
TEST_CASE("log streams: a source growing at ~100 MB/s, RSS bounded, pings answered, drops told") {
    Rig rig;
    const std::string file = rig.dir.file("app.log");
    write_file(file, "");
    configure_logs(rig, file);
    rig.agent.set("logs", "sources", fmt::format("[{{name: app, file: {}}}]", file));  // 1000/s
    // ASan's quarantine keeps freed memory resident (256 MiB by default):
    // the RSS measured would be the quarantine's, not the agent's.
    const char* asan = std::getenv("ASAN_OPTIONS");
    rig.agent.set_env("ASAN_OPTIONS",
                      std::string(asan != nullptr ? asan : "") + ":quarantine_size_mb=1");
    rig.start_online();
    std::size_t from = rig.hub.mark();
    rig.hub.command("stream-logs big app on 0");
    rig.agent.wait_log("stream big:", kEventLimit);
    rig.hub.idle(300ms);
    const std::uint64_t rss_before = rss_kib(rig.agent.pid());

    std::atomic<bool> done{false};
    std::uint64_t written_bytes = 0;
    std::thread writer([&] {
        std::string chunk;
        for (int i = 0; chunk.size() < 1024 * 1024; ++i) {
            chunk += fmt::format("{:099}\n", i);
        }
        const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        const auto start = std::chrono::steady_clock::now();
        int n = 0;
        while (std::chrono::steady_clock::now() - start < 3s) {
            (void)!::write(fd, chunk.data(), chunk.size());
            written_bytes += chunk.size();
            // ~100 MB/s: one MiB every 10 ms.
            std::this_thread::sleep_until(start + ++n * 10ms);
        }
        ::close(fd);
        done = true;
    });
    const std::size_t pings_from = rig.hub.mark();
    std::uint64_t rss_peak = 0;
    while (!done) {
        rig.hub.command("send-type ping {}");
        rss_peak = std::max(rss_peak, rss_kib(rig.agent.pid()));
        rig.hub.idle(100ms);
    }
    writer.join();
    rig.hub.idle(1s);
    // Each ping's pong, looked up without waiting (bounded time): one that
    // never came counts as kEventLimit.
    std::map<std::string, std::int64_t> pongs;  // ref -> received_ms
    for (const Event* pong : rig.hub.events(message_of_type("pong"), pings_from)) {
        pongs[pong->str("/msg/data/ref").value_or("?")] = pong->num("/received_ms").value_or(0);
    }
    std::vector<std::int64_t> latencies;
    for (const Event* ping : rig.hub.events(sent_of_type("ping"), pings_from)) {
        auto pong = pongs.find(ping->str("/id").value_or("?"));
        latencies.push_back(pong == pongs.end() ? std::chrono::milliseconds(kEventLimit).count()
                                                : pong->second - ping->num("/sent_ms").value_or(0));
    }
    std::sort(latencies.begin(), latencies.end());
    REQUIRE(latencies.size() >= 10);
    const std::int64_t p99 = latencies[latencies.size() * 99 / 100];
    INFO("written " << written_bytes / (1024 * 1024) << " MiB, RSS " << rss_before << " → peak "
                    << rss_peak << " KiB, ping→pong p50 " << latencies[latencies.size() / 2]
                    << " ms, p99 " << p99 << " ms, max " << latencies.back() << " ms");
    CHECK(rss_peak < rss_before + 64 * 1024);
    CHECK(latencies.back() < kPongLivenessMs);
    from = rig.hub.mark();
    rig.hub.command("stop-stream big");
    const Event& end = wait_end(rig.hub, "big", from);
    CHECK(end.num("/msg/data/dropped").value_or(0) > 0);
    WARN("written " << written_bytes / (1024 * 1024) << " MiB, RSS " << rss_before << " → peak "
                    << rss_peak << " KiB, ping→pong p50 " << latencies[latencies.size() / 2]
                    << " ms, p99 " << p99 << " ms, max " << latencies.back() << " ms, dropped "
                    << end.num("/msg/data/dropped").value_or(0));
}

TEST_CASE("log streams: a unit's journal, from files systemd-journal-remote wrote") {
    if (!outpost::logs::test::journal_remote_available()) {
        WARN("systemd-journal-remote is not installed: skipped");
        return;
    }
    using outpost::logs::test::Entry;
    Rig rig;
    const std::filesystem::path dir = rig.dir.file("journal");
    std::filesystem::create_directories(dir);
    const std::filesystem::path journal = dir / "remote.journal";
    // 2026-01-01T00:00:0Ns.
    const auto at = [](int s) { return 1'767'225'600'000'000ull + s * 1'000'000ull; };
    outpost::logs::test::append_entries(journal, {{"app.service", "first", at(1), {}},
                                                  {"other.service", "not ours", at(2), {}},
                                                  {"app.service", "second", at(3), {}},
                                                  {"app.service", "third", at(4), {}}});
    rig.agent.set(
        "logs", "sources",
        fmt::format("[{{name: j, unit: app.service, journal_directory: {}}}]", dir.string()));
    rig.start_online();
    std::size_t from = rig.hub.mark();
    rig.hub.command("stream-logs j1 j on 2");
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("log_line") && e.str("/msg/data/line") == "third";
        },
        kEventLimit, from, "the history");
    auto history = rig.hub.events(message_of_stream("log_line", "j1"), from);
    REQUIRE(history.size() == 2);
    CHECK(history[0]->str("/msg/data/line") == "second");
    CHECK(history[0]->str("/msg/data/ts") == "2026-01-01T00:00:03.000Z");  // the entry's own
    outpost::logs::test::append_entries(
        journal, {{"app.service", "fourth", at(5), {}}, {"other.service", "still not", at(6), {}}});
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("log_line") && e.str("/msg/data/line") == "fourth";
        },
        kEventLimit, from, "a followed entry");
    rig.hub.command("stop-stream j1");
    CHECK(wait_end(rig.hub, "j1", from).str("/msg/data/reason") == "stopped");
    CHECK(lines_of(rig.hub, "j1", from) == std::vector<std::string>{"second", "third", "fourth"});
}
