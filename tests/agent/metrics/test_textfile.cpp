// metrics.textfile: replaced atomically with mode 0644 whatever the umask,
// no temp file left behind, and a directory that cannot be written to is an
// error value, not a crash; the writer thread never logs and never holds
// the stop longer than kWriterStopWait; the temp name cannot be planted.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/log/log.hpp"
#include "agent/metrics/textfile.hpp"
#include "agent/transport/event_loop.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("metrics textfile: replaced whole, mode 0644, nothing left beside it", "[metrics]") {
    test_support::TempDir dir;
    const fs::path file = dir.path() / "outpost.prom";
    const mode_t old_mask = ::umask(077);
    auto first = metrics::write_textfile(file.string(), "a 1\n");
    auto second = metrics::write_textfile(file.string(), "a 2\n");
    ::umask(old_mask);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(read_all(file) == "a 2\n");
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    std::size_t entries = 0;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        (void)entry;
        ++entries;
    }
    CHECK(entries == 1);

    auto missing = metrics::write_textfile((dir.path() / "no" / "such.prom").string(), "x\n");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind() == ErrorKind::io);
}

namespace {

// The log sink is a plain function: what it saw, and on which threads.
std::mutex g_seen_mutex;
std::vector<std::pair<std::thread::id, std::string>> g_seen;

void remember(std::string_view line) {
    std::lock_guard lock(g_seen_mutex);
    g_seen.emplace_back(std::this_thread::get_id(), std::string(line));
}

std::unique_ptr<transport::EventLoop> make_loop() {
    auto loop = transport::EventLoop::create();
    REQUIRE(loop);
    return std::move(*loop);
}

}  // namespace

TEST_CASE("metrics textfile: a failing write is logged by the loop, never the writer thread",
          "[metrics]") {
    test_support::TempDir dir;
    auto loop = make_loop();
    {
        std::lock_guard lock(g_seen_mutex);
        g_seen.clear();
    }
    log::set_sink(remember);
    {
        metrics::TextfilePublisher publisher(*loop, (dir.path() / "no" / "such.prom").string(),
                                             50ms, [] { return std::string("a 1\n"); });
        loop->run_until([] { return false; }, 400ms);
    }
    log::set_sink(nullptr);
    std::lock_guard lock(g_seen_mutex);
    bool logged = false;
    for (const auto& [thread, line] : g_seen) {
        CAPTURE(line);
        CHECK(thread == std::this_thread::get_id());
        if (line.find("metrics.textfile") != std::string::npos) logged = true;
    }
    CHECK(logged);
}

TEST_CASE("metrics textfile: a write stuck on the disk holds the stop at most 1 s", "[metrics]") {
    test_support::TempDir dir;
    auto loop = make_loop();
    // A disk that does not answer until told to: the write blocks on it.
    auto disk = std::make_shared<std::promise<void>>();
    std::shared_future<void> answered = disk->get_future().share();
    auto started = std::make_shared<std::atomic<bool>>(false);
    auto returned = std::make_shared<std::atomic<bool>>(false);
    auto stalled_write = [answered, started, returned](const std::string&,
                                                       std::string_view) -> Expected<void> {
        started->store(true);
        answered.wait();
        returned->store(true);
        return {};
    };
    auto publisher = std::make_unique<metrics::TextfilePublisher>(
        *loop, (dir.path() / "outpost.prom").string(), 50ms, [] { return std::string("a 1\n"); },
        stalled_write);
    loop->run_until([&] { return started->load(); }, 5s);
    REQUIRE(started->load());

    const auto began = std::chrono::steady_clock::now();
    publisher.reset();
    const auto took = std::chrono::steady_clock::now() - began;
    CHECK(took >= metrics::kWriterStopWait - 50ms);
    CHECK(took < metrics::kWriterStopWait + 1s);

    // The left-behind thread ends once the disk answers, touching only its
    // own state (ASan would see a use of the freed publisher).
    disk->set_value();
    const auto limit = std::chrono::steady_clock::now() + 5s;
    while (!returned->load() && std::chrono::steady_clock::now() < limit) {
        std::this_thread::sleep_for(10ms);
    }
    CHECK(returned->load());
    std::this_thread::sleep_for(100ms);
}

TEST_CASE("metrics textfile: the temp file is never a name planted in advance", "[metrics]") {
    test_support::TempDir dir;
    const fs::path file = dir.path() / "outpost.prom";
    // What another user could plant in a writable directory under the old
    // predictable name: a hard link to a file the agent must not touch.
    const fs::path victim = dir.path() / "victim";
    std::ofstream(victim) << "keep me\n";
    ::chmod(victim.c_str(), 0600);
    const fs::path planted =
        dir.path() / (".outpost-metrics." + std::to_string(::getpid()) + ".tmp");
    fs::create_hard_link(victim, planted);
    REQUIRE(metrics::write_textfile(file.string(), "a 1\n"));
    CHECK(read_all(victim) == "keep me\n");
    struct stat st {};
    REQUIRE(::stat(victim.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(read_all(file) == "a 1\n");
}
