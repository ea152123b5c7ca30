// A hostile server floods the agent with commands (issue 14, defect 3): the
// command queue and the stdin the agent holds are bounded
// (executor.max_queued, executor.max_queued_stdin_bytes, at their defaults
// here). Past a bound every execute is answered `rejected` with the bound in
// its reason, nothing of it runs, and neither the agent's memory nor its
// journal grows with the flood.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

// `sleep N` as nobody in the strict sandbox, taking up to 1 MiB of stdin.
constexpr const char* kSleepWithStdinEntry =
    "{name: sleep, path: /usr/bin/sleep, arg_rules: [{int_range: [1, 600]}], run_as: nobody, "
    "sandbox: strict, max_stdin_bytes: 1MiB}";

// The defaults of executor.max_queued and executor.max_queued_stdin_bytes
// (docs/configuration.md), and executor.max_concurrent's.
constexpr std::size_t kMaxQueued = 64;
constexpr std::size_t kMaxQueuedStdin = 16 * 1024 * 1024;
constexpr std::size_t kSlots = 4;

// The review's flood: 300 commands of about 1 MB of stdin each, within the
// agent's 1 MiB message limit with their envelope.
constexpr std::size_t kFlood = 300;
constexpr std::size_t kStdinBytes = 1000 * 1000;

std::string sleep_execute(const std::string& request_id, const std::string& stdin_data) {
    std::string line = "send-type execute {\"request_id\":\"" + request_id +
                       "\",\"command\":\"sleep\",\"args\":[\"600\"]";
    if (!stdin_data.empty()) line += ",\"stdin\":\"" + stdin_data + "\"";
    return line + "}";
}

EventPredicate ack_with_prefix(const std::string& prefix) {
    return [prefix](const Event& e) {
        return e.is_message("command_ack") &&
               e.str("/msg/data/request_id").value_or("").starts_with(prefix);
    };
}

// Waits (generously: a sanitizer build parsing megabytes) until `n` acks of
// ids starting with `prefix` arrived after `from`.
std::vector<const Event*> wait_acks(Hub& hub, const std::string& prefix, std::size_t n,
                                    std::size_t from) {
    const auto deadline = Clock::now() + 120s;
    auto found = hub.events(ack_with_prefix(prefix), from);
    while (found.size() < n && Clock::now() < deadline) {
        hub.pump(100ms);
        found = hub.events(ack_with_prefix(prefix), from);
    }
    INFO("acks for " << prefix << "*: " << found.size() << " of " << n);
    REQUIRE(found.size() == n);
    return found;
}

// The `outpost run` child of this test process with this config.
pid_t agent_pid(const Agent& agent) {
    for (const pid_t pid : processes_with_arg(agent.config_path())) {
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        for (std::string line; std::getline(status, line);) {
            if (line.starts_with("PPid:") && std::stol(line.substr(5)) == ::getpid()) return pid;
        }
    }
    return 0;
}

// VmRSS of `pid` in bytes (0 when it cannot be read).
std::size_t rss_bytes(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6)) * 1024;  // kB
    }
    return 0;
}

// journal.db with its WAL.
std::uintmax_t journal_bytes(const Agent& agent) {
    std::uintmax_t total = 0;
    for (const char* suffix : {"", "-wal"}) {
        std::error_code ec;
        const std::string path = agent.state_dir() + "/journal.db" + suffix;
        const auto size = std::filesystem::file_size(path, ec);
        if (!ec) total += size;
    }
    return total;
}

constexpr double kMiB = 1024.0 * 1024.0;

// A sanitizer build keeps freed memory in quarantine (256 MiB by default),
// which would count in VmRSS as if it were held: the agent started while
// this lives gets a small quarantine, so its VmRSS is what it holds. (The
// test process's own sanitizer read its options long before; a build
// without sanitizers ignores the variable.)
class SmallQuarantine {
  public:
    SmallQuarantine() {
        if (const char* old = std::getenv("ASAN_OPTIONS")) old_ = old;
        const std::string value = (old_ ? *old_ + ":" : std::string()) + "quarantine_size_mb=8";
        ::setenv("ASAN_OPTIONS", value.c_str(), 1);
    }
    ~SmallQuarantine() {
        if (old_) {
            ::setenv("ASAN_OPTIONS", old_->c_str(), 1);
        } else {
            ::unsetenv("ASAN_OPTIONS");
        }
    }
    SmallQuarantine(const SmallQuarantine&) = delete;
    SmallQuarantine& operator=(const SmallQuarantine&) = delete;

