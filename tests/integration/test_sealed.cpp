// Sealed messages end to end (protocol.md §8, issue 19): the real agent and
// the hub's own §8 implementation (tests/hub/seal.cpp), which share no code.
// Everything after hello travels sealed both ways — commands, results,
// health, pings, re-sent results and the outbox, a signed command inside a
// sealed message — and each refusal (a tampered ciphertext, a replayed or
// reused n, an unsealed welcome, an unsealed command after welcome, the
// wrong associated data, a server holding another key) closes with 1008 and
// runs nothing: checked on the side-effect file and in the agent's journal,
// not only on the close code.
#include <signal.h>
#include <sodium.h>

#include <catch2/catch.hpp>

#include "agent/journal/journal.hpp"
#include "rig.hpp"
#include "seal_support.hpp"

using namespace outpost::integration;

namespace {

// A hub holding a fresh server key and an agent configured with its public
// key. The keys live in their own directory: the rig's hub starts in its
// constructor and needs the key file by then.
struct SealedRig {
    explicit SealedRig(std::vector<std::string> hub_extra = {})
        : key(keys), rig(sealed_hub(key, std::move(hub_extra))) {
        rig.agent.set("security", "server_seal_key", key.public_key);
    }
    TempDir keys;
    SealKey key;
    Rig rig;
};

EventPredicate in_session_named(std::string name, std::string session) {
    return in_session(event_named(std::move(name)), std::move(session));
}

// Every message of `session` after hello, both ways, travelled sealed, with
// n growing in each direction, and the hub refused nothing.
void check_all_sealed(Hub& hub, const std::string& session) {
    hub.pump();
    std::optional<std::int64_t> last_in, last_out;
    std::size_t in = 0, out = 0;
    for (const Event* e : hub.events(in_session_named("message", session))) {
        INFO(e->line());
        if (e->str("/type") == "hello") {
            CHECK_FALSE(e->has("/sealed_n"));
            continue;
        }
        auto n = e->num("/sealed_n");
        REQUIRE(n);
        if (last_in) CHECK(*n > *last_in);
        last_in = n, ++in;
    }
    for (const Event* e : hub.events(in_session_named("sent", session))) {
        INFO(e->line());
        auto n = e->num("/sealed_n");
        REQUIRE(n);
        CHECK(*n == (last_out ? *last_out + 1 : 0));  // the hub's n: 0, 1, 2, …
        last_out = n, ++out;
    }
    CHECK(in > 0);
    CHECK(out > 0);
    CHECK(hub.events(in_session_named("seal_refused", session)).empty());
}

// The close the agent makes on a broken channel (§8: at once, 1008, no error first).
const Event& expect_agent_1008(Hub& hub, const std::string& session, std::size_t from) {
    const Event& closed = hub.expect_event(in_session_named("closed", session), kEventLimit, from,
                                           "the agent's close on " + session);
    CHECK(closed.num("/code") == 1008);
    CHECK(closed.str("/by") == "agent");
    // Nothing unsealed went out before it: no `error` (§8 "without sending an error first").
    CHECK(hub.events(in_session(message_of_type("error"), session), from).empty());
    return closed;
}

void stop_agent(Agent& agent) {
    agent.signal(SIGTERM);
    REQUIRE(agent.wait_exit(kEventLimit));
}

std::string b64url(std::span<const unsigned char> bytes) {
    std::string out(
        sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.pop_back();  // NUL
    return out;
}

std::string b64url(std::string_view text) {
    return b64url(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

// The control plane's command-signing key (§3.6), made here: a JWS is what a
// control plane would send, and the hub does not sign.
struct CommandSigner {
    CommandSigner() {
        REQUIRE(sodium_init() >= 0);
        crypto_sign_keypair(pk.data(), sk.data());
    }
    [[nodiscard]] std::string public_key() const { return b64url(pk); }
    // `signed {jws}` data for an `execute` of the append entry.
    [[nodiscard]] std::string signed_execute(const std::string& node_id,
                                             const std::string& request_id) const {
        const std::string header = R"({"alg":"EdDSA","kid":"test-signer"})";
        const std::string payload =
            R"({"type":"execute","id":")" + request_id +
            R"(-msg","ts":"2026-12-07T00:00:00.000Z",)" + R"("data":{"request_id":")" + request_id +
            R"(","command":"append","args":[")" + request_id + R"(","0"]},"node_id":")" + node_id +
            R"(","exp":)" + std::to_string(std::time(nullptr) + 600) + "}";
        const std::string input = b64url(header) + "." + b64url(payload);
        std::array<unsigned char, crypto_sign_BYTES> sig{};
        crypto_sign_detached(sig.data(), nullptr,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                             sk.data());
        return R"({"jws":")" + input + "." + b64url(sig) + R"("})";
    }
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
    std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
};

}  // namespace

