// Tokens on the wire: 401 recovery, exchange-mode rotation with a short TTL
// and re-authentication on a live connection, 4001 (protocol.md §1, §2, §2.1).
#include <catch2/catch.hpp>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

EventPredicate token_issued() {
    return [](const Event& e) { return e.is("token") && e.num("/status") == 200; };
}

// Connects no later than this after a "reconnect at once" (a fresh token from
// the endpoint plus a TLS handshake, on a slow machine) — well below the
// backoff the test configures, so a backoff would show.
constexpr auto kAtOnce = 2s;

}  // namespace

TEST_CASE("401 on upgrade: a fresh token and a retry at once", "[integration][auth]") {
    Rig rig;
    rig.use_token_exchange();
    // Backoff this large would be visible; §1 says retry at once after a 401.
    rig.agent.set("reconnect", "initial", "5s");
    rig.agent.set("reconnect", "max", "10s");
    rig.hub.command("refuse 401 - 1");

    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);

    const Event& refused =
        rig.hub.expect_event(upgrade_with_status(401), kFirstOnline, from, "the scripted 401");
    CHECK(refused.str("/reason") == "scripted");
    const Event& connected = rig.wait_online(refused.index(), log_from);
    const Event& accepted =
        rig.hub.expect_event(upgrade_with_status(101), 0ms, refused.index(), "upgrade 101");
    CHECK(accepted.str("/auth") == "access_token");
    CHECK(connected.str("/session") == "s-1");

    // A new token was fetched between the refusal and the accepted upgrade.
    CHECK(rig.hub.events(token_issued(), from, refused.index()).size() == 1);
    // The token POST names the node and the agent like the upgrade does (§1).
    const Event& token = *rig.hub.events(token_issued(), from, refused.index()).front();
    CHECK(token.str("/x_agent_id") == rig.agent.node_id());
    const std::string user_agent = token.str("/user_agent").value_or("");
    CHECK(user_agent.starts_with("outpost/"));
    CHECK(user_agent.find(',') == std::string::npos);  // one value, nothing appended
    CHECK(rig.hub.events(token_issued(), refused.index(), accepted.index()).size() == 1);
    // At once: no backoff was scheduled, and it was quick.
    CHECK(rig.agent.count_log("next attempt in", log_from) == 0);
    CHECK(seconds(accepted.at() - refused.at()) < seconds(kAtOnce));
}

