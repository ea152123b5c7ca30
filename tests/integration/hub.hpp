#pragma once
// The test control plane (`outpost-hub`) as a child process: certificates
// generated into the test's temp dir, started on an ephemeral port (or the
// previous one, for a restart), steered through stdin commands, observed
// through its JSON-lines events.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "event.hpp"
#include "support.hpp"

namespace outpost::integration {

struct HubOptions {
    int heartbeat_s = 5;             // --heartbeat
    std::optional<int> token_ttl_s;  // --token-ttl
    std::vector<std::string> extra;  // any other options

    HubOptions& heartbeat(int s) {
        heartbeat_s = s;
        return *this;
    }
    HubOptions& token_ttl(int s) {
        token_ttl_s = s;
        return *this;
    }
};

using EventPredicate = std::function<bool(const Event&)>;

class Hub {
  public:
    // Generates the certificate set into `dir`/pki (outpost-hub gen-certs).
    explicit Hub(const TempDir& dir, HubOptions options = {});
    ~Hub();
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // `--agent-key NODE=KEY`; takes effect at the next start().
    void accept_agent_key(const std::string& node_id, const std::string& public_key);

    // Starts and waits for `listening` (fails the test otherwise). The first
    // start takes an ephemeral port; later ones reuse it.
    void start();
    // `quit`, waits for `stopped` and the exit (SIGKILL if it hangs).
    void stop();
    // SIGKILL: a crash.
    void kill();
    void restart() {
        stop();
        start();
    }
    [[nodiscard]] bool running() const { return process_ && !process_->exited(); }

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url() const;        // wss://localhost:PORT/v1/agent
    [[nodiscard]] std::string token_url() const;  // https://localhost:PORT/v1/token
    [[nodiscard]] std::string poll_url() const;   // https://localhost:PORT/v1/poll (§7)
    [[nodiscard]] std::string pki_file(const std::string& name) const;  // ca.pem, other-ca.pem..
    [[nodiscard]] std::string spki_pin() const;  // contents of server.spki-sha256, trimmed

    // Sends one control line and waits for its `ok` (REQUIREs it); returns
    // the index of the `ok` event.
    std::size_t command(const std::string& line, std::chrono::milliseconds limit = 10s);

    // Events are numbered from the first start on, across restarts.
    [[nodiscard]] std::size_t mark() const { return events_.size(); }
    // The first event at or after `from` matching `pred`, waiting up to
    // `limit`; nullptr on timeout.
    const Event* wait_event(const EventPredicate& pred, std::chrono::milliseconds limit,
                            std::size_t from = 0);
    // Like wait_event, but the test fails (REQUIRE) with `what` on timeout.
    const Event& expect_event(const EventPredicate& pred, std::chrono::milliseconds limit,
                              std::size_t from, const std::string& what);
    // Collects events for `d` (nothing is awaited).
    void idle(std::chrono::milliseconds d);
    // Events received so far in [from, to) matching `pred` (after a pump).
    std::vector<const Event*> events(const EventPredicate& pred, std::size_t from = 0,
                                     std::size_t to = SIZE_MAX);
    [[nodiscard]] const Event& event(std::size_t index) const { return events_.at(index); }

    // Reads whatever arrived (at most `timeout` of waiting).
    void pump(std::chrono::milliseconds timeout = 0ms);

    // Printed on failure; also useful while writing a test.
    [[nodiscard]] std::string transcript() const;

  private:
    void drain();

    const TempDir& dir_;
    HubOptions options_;
    std::string pki_dir_;
    std::vector<std::string> agent_keys_;
    std::unique_ptr<ChildProcess> process_;
    std::string stderr_log_;  // of processes already gone
    int port_ = 0;
    std::deque<Event> events_;
};

// Common predicates.
EventPredicate event_named(std::string name);
EventPredicate message_of_type(std::string type);  // agent → hub
EventPredicate sent_of_type(std::string type);     // hub → agent
EventPredicate upgrade_with_status(int status);
EventPredicate connected_event();
EventPredicate closed_event();
// A session that came up over "websocket" or as a "poll"ing period (§7).
EventPredicate connected_over(std::string transport);
EventPredicate poll_event();  // one poll exchange (§7)

}  // namespace outpost::integration