TEST_CASE("sealed: commands, results, health and pings travel sealed both ways",
          "[integration][sealed]") {
    SealedRig s;
    AppendEntry append(s.rig.dir);
    if (!append.usable()) return;
    s.rig.agent.add_command(append.entry());
    const Event& online = s.rig.start_online();
    const std::string session = *online.str("/session");
    Hub& hub = s.rig.hub;

    const Event& hello =
        hub.expect_event(in_session(message_of_type("hello"), session), kEventLimit, 0, "hello");
    CHECK(hello.num("/msg/data/seal/v") == 1);
    CHECK(hello.str("/msg/data/seal/epk").value_or("").size() == 43);
    auto caps = hello.strings("/msg/data/capabilities");
    REQUIRE(caps);
    CHECK(std::find(caps->begin(), caps->end(), "sealed") != caps->end());
    const Event& started =
        hub.expect_event(in_session_named("seal_started", session), kEventLimit, 0, "seal_started");
    CHECK(started.str("/epk") == hello.str("/msg/data/seal/epk"));
    const Event& welcome =
        hub.expect_event(in_session(sent_of_type("welcome"), session), kEventLimit, 0, "welcome");
    CHECK(welcome.num("/sealed_n") == 0);

    std::size_t from = hub.mark();
    hub.command(execute_line("sealed-1", "append", {"sealed-1", "0"}));
    const Event& ack = hub.expect_event(ack_for("sealed-1"), kEventLimit, from, "command_ack");
    CHECK(ack.str("/msg/data/state") == "accepted");
    const Event& result = hub.expect_event(result_for("sealed-1"), kEventLimit, from, "result");
    CHECK(result.str("/msg/data/state") == "succeeded");
    CHECK(result.str("/msg/data/stdout") == "appended sealed-1\n");
    hub.expect_event(in_session(sent_of_type("result_ack"), session), kEventLimit, result.index(),
                     "result_ack");
    CHECK(append.count("sealed-1") == 1);

    from = hub.mark();
    hub.command(R"(send-type health_check {"request_id":"sealed-health"})");
    const Event& health = hub.expect_event(
        [](const Event& e) {
            return e.is_message("health") && e.str("/msg/data/ref") == "sealed-health";
        },
        kEventLimit, from, "health");
    CHECK(health.has("/sealed_n"));

    // The agent's heartbeat (hub --heartbeat 5) and the hub's pong.
    const Event& ping =
        hub.expect_event(in_session(message_of_type("ping"), session), kEventLimit, 0, "a ping");
    hub.expect_event(
        [&](const Event& e) { return e.is_sent("pong") && e.str("/session") == session; },
        kEventLimit, ping.index(), "pong");
    // And a hub ping the agent answers with pong{ref}.
    from = hub.mark();
    hub.command("send-type ping");
    const Event& sent_ping =
        hub.expect_event(in_session(sent_of_type("ping"), session), kEventLimit, from, "ping sent");
    hub.expect_event(
        [&](const Event& e) {
            return e.is_message("pong") && e.str("/msg/data/ref") == sent_ping.str("/id");
        },
        kEventLimit, from, "the agent's pong");

    check_all_sealed(hub, session);
}