TEST_CASE("token rotation: 2 s access tokens across 20 reconnects and live reauth",
          "[integration][auth][rotation]") {
    constexpr double kTtl = 2.0;
    constexpr double kRefreshAge = 0.8 * kTtl;  // §2: refresh at 80 % of expires_in
    // Token events are stamped when the test reads them, the agent's copy
    // is received a little later: ages are judged with this much slack.
    constexpr double kSlack = 0.3;
    constexpr int kReconnects = 20;

    Rig rig(HubOptions().token_ttl(2));
    rig.use_token_exchange();
    const std::size_t start = rig.hub.mark();
    const Event& first = rig.start_online();
    std::string session = *first.str("/session");

    // Re-authentication on the live connection at 80 % of 2 s, answered by a
    // welcome on the same session.
    {
        const Event& reauth = rig.hub.expect_event(
            [&](const Event& e) { return e.is_message("reauth") && e.str("/session") == session; },
            kEventLimit, first.index(), "reauth on " + session);
        CHECK(reauth.str("/msg/data/token").value_or("").starts_with("hat_"));
        CHECK(rig.hub.events(token_issued(), first.index(), reauth.index()).size() >= 1);
        const Event& again = rig.hub.expect_event(
            [&](const Event& e) { return e.is_sent("welcome") && e.str("/session") == session; },
            kEventLimit, reauth.index(), "welcome answering the reauth");
        CHECK(again.str("/session") == session);
        CHECK(rig.agent.wait_log("re-authenticated (session " + session + ")", kEventLimit));
        CHECK(rig.hub.events(closed_event(), first.index()).empty());
    }

    struct Reconnect {
        std::size_t begin;    // the close/drop command's `ok`
        std::size_t upgrade;  // the upgrade that opened the next session
        std::size_t connected;
    };
    std::vector<Reconnect> reconnects;
    for (int i = 0; i < kReconnects; ++i) {
        INFO("reconnect " << i + 1 << " of " << kReconnects << " (from " << session << ")");
        // Sessions of different lengths, so tokens are at every age when a
        // connection ends.
        rig.hub.idle(std::chrono::milliseconds(400 * (i % 4)));

        const std::size_t from = rig.hub.mark();
        const std::size_t log_from = rig.agent.mark();
        if (i == kReconnects / 2) {
            // One reconnect that must re-fetch: a token past half its life,
            // then a refused attempt with Retry-After 1 s, so the next
            // attempt comes after the token's 80 % point.
            auto last_token = [&] { return rig.hub.events(token_issued(), start).back()->at(); };
            const auto aged_by = Clock::now() + 5s;
            while (Clock::now() < aged_by && Clock::now() - last_token() < 1000ms) {
                rig.hub.pump(20ms);
            }
            rig.hub.command("refuse 503 1 1");
            rig.hub.command("drop");
            rig.hub.expect_event(upgrade_with_status(503), kEventLimit, from, "the scripted 503");
        } else {
            rig.hub.command(i % 4 == 3 ? "drop" : "close 1001 rotation test");
        }
        const Event& connected = rig.wait_online(from, log_from);
        const std::string next = *connected.str("/session");
        CHECK(next != session);
        session = next;
        const Event& upgrade = *rig.hub.events(upgrade_with_status(101), from).back();
        reconnects.push_back({from, upgrade.index(), connected.index()});
    }
    rig.hub.pump();

    // 21 sessions came up, none was refused for its token.
    CHECK(rig.hub.events(connected_event(), start).size() == kReconnects + 1);
    CHECK(rig.hub.events(upgrade_with_status(401), start).empty());
    for (const Event* up : rig.hub.events(upgrade_with_status(101), start)) {
        CHECK(up->str("/auth") == "access_token");
    }
    CHECK(
        rig.hub
            .events([](const Event& e) { return e.is("token") && e.num("/status") != 200; }, start)
            .empty());

    // Every reconnect that started after the newest token had passed its
    // 80 % point re-fetched one first. The attempt started no earlier than
    // the close, nor than a scripted 503 plus its Retry-After (1 s); judged
    // from that lower bound, so a slow handshake cannot make it look late.
    std::size_t aged = 0;
    for (const Reconnect& r : reconnects) {
        auto before = rig.hub.events(token_issued(), start, r.begin);
        REQUIRE(!before.empty());
        Clock::time_point started = rig.hub.event(r.begin).at();
        for (const Event* refused : rig.hub.events(upgrade_with_status(503), r.begin, r.upgrade)) {
            started = std::max(started, refused->at() + 1s);
        }
        const double age = seconds(started - before.back()->at());
        const auto refetched = rig.hub.events(token_issued(), r.begin, r.upgrade).size();
        INFO("reconnect to " << rig.hub.event(r.connected).str("/session").value_or("?")
                             << ": newest token at least " << age
                             << " s old when the attempt started, " << refetched
                             << " fetched before the upgrade");
        if (age > kRefreshAge + kSlack) {
            ++aged;
            CHECK(refetched >= 1);
        }
    }
    const auto fetched = rig.hub.events(token_issued(), reconnects.front().begin).size();
    INFO(aged << " reconnects came after the token aged past 80 %; " << fetched
              << " tokens fetched");
    CHECK(aged >= 1);  // the Retry-After reconnect at least
    CHECK(fetched >= aged);
    // Reauths kept the tokens of long sessions fresh.
    CHECK(rig.hub.events(message_of_type("reauth"), start).size() >= 1);
}

TEST_CASE("4001: a new token and a new session within 2 s", "[integration][auth]") {
    Rig rig;
    rig.use_token_exchange();
    // A backoff of this size would show; §2.1 says reconnect at once.
    rig.agent.set("reconnect", "initial", "5s");
    rig.agent.set("reconnect", "max", "10s");
    const Event& first = rig.start_online();

    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    const Event& asked = rig.hub.event(rig.hub.command("close 4001 token expired"));
    const Event& closed = rig.hub.expect_event(closed_event(), kEventLimit, from, "closed");
    CHECK(closed.str("/session") == first.str("/session"));
    CHECK(closed.num("/code") == 4001);

    const Event& connected = rig.wait_online(from, log_from);
    CHECK(connected.str("/session") == "s-2");
    const Event& upgrade = *rig.hub.events(upgrade_with_status(101), from).back();
    CHECK(rig.hub.events(token_issued(), closed.index(), upgrade.index()).size() == 1);
    CHECK(rig.agent.count_log("next attempt in", log_from) == 0);
    CHECK(seconds(connected.at() - asked.at()) < seconds(kAtOnce));
}
