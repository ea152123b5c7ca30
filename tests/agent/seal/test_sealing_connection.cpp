// SealingConnection, the one place of the transport path that seals and
// opens (protocol.md §8), between the real SessionDriver (with its real
// policy, parser and encoder) and a test transport standing in for the
// WebSocket; the control plane's end is computed the server's way
// (seal_test_keys.hpp). The driver and its hooks see plaintext only.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "../session/fakes.hpp"
#include "agent/auth/identity.hpp"
#include "agent/common/json/json_reader.hpp"
#include "agent/config/loader.hpp"
#include "agent/runtime/hello.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/seal/sealing_connection.hpp"
#include "seal_test_keys.hpp"

using namespace outpost;
using namespace std::chrono_literals;
using namespace outpost::seal;
using namespace outpost::seal::testing;
using transport::ConnectionState;

namespace {

// The WebSocket's place: records what goes out, and the test says what
// the peer does. Events come only from those calls, never from inside
// connect()/send()/close(), as WsConnection's.
class TestTransport final : public transport::Connection {
  public:
    explicit TestTransport(transport::ConnectionEvents events) : events_(std::move(events)) {}
    Expected<void> connect(const transport::ConnectSettings&, std::string) override {
        if (state_ != ConnectionState::kIdle) return std::unexpected(Error("already connecting"));
        ++connects;
        state_ = ConnectionState::kConnecting;
        return {};
    }
    Expected<void> send(std::string message) override {
        if (state_ != ConnectionState::kOpen) return std::unexpected(Error("not open"));
        sent.push_back(std::move(message));
        return {};
    }
    void close(int code, std::string reason) override {
        closes.emplace_back(code, std::move(reason));
        state_ = ConnectionState::kClosing;
    }
    void abort() override { state_ = ConnectionState::kClosing; }
    [[nodiscard]] State state() const override { return state_; }
    [[nodiscard]] bool fully_written() const override { return true; }
    [[nodiscard]] size_t queued_bytes() const override { return 0; }

    void accept() {
        state_ = ConnectionState::kOpen;
        events_.on_open("outpost.v1");
    }
    void receive(const std::string& text) { events_.on_message(text); }
    void receive_binary() { events_.on_invalid("binary frame"); }
    void finish_closing() {
        state_ = ConnectionState::kIdle;
        events_.on_closed(closes.empty() ? std::nullopt : std::optional<int>(closes.back().first),
                          "");
    }

    int connects = 0;
    std::vector<std::string> sent;
    std::vector<std::pair<int, std::string>> closes;

  private:
    transport::ConnectionEvents events_;
    ConnectionState state_ = ConnectionState::kIdle;
};

// Timers the test fires by hand (the driver's attempts and ticks).
class ManualTimer final : public runtime::DriverTimer {
  public:
    explicit ManualTimer(std::vector<ManualTimer*>& all) : all_(all) { all_.push_back(this); }
    ~ManualTimer() override { std::erase(all_, this); }
    void schedule(std::chrono::milliseconds, std::function<void()> callback) override {
        callback_ = std::move(callback);
    }
    void cancel() override { callback_ = nullptr; }
    void fire() {
        if (auto callback = std::exchange(callback_, nullptr)) callback();
    }

  private:
    std::vector<ManualTimer*>& all_;
    std::function<void()> callback_;
};

std::string envelope(std::string_view type, std::string_view id, std::string_view data) {
    return std::string(R"({"type":")") + std::string(type) + R"(","id":")" + std::string(id) +
           R"(","ts":"2026-12-07T00:00:00.000Z","data":)" + std::string(data) + "}";
}

const std::string kWelcome = envelope(
    "welcome", "w-1",
    R"({"protocol":"outpost.v1","session_id":"s-1","server_time":"2026-12-07T00:00:00Z"})");
const std::string kHealthCheck = envelope("health_check", "h-1", R"({"request_id":"r-1"})");

std::string type_of(std::string_view text) {
    auto document = json::Document::parse(text);
    REQUIRE(document);
    auto root = document->root().object();
    REQUIRE(root);
    auto type = root->find("type");
    REQUIRE(type);
    return std::string(type->string().value_or(""));
}

