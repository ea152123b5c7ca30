#pragma once
// The SessionDriver's in-process harness (test_session_driver*.cpp): a test
// transport stands in for the control plane's end of each connection (the
// WebSocket's and, with server.poll_url, the polling period's), a fake
// clock and its timers for time; everything between them is the real
// driver, policy, parser, encoder and token provider.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "../session/fakes.hpp"
#include "agent/auth/identity.hpp"
#include "agent/config/loader.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/runtime/session_parts.hpp"

namespace outpost::runtime::testing {

using namespace std::chrono_literals;
using session::testing::FakeClock;
using session::testing::FakeRandom;
using transport::ConnectionState;

// Timers on the fake clock: advance() moves the clock and fires what falls
// due, earliest first (ties in the order they were scheduled).
class Timeline {
  public:
    class Timer final : public runtime::DriverTimer {
      public:
        explicit Timer(Timeline& timeline) : timeline_(timeline) {}
        ~Timer() override { timeline_.forget(this); }
        void schedule(std::chrono::milliseconds delay, std::function<void()> callback) override {
            due_ = timeline_.clock_->now() + delay;
            order_ = ++timeline_.scheduled_;
            callback_ = std::move(callback);
            timeline_.armed_.insert(this);
        }
        void cancel() override { timeline_.forget(this); }

      private:
        friend class Timeline;
        Timeline& timeline_;
        std::chrono::steady_clock::time_point due_;
        std::uint64_t order_ = 0;
        std::function<void()> callback_;
    };

    void attach(FakeClock* clock) { clock_ = clock; }

    void advance(std::chrono::milliseconds by) {
        const auto target = clock_->now() + by;
        while (Timer* next = earliest_due_by(target)) {
            if (next->due_ > clock_->now()) clock_->advance(next->due_ - clock_->now());
            forget(next);
            auto callback = std::move(next->callback_);
            callback();
        }
        if (target > clock_->now()) clock_->advance(target - clock_->now());
    }

  private:
    Timer* earliest_due_by(std::chrono::steady_clock::time_point target) const {
        Timer* best = nullptr;
        for (Timer* timer : armed_) {
            if (timer->due_ > target) continue;
            if (best == nullptr ||
                std::tie(timer->due_, timer->order_) < std::tie(best->due_, best->order_)) {
                best = timer;
            }
        }
        return best;
    }
    void forget(Timer* timer) { armed_.erase(timer); }

    FakeClock* clock_ = nullptr;
    std::uint64_t scheduled_ = 0;
    std::set<Timer*> armed_;
};

// The server's end of the connection. Like WsConnection, it reports events
// only when the test says the peer did something, never from inside a call.
class TestConnection final : public transport::Connection {
  public:
    explicit TestConnection(transport::ConnectionEvents events) : events_(std::move(events)) {}

    Expected<void> connect(const transport::ConnectSettings& settings, std::string token) override {
        if (state_ != ConnectionState::kIdle) return std::unexpected(Error("already connecting"));
        url = settings.url;
        tokens.push_back(std::move(token));
        state_ = ConnectionState::kConnecting;
        return {};
    }
    Expected<void> send(std::string message) override {
        if (state_ != ConnectionState::kOpen) return std::unexpected(Error("not open"));
        if (!peer_reads) unread_bytes += message.size();
        sent.push_back(std::move(message));
        return {};
    }
    void close(int code, std::string reason) override {
        closed_with = code;
        close_reason = std::move(reason);
        state_ = ConnectionState::kClosing;
    }
    void abort() override {
        ++aborts;
        state_ = ConnectionState::kClosing;
    }
    [[nodiscard]] State state() const override { return state_; }
    [[nodiscard]] bool fully_written() const override { return unread_bytes == 0; }
    // What a peer that stopped reading leaves queued; 0 while it reads.
    [[nodiscard]] size_t queued_bytes() const override { return unread_bytes; }

    // --- what the peer does ---
    void accept(std::string_view subprotocol = "outpost.v1") {
        REQUIRE(state_ == ConnectionState::kConnecting);
        state_ = ConnectionState::kOpen;
        events_.on_open(subprotocol);
    }
    // Also while closing: what the peer sent before our close (or, for a
    // polling period, the answer to the poll in flight) still arrives.
    void receive(const std::string& text) {
        REQUIRE((state_ == ConnectionState::kOpen || state_ == ConnectionState::kClosing));
        events_.on_message(text);
    }
    // The peer stops reading: what is sent from now on stays queued.
    void stop_reading() { peer_reads = false; }
    // It reads again, and takes everything queued.
    void read_everything() {
        peer_reads = true;
        unread_bytes = 0;
    }
    void peer_closes(int code, std::string reason) {
        state_ = ConnectionState::kIdle;
        events_.on_closed(code, std::move(reason));
    }
    // Our close() or abort() completed.
    // The upgrade (or a poll) is answered with `status` instead of 101 / 200.
    void refuse(int status, std::optional<int> retry_after = std::nullopt) {
        REQUIRE(state_ != ConnectionState::kIdle);
        state_ = ConnectionState::kIdle;
        events_.on_refused(status, retry_after);
    }
    // TCP/TLS failure before the upgrade completed.
    void fail(std::string cause) {
        REQUIRE(state_ == ConnectionState::kConnecting);
        state_ = ConnectionState::kIdle;
        events_.on_failure(std::move(cause));
    }
    // The connection drops (a polling period: a poll's exchange failed).
    void lose(std::string cause) {
        state_ = ConnectionState::kIdle;
        events_.on_closed(std::nullopt, std::move(cause));
    }
    // Polling: a 200 confirmed the first `through` messages sent.
    void deliver(std::uint64_t through) { events_.on_delivered(through); }
    void finish_closing() {
        REQUIRE(state_ == ConnectionState::kClosing);
        state_ = ConnectionState::kIdle;
        std::optional<int> code = closed_with;
        events_.on_closed(code, close_reason);
    }

