#pragma once
// What a SessionDriver is given rather than builds: its transport, its token
// provider, its timers and its clock. The agent gives it the production parts
// (websocket_session_parts below); a unit test gives it a test transport and
// a fake clock and drives it in-process. The HTTPS polling fallback
// (protocol.md §7) is the second transport, `make_poll_connection`.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "agent/auth/identity.hpp"
#include "agent/auth/token_provider.hpp"
#include "agent/config/config.hpp"
#include "agent/session/clock.hpp"
#include "agent/transport/connection.hpp"

namespace outpost::transport {
class EventLoop;
}

namespace outpost::runtime {

// A one-shot timer on the driver's clock. schedule() replaces any pending
// callback and never runs it inside the call (not even for a zero delay);
// destroying the timer cancels it.
class DriverTimer {
  public:
    virtual ~DriverTimer() = default;
    virtual void schedule(std::chrono::milliseconds delay, std::function<void()> callback) = 0;
    virtual void cancel() = 0;
};

struct SessionParts {
    transport::ConnectSettings connect;  // where and how each attempt connects
    // Makes the driver's one connection, given the handlers of its events.
    std::function<std::unique_ptr<transport::Connection>(transport::ConnectionEvents)>
        make_connection;
    // The HTTPS polling fallback (protocol.md §7), when server.poll_url is
    // set: where each poll goes and the connection that makes them (one
    // polling period per connect()). Empty: the WebSocket only.
    transport::ConnectSettings poll_connect{};
    std::function<std::unique_ptr<transport::Connection>(transport::ConnectionEvents)>
        make_poll_connection{};
    std::unique_ptr<auth::TokenProvider> tokens;
    std::function<std::unique_ptr<DriverTimer>()> make_timer;
    // Measures every deadline (welcome, heartbeat, backoff, reauth).
    std::unique_ptr<session::Clock> clock;
    std::unique_ptr<session::Random> random;  // the backoff's jitter
    // protocol.md §5: where the last session's boot_id and spread hint are
    // kept (session_record.hpp); empty: nowhere, every start connects at once.
    std::filesystem::path session_record{};
    std::string boot_id{};  // this boot's; empty when unknown
};

// The production parts: WebSocket over TLS on `loop`, and with
// server.poll_url the polling fallback over HTTPS on the same loop (each
// with the proxy from
// server.proxy or the environment), the token provider auth.mode names (an
// exchange POSTs over HTTPS on the same loop), the loop's timers and the
// system clock. `loop`, `config` and `identity` must outlive them.
[[nodiscard]] SessionParts websocket_session_parts(transport::EventLoop& loop,
                                                   const config::Config& config,
                                                   const auth::Identity& identity);

}  // namespace outpost::runtime
