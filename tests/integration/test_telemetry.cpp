// Telemetry end to end (protocol.md §3.2, §3.4): samples every
// telemetry.interval with a seq that grows by one, and an outage against a
// small outbox: afterwards every sample that fit arrives, in order, the drops
// are counted exactly by the difference of agent.outbox.dropped, and the
// agent's RSS is what it was before the outage.
//
// The outage here is OUTAGE_SECONDS of 1 s intervals (telemetry.interval's
// minimum; nothing lowers it for tests), about 45 samples against
// max_messages 10. The same bound at 1 000 samples runs in the pipeline's
// own test (tests/agent/telemetry/test_pipeline.cpp, "an outage of 1000
// samples"), where the interval is a constructor argument: 1 000 real
// intervals here would take 17 minutes.

#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "agent/protocol/rfc3339.hpp"
#include "rig.hpp"

namespace outpost::integration {
namespace {

constexpr auto kOutage = 45s;
constexpr std::int64_t kMaxMessages = 10;

EventPredicate telemetry_message() {
    return message_of_type("telemetry");
}

std::int64_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
    }
    FAIL("no VmRSS for pid " << pid);
    return 0;
}

// Waits until the hub has a telemetry made after `after_ts` (a live sample,
// so the outbox before it has been flushed) and returns it.
const Event& live_sample_after(Rig& rig, const std::string& after_ts, std::size_t from) {
    return rig.hub.expect_event(
        [&](const Event& e) {
            return e.is_message("telemetry") && e.str("/msg/ts").value_or("") > after_ts;
        },
        kEventLimit, from, "a live sample");
}

// An outage of `length`: the hub goes, the agent keeps sampling into its
// outbox, the hub comes back; returns once the agent is online again.
void outage(Rig& rig, std::chrono::seconds length) {
    rig.hub.stop();
    std::this_thread::sleep_for(length);
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.hub.start();
    rig.wait_online(from, log_from, kFirstOnline);
}

}  // namespace