// A driver in auth.mode jwt with security.server_seal_key = S of the
// known-answer vector, its connection a SealingConnection around a
// TestTransport. The identity is the vector's too (seed 00..1f).
struct Rig {
    Rig() {
        auto loaded = config::load_config_text(
            "server:\n  url: wss://hub.example.com/v1/agent\n"
            "security:\n  server_seal_key: " +
                auth::base64url_encode(server.public_key) + "\n",
            "test.yaml");
        REQUIRE(loaded);
        config = std::move(*loaded);
        REQUIRE(config.security.server_seal_key ==
                std::optional<std::array<std::uint8_t, 32>>(server.public_key));
        identity.node_id = "node-1";
        identity.public_key = identity.secret_key.public_key();

        runtime::SessionParts parts;
        parts.connect.url = config.server.url;
        parts.make_connection = [this](transport::ConnectionEvents events) {
            return std::make_unique<SealingConnection>(
                agent_key_pair(identity.secret_key), *config.security.server_seal_key,
                std::move(events), [this](transport::ConnectionEvents inner_events) {
                    auto made = std::make_unique<TestTransport>(std::move(inner_events));
                    wire = made.get();
                    return made;
                });
        };
        auto fake_clock = std::make_unique<session::testing::FakeClock>();
        clock = fake_clock.get();
        parts.tokens = auth::make_jwt_provider(identity, config.auth.audience, 3600s,
                                               [this] { return clock->wall_now(); });
        parts.make_timer = [this] { return std::make_unique<ManualTimer>(timers); };
        parts.clock = std::move(fake_clock);
        parts.random = std::make_unique<session::testing::FakeRandom>(
            session::testing::FakeRandom::Mode::high);
        driver = std::make_unique<runtime::SessionDriver>(config, identity, std::move(parts));
        runtime::SessionDriver::Hooks hooks;
        hooks.on_message = [this](const protocol::InboundMessage& m) {
            dispatched.push_back(m.type);
        };
        driver->set_hooks(std::move(hooks));
    }

    void fire_timers() {
        for (ManualTimer* timer : std::vector<ManualTimer*>(timers)) timer->fire();
    }

    // Connected, hello sent; returns the control plane's end for this
    // connection, from hello's epk.
    TestServer open() {
        driver->start();
        fire_timers();
        REQUIRE(wire->connects == 1);
        wire->accept();
        REQUIRE(wire->sent.size() == 1);
        return server_for(wire->sent.front());
    }

    TestServer server_for(std::string_view hello) {
        auto document = json::Document::parse(hello);
        REQUIRE(document);
        auto seal = document->root().object()->find("data")->object()->find("seal");
        REQUIRE(seal);
        auto epk = seal->object()->find("epk")->string();
        REQUIRE(epk);
        auto decoded = auth::base64url_decode(*epk);
        REQUIRE(decoded);
        REQUIRE(decoded->size() == kX25519Bytes);
        PublicKey ephemeral{};
        std::copy(decoded->begin(), decoded->end(), ephemeral.begin());
        return TestServer(server, ephemeral, agent.public_key);
    }

    // The refusal closed with 1008 at once, sent nothing more, and the
    // policy backs off, counted and shown.
    void require_closed_1008(std::size_t sent_before, std::string_view counter) {
        REQUIRE(wire->closes.size() == 1);
        CHECK(wire->closes.front().first == 1008);
        CHECK(wire->sent.size() == sent_before);  // no `error` first
        const auto snapshot = driver->snapshot();
        CHECK(snapshot.state == session::State::backoff);
        CHECK(snapshot.seal_failures.at(std::string(counter)) == 1);
        REQUIRE(snapshot.last_error);
        CHECK(snapshot.last_error->what.starts_with("seal: "));
    }

    KeyPair server = vector_server();
    KeyPair agent = vector_agent();
    config::Config config;
    auth::Identity identity{"", {}, vector_identity()};
    std::vector<ManualTimer*> timers;
    session::testing::FakeClock* clock = nullptr;  // owned by the driver
    TestTransport* wire = nullptr;                 // owned by the driver's connection
    std::vector<std::string> dispatched;
    std::unique_ptr<runtime::SessionDriver> driver;
};

}  // namespace