TEST_CASE("sealed: re-sent results and the outbox go sealed under the new session's keys",
          "[integration][sealed][reconnect]") {
    SealedRig s;
    AppendEntry append(s.rig.dir);
    if (!append.usable()) return;
    s.rig.agent.add_command(append.entry());
    const Event& online = s.rig.start_online();
    const std::string s1 = *online.str("/session");
    Hub& hub = s.rig.hub;

    hub.command("auto-ack off");
    std::size_t from = hub.mark();
    hub.command(execute_line("resend-1", "append", {"resend-1", "0"}));
    const Event& first = hub.expect_event(result_for("resend-1"), kEventLimit, from, "result");
    REQUIRE(first.str("/msg/data/state") == "succeeded");

    // A reconnect: a new ephemeral key, counters from 0, the result again.
    hub.command("auto-ack on");
    from = hub.mark();
    std::size_t log_from = s.rig.agent.mark();
    hub.command("drop");
    const std::string s2 = *s.rig.wait_online(from, log_from).str("/session");
    REQUIRE(s2 != s1);
    const Event& again =
        hub.expect_event(in_session(result_for("resend-1"), s2), kEventLimit, from, "re-sent");
    CHECK(again.str("/msg/data/finished_at") == first.str("/msg/data/finished_at"));
    CHECK(again.has("/sealed_n"));
    hub.expect_event(in_session(sent_of_type("result_ack"), s2), kEventLimit, again.index(),
                     "result_ack");
    const auto epks = hub.events(event_named("seal_started"));
    REQUIRE(epks.size() == 2);
    CHECK(epks[0]->str("/epk") != epks[1]->str("/epk"));

    // The outbox: a message stored (plaintext, as the journal keeps it) while
    // the agent was stopped goes out sealed in the next session.
    stop_agent(s.rig.agent);
    {
        auto journal = outpost::journal::Journal::open(s.rig.agent.state_dir() + "/journal.db",
                                                       outpost::journal::SyncMode::full);
        REQUIRE(journal);
        const std::string stored =
            R"({"type":"health","id":"outbox-sealed-1","ts":"2026-12-07T00:00:00.000Z","data":)"
            R"({"ref":null,"checks":{"agent":"ok","disk":"ok","memory":"ok","database":"ok",)"
            R"("containers":"skipped"},"details":{}}})";
        REQUIRE(journal->enqueue(outpost::journal::OutboxKind::health, stored,
                                 std::chrono::system_clock::now()));
    }
    from = hub.mark();
    log_from = s.rig.agent.mark();
    s.rig.agent.start(hub);
    const std::string s3 = *s.rig.wait_online(from, log_from, kFirstOnline).str("/session");
    const Event& kept = hub.expect_event(
        [&](const Event& e) {
            return e.is_message("health") && e.str("/session") == s3 &&
                   e.str("/msg/id") == "outbox-sealed-1";
        },
        kEventLimit, from, "the outbox's health");
    CHECK(kept.has("/sealed_n"));
    for (const auto& session : {s1, s2, s3}) check_all_sealed(hub, session);
    CHECK(append.count("resend-1") == 1);
}

TEST_CASE("sealed: a signed command inside a sealed message runs, an unsigned one does not",
          "[integration][sealed][signed]") {
    SealedRig s;
    AppendEntry append(s.rig.dir);
    if (!append.usable()) return;
    CommandSigner signer;
    s.rig.agent.set("security", "command_public_key", signer.public_key());
    s.rig.agent.add_command(append.entry());
    const Event& online = s.rig.start_online();
    const std::string session = *online.str("/session");
    Hub& hub = s.rig.hub;

    std::size_t from = hub.mark();
    hub.command("send-type signed " + signer.signed_execute(s.rig.agent.node_id(), "signed-1"));
    const Event& result = hub.expect_event(result_for("signed-1"), kEventLimit, from, "result");
    CHECK(result.str("/msg/data/state") == "succeeded");
    const Event& sent = hub.expect_event(in_session(sent_of_type("signed"), session), kEventLimit,
                                         from, "the signed command");
    CHECK(sent.has("/sealed_n"));
    CHECK(append.count("signed-1") == 1);

    // Sealed but not signed, while signing is required: refused (§3.6), inside the channel.
    from = hub.mark();
    hub.command(execute_line("unsigned-1", "append", {"unsigned-1", "0"}));
    const Event& error =
        hub.expect_event(in_session(message_of_type("error"), session), kEventLimit, from, "error");
    CHECK(error.str("/msg/data/code") == "bad_signature");
    CHECK(error.has("/sealed_n"));
    check_all_sealed(hub, session);
    stop_agent(s.rig.agent);
    CHECK(append.count("unsigned-1") == 0);
    CHECK_FALSE(journal_knows(s.rig.agent, "unsigned-1"));
}