  private:
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("a queue flood: accepted up to the bounds, rejected with the bound after, memory bounded",
          "[integration][command][flood]") {
    if (::geteuid() != 0) {
        WARN("not running as root: command tests skipped (run_as needs a root agent)");
        return;
    }
    Rig rig;
    rig.agent.add_command(kSleepWithStdinEntry);
    {
        SmallQuarantine quarantine;
        rig.start_online();
    }
    const pid_t pid = agent_pid(rig.agent);
    REQUIRE(pid > 0);

    // Every slot held by a slow command.
    std::size_t from = rig.hub.mark();
    for (std::size_t i = 0; i < kSlots; ++i)
        rig.hub.command(sleep_execute("slot-" + std::to_string(i), ""));
    for (const Event* ack : wait_acks(rig.hub, "slot-", kSlots, from))
        CHECK(ack->str("/msg/data/state") == "accepted");
    const std::size_t rss_before = rss_bytes(pid);
    const std::uintmax_t journal_before = journal_bytes(rig.agent);

    // The flood with stdin: the stdin bound is hit first (16 of 1 MB fit in
    // 16 MiB), long before the queue bound.
    const std::string stdin_data(kStdinBytes, 'x');
    from = rig.hub.mark();
    for (std::size_t i = 0; i < kFlood; ++i)
        rig.hub.command(sleep_execute("in-" + std::to_string(i), stdin_data), 30s);
    const auto heavy = wait_acks(rig.hub, "in-", kFlood, from);
    const std::size_t fit = kMaxQueuedStdin / kStdinBytes;
    std::map<std::string, std::size_t> states;
    for (std::size_t i = 0; i < heavy.size(); ++i) {
        const std::string state = heavy[i]->str("/msg/data/state").value_or("?");
        ++states[state];
        INFO("ack " << i << ": " << heavy[i]->str("/msg/data/request_id").value_or("?"));
        if (i < fit) {
            CHECK(state == "accepted");
        } else {
            CHECK(state == "rejected");
            CHECK(heavy[i]
                      ->str("/msg/data/reason")
                      .value_or("")
                      .starts_with("the agent holds too much stdin of unfinished commands "
                                   "(executor.max_queued_stdin_bytes: 16777216 bytes; "));
        }
    }
    CHECK(states["accepted"] == fit);
    CHECK(states["rejected"] == kFlood - fit);

    // Without stdin: the queue bound (64 waiting) is hit.
    from = rig.hub.mark();
    constexpr std::size_t kLight = 100;
    for (std::size_t i = 0; i < kLight; ++i)
        rig.hub.command(sleep_execute("nostdin-" + std::to_string(i), ""));
    const auto light = wait_acks(rig.hub, "nostdin-", kLight, from);
    const std::size_t room = kMaxQueued - fit;  // the stdin-heavy ones queued already
    for (std::size_t i = 0; i < light.size(); ++i) {
        INFO("ack " << i << ": " << light[i]->str("/msg/data/request_id").value_or("?"));
        if (i < room) {
            CHECK(light[i]->str("/msg/data/state") == "accepted");
        } else {
            CHECK(light[i]->str("/msg/data/state") == "rejected");
            CHECK(light[i]->str("/msg/data/reason") ==
                  "the agent's command queue is full (executor.max_queued: 64 commands waiting); "
                  "nothing was run");
        }
    }

    // A refused request_id sent again is answered from the journal, never run.
    from = rig.hub.mark();
    const std::string refused = "in-" + std::to_string(kFlood - 1);
    rig.hub.command(sleep_execute(refused, stdin_data), 30s);
    const auto again = wait_acks(rig.hub, refused, 1, from);
    CHECK(again[0]->str("/msg/data/state") == "duplicate");

    // Bounded by the queue limits (16 MiB of stdin), not by the flood (300
    // MB). Generous for a sanitizer build; the old agent grew by more than
    // 600 MB here.
    const std::size_t rss_after = rss_bytes(pid);
    const std::uintmax_t journal_after = journal_bytes(rig.agent);
    WARN("agent VmRSS " << rss_before / kMiB << " MiB before the flood, " << rss_after / kMiB
                        << " MiB after; journal " << journal_before / kMiB << " -> "
                        << journal_after / kMiB << " MiB");
    CHECK(rss_after < rss_before + 200 * 1024 * 1024);
    // Rejections are journaled without stdin, and so are queued commands
    // (never started from the journal): the journal does not grow by the
    // flood's 300 MB.
    CHECK(journal_after < journal_before + 32 * 1024 * 1024);
    CHECK(rig.agent.count_log(": running sleep") == kSlots);
}
