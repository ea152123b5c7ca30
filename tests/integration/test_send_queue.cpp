// A hostile server that stops reading the agent's socket but keeps sending
// pings (issue 14, defect 4). Its pings keep the read-side dead-peer check
// quiet, so before the send queue had a high-water mark the agent queued a
// pong for every ping, for ever: RSS grew without bound. Now the queue stops
// at the mark (pongs are dropped, producers pause), the write-stall check
// drops the connection after 3 x heartbeat over the mark, and the agent
// reconnects like after a dead peer. The real hub, paused with
// `stop-reading` (docs/test-hub.md), not a fake.

#include <cstdlib>
#include <fstream>

#include "rig.hpp"

namespace outpost::integration {
namespace {

// VmRSS of `pid` in KiB; 0 when it cannot be read (the process is gone).
long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return 0;
}

// Under AddressSanitizer every free()d block waits in a quarantine of up to
// 256 MB before it is reused, which in a sanitizer build hides any bound on
// the agent's own memory: a small quarantine for the processes of this test.
class SmallQuarantine {
  public:
    SmallQuarantine() {
        const char* old = std::getenv("ASAN_OPTIONS");
        if (old != nullptr) saved_ = old;
        const std::string options =
            (saved_ ? *saved_ + ":" : std::string()) + "quarantine_size_mb=8";
        ::setenv("ASAN_OPTIONS", options.c_str(), 1);
    }
    ~SmallQuarantine() {
        if (saved_) {
            ::setenv("ASAN_OPTIONS", saved_->c_str(), 1);
        } else {
            ::unsetenv("ASAN_OPTIONS");
        }
    }
    SmallQuarantine(const SmallQuarantine&) = delete;
    SmallQuarantine& operator=(const SmallQuarantine&) = delete;

  private:
    std::optional<std::string> saved_;
};

}  // namespace

TEST_CASE(
    "send queue: a server that stops reading but keeps pinging is dropped after 3 x "
    "heartbeat, memory stays bounded, the agent reconnects",
    "[integration][send_queue]") {
    SmallQuarantine quarantine;
    // Heartbeat 2 s: the write-stall check fires 6 s after the queue
    // passes its mark; the dead-peer check never does (the pings).
    Rig rig(HubOptions{}.heartbeat(2));
    const Event& first = rig.start_online();
    const std::string first_session = first.str("/session").value_or("?");
    const auto pids = processes_with_arg(rig.agent.config_path());
    REQUIRE(pids.size() == 1);
    const pid_t pid = pids.front();
    rig.hub.idle(1s);
    const long baseline = rss_kib(pid);

    const std::size_t log_from = rig.agent.mark();
    const std::size_t from = rig.hub.mark();
    // 10 pings a millisecond, at most: the hub's own pace decides.
    rig.hub.command("stop-reading 1 10");

    // Sampled while the queue fills, sits at its mark and is dropped.
    long peak = baseline;
    const auto sample_until = [&](const std::string& needle, std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            peak = std::max(peak, rss_kib(pid));
            if (rig.agent.wait_log(needle, 200ms, log_from)) return true;
        }
        return false;
    };
    REQUIRE(sample_until("over its high-water mark", 30s));
    REQUIRE(sample_until("write stalled", 30s));
    const Event& again = rig.wait_online(from, log_from, 30s);
    CHECK(again.str("/session") != first_session);
    rig.hub.idle(2s);  // the new session goes on normally
    const long after = rss_kib(pid);

    INFO("RSS KiB: baseline " << baseline << ", peak " << peak << ", after " << after);
    // The mark is 2 MiB (2 x max_message_bytes); what the queue holds beyond
    // it is one message. Slack for the sanitizer's redzones and quarantine,
    // TLS buffers and the allocator; the old agent grew by megabytes a second.
    CHECK(peak - baseline < 48 * 1024);
    CHECK(after - baseline < 48 * 1024);
    CHECK(rig.agent.count_log("peer dead", log_from) == 0);
}

}  // namespace outpost::integration