TEST_CASE("sealed: a broken hub message closes 1008 and runs nothing",
          "[integration][sealed][refusal]") {
    SealedRig s;
    AppendEntry append(s.rig.dir);
    if (!append.usable()) return;
    s.rig.agent.add_command(append.entry());
    const Event& online = s.rig.start_online();
    const std::string session = *online.str("/session");
    Hub& hub = s.rig.hub;
    // Nothing else of the hub's may come between (pongs, result_acks).
    hub.command("auto-pong off");
    hub.command("auto-ack off");

    std::string id;
    std::string fault;
    SECTION("a tampered ciphertext") {
        id = "tampered-1", fault = "tamper";
    }
    SECTION("a reused n (a new command sealed under the last n)") {
        id = "reused-n-1", fault = "reuse-n";
    }
    SECTION("an unsealed command after welcome") {
        id = "unsealed-1", fault = "unsealed";
    }
    SECTION("an outer id that is not the associated data") {
        id = "wrong-id-1", fault = "wrong-id";
    }
    INFO("fault " << fault);
    const std::size_t from = hub.mark();
    hub.command("seal-fault " + fault);
    hub.command(execute_line(id, "append", {id, "0"}));
    const Event& sent = hub.expect_event(in_session(sent_of_type("execute"), session), kEventLimit,
                                         from, "the faulty execute");
    CHECK(sent.str("/seal_fault") == fault);
    expect_agent_1008(hub, session, from);
    // The agent backs off and comes back on a fresh channel.
    const std::string next =
        *hub.expect_event(connected_event(), kEventLimit, from, "reconnect").str("/session");
    hub.expect_event(in_session(sent_of_type("welcome"), next), kEventLimit, from, "welcome");

    stop_agent(s.rig.agent);
    CHECK(hub.events(ack_for(id), from).empty());
    CHECK(append.count(id) == 0);
    CHECK_FALSE(journal_knows(s.rig.agent, id));
}

TEST_CASE("sealed: a replayed message (same n, same bytes) closes 1008 and does not run again",
          "[integration][sealed][refusal]") {
    SealedRig s;
    AppendEntry append(s.rig.dir);
    if (!append.usable()) return;
    s.rig.agent.add_command(append.entry());
    const Event& online = s.rig.start_online();
    const std::string session = *online.str("/session");
    Hub& hub = s.rig.hub;
    hub.command("auto-pong off");
    hub.command("auto-ack off");  // the execute stays the hub's last sealed message

    const std::size_t from = hub.mark();
    hub.command(execute_line("replayed-1", "append", {"replayed-1", "0"}));
    hub.expect_event(result_for("replayed-1"), kEventLimit, from, "result");
    hub.command("seal-replay");
    expect_agent_1008(hub, session, from);
    stop_agent(s.rig.agent);
    CHECK(hub.events(ack_for("replayed-1"), from).size() == 1);  // no "duplicate" ack either
    CHECK(append.count("replayed-1") == 1);
}