TEST_CASE("sealed session: hello goes in clear with seal v1 and the sealed capability", "[seal]") {
    Rig rig;
    rig.open();
    const std::string& hello = rig.wire->sent.front();
    CHECK(type_of(hello) == "hello");
    CHECK(hello.find(R"("seal":{"v":1,"epk":")") != std::string::npos);
    auto capabilities = runtime::advertised_capabilities(rig.config);
    CHECK(std::find(capabilities.begin(), capabilities.end(), "sealed") != capabilities.end());
}

TEST_CASE("sealed session: welcome and commands open, everything sent after hello is sealed",
          "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    REQUIRE(rig.driver->online());
    rig.wire->receive(server.seal(kHealthCheck));
    rig.wire->receive(server.seal(envelope("ping", "p-1", "{}")));
    CHECK(rig.dispatched == std::vector<std::string>{"health_check"});

    // The driver sent status (after welcome) and pong; both sealed, and
    // they open to plaintext the driver wrote, with n 0, 1.
    REQUIRE(rig.wire->sent.size() == 3);
    std::vector<std::string> inner_types;
    for (std::size_t i = 1; i < rig.wire->sent.size(); ++i) {
        CHECK(type_of(rig.wire->sent[i]) == "sealed");
        CHECK(read_outer(rig.wire->sent[i]).n == i - 1);
        inner_types.push_back(type_of(server.open(rig.wire->sent[i])));
    }
    CHECK(inner_types == std::vector<std::string>{"status", "pong"});

    // What the outbox sends (already encoded, kept as plaintext) is sealed
    // at send time too.
    REQUIRE(rig.driver->send_encoded(envelope("telemetry", "t-1", R"({"seq":1})")));
    CHECK(type_of(server.open(rig.wire->sent.back())) == "telemetry");
    CHECK(rig.wire->sent.back().find("seq") == std::string::npos);
}

TEST_CASE("sealed session: a signed command travels sealed and reaches the handler as `signed`",
          "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    rig.wire->receive(server.seal(envelope("signed", "sg-1", R"({"jws":"a.b.c"})")));
    // The signed gate (the dispatcher's) gets the inner message as if it
    // had arrived alone.
    CHECK(rig.dispatched == std::vector<std::string>{"signed"});
}

TEST_CASE("sealed session: an unsealed welcome closes with 1008 and backs off", "[seal]") {
    Rig rig;
    rig.open();
    rig.wire->receive(kWelcome);
    CHECK_FALSE(rig.driver->online());
    rig.require_closed_1008(1, "unsealed");
}

TEST_CASE("sealed session: an unsealed command after welcome closes with 1008, nothing handled",
          "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive(kHealthCheck);
    CHECK(rig.dispatched.empty());
    rig.require_closed_1008(sent, "unsealed");
    // Nothing after the refusal is handled, sealed or not.
    rig.wire->receive(server.seal(kHealthCheck));
    CHECK(rig.dispatched.empty());
}

TEST_CASE("sealed session: a tampered ciphertext closes with 1008", "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    std::string sealed = server.seal(kWelcome);
    const auto at = sealed.find(R"("c":")") + 5;
    sealed[at] = sealed[at] == 'A' ? 'B' : 'A';
    rig.wire->receive(sealed);
    CHECK_FALSE(rig.driver->online());
    rig.require_closed_1008(1, "did_not_open");
    CHECK(rig.driver->snapshot().last_error->what == "seal: the server's messages did not open");
}

TEST_CASE("sealed session: a tampered outer id closes with 1008", "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    std::string sealed = server.seal(kHealthCheck, "22222222-2222-4222-8222-222222222222");
    sealed.replace(sealed.find("22222222"), 8, "99999999");
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive(sealed);
    CHECK(rig.dispatched.empty());
    rig.require_closed_1008(sent, "did_not_open");
}

TEST_CASE("sealed session: a replayed n closes with 1008 and the command is not handled twice",
          "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    const std::string command = server.seal(kHealthCheck);
    rig.wire->receive(command);
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive(command);
    CHECK(rig.dispatched == std::vector<std::string>{"health_check"});
    rig.require_closed_1008(sent, "replayed");
}

TEST_CASE("sealed session: a smaller n closes with 1008", "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal_with(7, kWelcome));
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive(server.seal_with(6, kHealthCheck));
    CHECK(rig.dispatched.empty());
    rig.require_closed_1008(sent, "replayed");
}

TEST_CASE("sealed session: a sealed inner message closes with 1008", "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    const std::string inner = server.seal(kHealthCheck);
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive(server.seal(inner));
    CHECK(rig.dispatched.empty());
    rig.require_closed_1008(sent, "inner_sealed");
}

TEST_CASE("sealed session: a server with another key cannot bring the session up", "[seal]") {
    Rig rig;
    rig.open();
    auto document = json::Document::parse(rig.wire->sent.front());
    REQUIRE(document);
    auto epk = auth::base64url_decode(*document->root()
                                           .object()
                                           ->find("data")
                                           ->object()
                                           ->find("seal")
                                           ->object()
                                           ->find("epk")
                                           ->string());
    REQUIRE(epk);
    PublicKey ephemeral{};
    std::copy(epk->begin(), epk->end(), ephemeral.begin());
    TestServer impostor(vector_pair(0x60), ephemeral, rig.agent.public_key);
    rig.wire->receive(impostor.seal(kWelcome));
    CHECK_FALSE(rig.driver->online());
    rig.require_closed_1008(1, "did_not_open");
}

TEST_CASE("sealed session: a binary frame is refused like an unsealed message", "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive_binary();
    rig.require_closed_1008(sent, "unsealed");
}

TEST_CASE("sealed session: an unsealed error is only logged", "[seal]") {
    Rig rig;
    TestServer server = rig.open();
    rig.wire->receive(server.seal(kWelcome));
    const std::size_t sent = rig.wire->sent.size();
    rig.wire->receive(
        envelope("error", "e-1", R"({"ref":null,"code":"schema","message":"m","path":null})"));
    CHECK(rig.wire->closes.empty());
    CHECK(rig.driver->online());
    CHECK(rig.wire->sent.size() == sent);
    CHECK(rig.driver->snapshot().seal_failures.empty());
}

TEST_CASE("sealed session: each connection has a new ephemeral key and counters from 0", "[seal]") {
    Rig rig;
    TestServer first = rig.open();
    rig.wire->receive(first.seal(kWelcome));
    const std::string first_hello = rig.wire->sent.front();
    rig.wire->receive(kHealthCheck);  // refused: closes with 1008
    rig.wire->finish_closing();
    rig.wire->sent.clear();
    rig.fire_timers();  // the backoff's attempt
    REQUIRE(rig.wire->connects == 2);
    rig.wire->accept();
    REQUIRE(rig.wire->sent.size() == 1);
    CHECK(rig.wire->sent.front() != first_hello);
    TestServer second = rig.server_for(rig.wire->sent.front());
    // The first connection's messages do not open in the second.
    const std::string stale = first.seal(kHealthCheck);
    rig.wire->receive(second.seal(kWelcome));
    REQUIRE(rig.driver->online());
    CHECK(read_outer(rig.wire->sent.back()).n == 0);  // status, the first sealed one
    rig.wire->receive(stale);
    CHECK(rig.dispatched.empty());
    CHECK(rig.driver->snapshot().seal_failures.at("did_not_open") == 1);
}

TEST_CASE("sealing connection: the first message must be hello, nothing else goes in clear",
          "[seal]") {
    TestTransport* wire = nullptr;
    std::vector<std::string> received;
    transport::ConnectionEvents events;
    events.on_message = [&](std::string_view text) { received.emplace_back(text); };
    const KeyPair server = vector_server();
    SealingConnection connection(agent_key_pair(vector_identity()), server.public_key, events,
                                 [&](transport::ConnectionEvents inner) {
                                     auto made = std::make_unique<TestTransport>(std::move(inner));
                                     wire = made.get();
                                     return made;
                                 });
    CHECK_FALSE(connection.hello_seal());  // no connection, no key
    REQUIRE(connection.connect(transport::ConnectSettings{}, "token"));
    REQUIRE(connection.hello_seal());
    wire->accept();
    CHECK_FALSE(connection.send(envelope("status", "s", "{}")));
    CHECK(wire->sent.empty());
    REQUIRE(connection.send(envelope("hello", "h", "{}")));
    REQUIRE(connection.send(envelope("status", "s", "{}")));
    CHECK(type_of(wire->sent.back()) == "sealed");
    // The connection ends: its keys go with it.
    wire->close(1000, "");
    wire->finish_closing();
    CHECK_FALSE(connection.hello_seal());
}