TEST_CASE("telemetry: an outage against a small outbox, drops counted exactly, RSS unchanged",
          "[integration][telemetry]") {
    Rig rig;
    rig.agent.set("telemetry", "interval", "1s");
    rig.agent.set("health", "interval", "1h");  // only telemetry in the outbox
    rig.agent.set("outbox", "max_messages", std::to_string(kMaxMessages));
    // The kept samples are flushed (and confirmed) within milliseconds of
    // the welcome, well before the next sample would push one out.
    rig.agent.set("outbox", "flush_rate", "10000");
    // The sanitizer's quarantine holds freed memory back by design (up to
    // 256 MiB): without it, RSS says what the agent itself keeps.
    const char* asan = std::getenv("ASAN_OPTIONS");
    rig.agent.set_env("ASAN_OPTIONS",
                      std::string(asan ? asan : "") + (asan ? ":" : "") + "quarantine_size_mb=0");
    rig.start_online();
    const Event& first = rig.hub.expect_event(telemetry_message(), kEventLimit, 0, "a sample");
    CHECK(first.num("/msg/data/seq") >= 1);
    CHECK(first.str("/msg/data/node_id") == "node-1");

    // A first outage fills the outbox to its bound once, so what is measured
    // below is growth with the outage's length, not the first use of the
    // outbox's pages.
    outage(rig, 15s);
    live_sample_after(rig, protocol::now_rfc3339(), rig.hub.mark());

    // B, the last sample before the outage: one whose own enqueue dropped
    // nothing (the outbox below its bound when it was made) and that the
    // outbox's next ping and the hub's pong confirmed; the hub is stopped at
    // once, before the next sample (1 s later) goes out. So no message the
    // hub already has is still stored to be dropped later: every drop from
    // here on is of a sample the hub never received.
    const Event* confirmed = nullptr;
    std::size_t search = rig.hub.mark();
    while (confirmed == nullptr) {
        const Event& pong =
            rig.hub.expect_event(sent_of_type("pong"), kEventLimit, search, "a pong");
        search = pong.index() + 1;
        const Event* ping = nullptr;
        const Event* before_ping = nullptr;
        for (const Event* e :
             rig.hub.events([](const Event& e) { return e.name() == "message"; })) {
            if (e->index() > pong.index()) break;
            before_ping = ping;
            ping = e;
        }
        if (ping != nullptr && ping->is_message("ping") && before_ping != nullptr &&
            before_ping->is_message("telemetry") &&
            before_ping->num("/msg/data/agent/outbox/messages") < kMaxMessages) {
            confirmed = before_ping;
        }
    }
    const Event& last_before = *confirmed;
    const std::int64_t rss_before = rss_kib(rig.agent.pid());
    const std::size_t from = rig.hub.mark();
    rig.hub.stop();
    const std::int64_t seq_before = *last_before.num("/msg/data/seq");
    const std::int64_t dropped_before = *last_before.num("/msg/data/agent/outbox/dropped");
    REQUIRE(rig.hub.events(telemetry_message(), last_before.index() + 1).empty());

    std::this_thread::sleep_for(kOutage);
    const std::size_t back_from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.hub.start();
    rig.wait_online(back_from, log_from, kFirstOnline);
    // L, the first sample made from now on: its agent.outbox.dropped was
    // read before it was stored, so it counts every drop of the outage.
    const Event& live = live_sample_after(rig, protocol::now_rfc3339(), back_from);
    std::this_thread::sleep_for(2s);  // and some normal running after it
    const std::int64_t rss_after = rss_kib(rig.agent.pid());
    const std::int64_t seq_live = *live.num("/msg/data/seq");
    const std::int64_t dropped_live = *live.num("/msg/data/agent/outbox/dropped");

    // Received between the two, in order (a sample sent on the dying
    // connection and unconfirmed may come again: at least once).
    std::vector<std::int64_t> received;
    for (const Event* e : rig.hub.events(telemetry_message(), from)) {
        const std::int64_t seq = *e->num("/msg/data/seq");
        if (seq <= seq_before || seq >= seq_live) continue;
        if (!received.empty() && received.back() == seq) continue;
        received.push_back(seq);
    }
    INFO("seq " << seq_before << " .. " << seq_live << ", received " << received.size()
                << ", dropped " << dropped_before << " -> " << dropped_live);
    CHECK(std::is_sorted(received.begin(), received.end()));
    CHECK(std::set<std::int64_t>(received.begin(), received.end()).size() == received.size());
    const std::int64_t made = seq_live - seq_before - 1;
    CHECK(made >= 40);  // the outage took ~45 samples
    CHECK(static_cast<std::int64_t>(received.size()) >= kMaxMessages - 1);
    // Exactly the ones that did not arrive were counted as dropped.
    CHECK(dropped_live - dropped_before == made - static_cast<std::int64_t>(received.size()));
    // The oldest went first: what arrived is the newest run.
    if (!received.empty()) CHECK(received.back() == seq_live - 1);

    INFO("RSS " << rss_before << " KiB before, " << rss_after << " KiB after");
    // KiB. The sanitizer build's allocator keeps per-thread caches and
    // shadow pages, which move RSS by a few hundred KiB under load with no
    // growth in what the agent keeps (+300 to +556 KiB seen over 45 samples,
    // +916 over 1 000); a leak per sample would be far above this bound. The
    // release build's figure is in docs/performance-telemetry.md.
    CHECK(rss_after - rss_before <= 1024);
    WARN("outage of " << made << " samples: " << received.size() << " delivered, "
                      << dropped_live - dropped_before << " dropped; RSS " << rss_before
                      << " KiB before, " << rss_after << " KiB after");
}

TEST_CASE("telemetry: welcome.telemetry_s sets the interval, seq grows by one across a restart",
          "[integration][telemetry]") {
    HubOptions hub;
    hub.extra = {"--telemetry", "1"};
    Rig rig(hub);
    rig.agent.set("telemetry", "interval", "1h");  // the server's 1 s wins
    rig.start_online();
    const std::size_t from = rig.hub.mark();
    rig.hub.expect_event(telemetry_message(), kEventLimit, from, "a sample");
    const Event& second =
        rig.hub.expect_event(telemetry_message(), kEventLimit, rig.hub.mark(), "another");
    const std::int64_t seq = *second.num("/msg/data/seq");

    rig.agent.signal(SIGTERM);
    REQUIRE(rig.agent.wait_exit(kEventLimit));
    const std::size_t restart_from = rig.hub.mark();
    rig.start_online();
    const Event& after =
        rig.hub.expect_event(telemetry_message(), kEventLimit, restart_from, "after the restart");
    // Samples made before the stop may still arrive from the outbox first.
    CHECK(*after.num("/msg/data/seq") >= seq);
    rig.hub.expect_event(telemetry_message(), kEventLimit, after.index() + 1, "one more");
    // Every seq from the first to the last, each once (a re-send after the
    // restart repeats one already seen: at least once).
    std::set<std::int64_t> seqs;
    for (const Event* e : rig.hub.events(telemetry_message(), from)) {
        seqs.insert(*e->num("/msg/data/seq"));
    }
    INFO("seqs seen: " << seqs.size());
    CHECK(*seqs.rbegin() - *seqs.begin() + 1 == static_cast<std::int64_t>(seqs.size()));
}

}  // namespace outpost::integration