    // The `type` of each message sent, in order.
    [[nodiscard]] std::vector<std::string> sent_types() const {
        std::vector<std::string> types;
        constexpr std::string_view kPrefix = R"({"type":")";
        for (const std::string& text : sent) {
            REQUIRE(text.starts_with(kPrefix));
            types.push_back(
                text.substr(kPrefix.size(), text.find('"', kPrefix.size()) - kPrefix.size()));
        }
        return types;
    }

    std::string url;
    std::vector<std::string> tokens;  // one per connect()
    std::vector<std::string> sent;
    std::optional<int> closed_with;
    std::string close_reason;
    int aborts = 0;
    bool peer_reads = true;
    size_t unread_bytes = 0;

  private:
    transport::ConnectionEvents events_;
    ConnectionState state_ = ConnectionState::kIdle;
};

inline std::string envelope(std::string_view type, std::string_view id, std::string_view data) {
    return std::string(R"({"type":")") + std::string(type) + R"(","id":")" + std::string(id) +
           R"(","ts":"2026-11-22T10:00:00.123Z","data":)" + std::string(data) + "}";
}

inline std::string welcome(int heartbeat_s = 15) {
    return envelope("welcome", "w-1",
                    R"({"protocol":"outpost.v1","session_id":"s-1",)"
                    R"("server_time":"2026-11-22T10:00:00Z","heartbeat_s":)" +
                        std::to_string(heartbeat_s) + "}");
}

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "outpost-driver-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

inline auth::Identity make_identity(const std::filesystem::path& state_dir) {
    auto made = auth::load_or_create_identity(state_dir, std::nullopt);
    REQUIRE(made);
    return std::move(*made);
}

// A driver in auth.mode exchange, whose token endpoint answers tok-1,
// tok-2, ... (one per POST) for an hour each.
struct Harness {
    // `server_keys`: more keys of the server section ("  poll_url: ...\n").
    explicit Harness(const std::string& server_keys = "") {
        auto loaded = config::load_config_text(
            "server:\n  url: wss://hub.example.com/v1/agent\n" + server_keys +
                "auth:\n  mode: exchange\n  token_url: https://hub.example.com/v1/token\n",
            "test.yaml");
        REQUIRE(loaded);
        config = std::move(*loaded);

        runtime::SessionParts parts;
        parts.connect.url = config.server.url;
        parts.make_connection = [this](transport::ConnectionEvents events) {
            auto made_connection = std::make_unique<TestConnection>(std::move(events));
            connection = made_connection.get();
            return made_connection;
        };
        if (config.server.poll_url) {
            parts.poll_connect.url = *config.server.poll_url;
            parts.make_poll_connection = [this](transport::ConnectionEvents events) {
                auto made_connection = std::make_unique<TestConnection>(std::move(events));
                poll = made_connection.get();
                return made_connection;
            };
        }
        auto post = [this](const std::string&, std::string,
                           std::function<void(Expected<auth::HttpReply>)> done) {
            ++token_posts;
            done(auth::HttpReply{200, R"({"access_token":"tok-)" + std::to_string(token_posts) +
                                          R"(","expires_in":3600})"});
        };
        auto fake_clock = std::make_unique<FakeClock>();
        clock = fake_clock.get();
        parts.tokens = auth::make_exchange_provider(identity, config.auth.audience, 60s,
                                                    *config.auth.token_url, post,
                                                    [this] { return clock->wall_now(); });
        parts.make_timer = [this] { return std::make_unique<Timeline::Timer>(timeline); };
        parts.clock = std::move(fake_clock);
        parts.random = std::make_unique<FakeRandom>(FakeRandom::Mode::high);
        timeline.attach(clock);
        driver = std::make_unique<runtime::SessionDriver>(config, identity, std::move(parts));
        runtime::SessionDriver::Hooks hooks;
        hooks.on_message = [this](const protocol::InboundMessage& m) {
            dispatched.push_back(m.type);
        };
        driver->set_hooks(std::move(hooks));
    }

    // Started, connected with the first token, hello sent.
    void open() {
        driver->start();
        timeline.advance(0ms);
        REQUIRE(connection->tokens.size() == 1);
        connection->accept();
    }
    void open_and_welcome() {
        open();
        connection->receive(welcome());
        REQUIRE(driver->online());
        connection->sent.clear();
    }

    TempDir state;
    config::Config config;
    auth::Identity identity = make_identity(state.path / "state");
    Timeline timeline;
    FakeClock* clock = nullptr;            // owned by the driver
    TestConnection* connection = nullptr;  // owned by the driver
    TestConnection* poll = nullptr;        // the polling periods'; with poll_url
    int token_posts = 0;
    std::vector<std::string> dispatched;
    std::unique_ptr<runtime::SessionDriver> driver;
};

}  // namespace outpost::runtime::testing