TEST_CASE("sealed: an unsealed welcome closes 1008, and nothing after it runs",
          "[integration][sealed][refusal]") {
    SealedRig s;
    AppendEntry append(s.rig.dir);
    if (!append.usable()) return;
    s.rig.agent.add_command(append.entry());
    Hub& hub = s.rig.hub;

    SECTION("the welcome alone") {
        hub.command("seal-fault unsealed");
        const std::size_t from = hub.mark();
        s.rig.agent.start(hub);
        const std::string first =
            *hub.expect_event(connected_event(), kFirstOnline, from, "connected").str("/session");
        const Event& welcome = hub.expect_event(in_session(sent_of_type("welcome"), first),
                                                kEventLimit, from, "welcome");
        CHECK(welcome.str("/seal_fault") == "unsealed");
        CHECK_FALSE(welcome.has("/sealed_n"));
        expect_agent_1008(hub, first, from);
        // The fault was one shot: the next session is sealed and comes online.
        const std::string second =
            *hub.expect_event(
                    [&](const Event& e) { return e.is("connected") && e.str("/session") != first; },
                    kEventLimit, from, "reconnect")
                 .str("/session");
        hub.expect_event(in_session(sent_of_type("welcome"), second), kEventLimit, from,
                         "sealed welcome");
        REQUIRE(s.rig.agent.wait_log("online (session " + second + ",", kEventLimit));
        const std::size_t asked = hub.mark();
        hub.command(R"(send-type health_check {"request_id":"after-refusal"})");
        hub.expect_event(in_session(message_of_type("health"), second), kEventLimit, asked,
                         "a sealed answer on the new channel");
        check_all_sealed(hub, second);
    }
    SECTION("a server that does not seal: an unsealed welcome and an execute behind it") {
        hub.command("silent on");  // no automatic (sealed) welcome: the test sends its own
        const std::size_t from = hub.mark();
        s.rig.agent.start(hub);
        const Event& hello =
            hub.expect_event(message_of_type("hello"), kFirstOnline, from, "hello");
        const std::string first = *hello.str("/session");
        // The hub stops reading first, so the agent's close (which follows the
        // welcome at once) cannot end the session before the execute is written.
        hub.command("stop-reading 3600000");
        hub.command(
            R"(send-type welcome {"protocol":"outpost.v1","session_id":"x","server_time":"2026-12-07T00:00:00.000Z"})");
        hub.command(
            execute_line("after-unsealed-welcome", "append", {"after-unsealed-welcome", "0"}));
        hub.expect_event(in_session(sent_of_type("execute"), first), kEventLimit, from,
                         "the execute written");
        hub.command("stop-reading off");
        expect_agent_1008(hub, first, from);
        hub.idle(1s);  // time in which a wrongly accepted execute would run
        stop_agent(s.rig.agent);
        CHECK(hub.events(ack_for("after-unsealed-welcome"), from).empty());
        CHECK(append.count("after-unsealed-welcome") == 0);
        CHECK_FALSE(journal_knows(s.rig.agent, "after-unsealed-welcome"));
        CHECK(s.rig.agent.count_log("online (session") == 0);
    }
}

TEST_CASE("sealed: a server that holds a different key is refused with 1008, every time",
          "[integration][sealed][refusal]") {
    TempDir keys;
    SealKey configured(keys, "configured.key");
    SealKey other(keys, "other.key");
    Rig rig(sealed_hub(other));  // the hub holds the other key
    rig.agent.set("security", "server_seal_key", configured.public_key);
    const std::size_t from = rig.hub.mark();
    rig.agent.start(rig.hub);

    // Its sealed welcome does not open at the agent; the agent keeps trying
    // (with backoff), never comes online, never says anything after hello.
    std::vector<std::string> sessions;
    while (sessions.size() < 2) {
        const Event& closed = rig.hub.expect_event(
            [&](const Event& e) {
                return e.is("closed") && std::find(sessions.begin(), sessions.end(),
                                                   *e.str("/session")) == sessions.end();
            },
            kFirstOnline, from, "a close");
        CHECK(closed.num("/code") == 1008);
        CHECK(closed.str("/by") == "agent");
        sessions.push_back(*closed.str("/session"));
    }
    for (const auto& session : sessions) {
        CHECK(rig.hub.events(in_session(sent_of_type("welcome"), session), from).size() == 1);
        for (const Event* e : rig.hub.events(in_session_named("message", session), from)) {
            CHECK(e->str("/type") == "hello");
        }
    }
    CHECK(rig.agent.count_log("online (session") == 0);
}
