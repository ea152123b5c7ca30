#pragma once
// The HTTPS polling fallback (protocol.md §7) as a Connection: one polling
// period per connect(). The session driver drives it exactly like a
// WebSocket (hello first, welcome, then traffic), and seal::SealingConnection
// wraps it the same way, one sealed channel per period.
//
// - connect() opens the period at once (there is no handshake): on_open
//   names outpost.v1, and the driver's `hello` becomes the first poll's only
//   message. A version mismatch shows as a 426 answer or as a welcome naming
//   another protocol, which the driver's policy checks.
// - send() queues a message; each poll POSTs the oldest queued messages that
//   fit in protocol.max_message_bytes in total, with the same TLS, pins,
//   mTLS, proxy and headers as the upgrade (Authorization, X-Agent-Id,
//   User-Agent, Content-Type: application/json). Messages leave the queue
//   only when a 200 with a valid body answered the poll that carried them;
//   on_delivered then says how many are confirmed since connect().
// - A 200's messages are handed on one by one through on_message, in order,
//   exactly as WebSocket messages are.
// - The next poll goes at once when the answer carried messages (or the body
//   left queued messages behind), shortly after a send() when messages wait,
//   and otherwise after poll_interval; but until the server's first message
//   of the period (its welcome) after at most 1 s, so a server that puts
//   welcome in a later answer still meets the 10 s welcome deadline.
// - Any other outcome ENDS the period (its terminal event): 401, 403, 426,
//   429 and 503 as on_refused (the policy reacts as to the same answer to an
//   upgrade, Retry-After included); a redirect (never followed), any other
//   status, a body that is not {"messages":[...]}, a body over the limit, a
//   TCP/TLS/proxy failure or an exchange over connect_timeout (a reply that
//   never finishes) as on_closed without a code, its cause as the reason.
//   The next period starts with hello again (docs/transport.md "Polling").
// - close() lets the poll in flight finish (its answer is still handled),
//   then ends the period with on_closed(code); abort() drops it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "agent/transport/connection.hpp"
#include "agent/transport/https_post.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::transport {

class EventLoop;

class PollConnection final : public Connection {
  public:
    PollConnection(EventLoop& loop, ConnectionEvents events);
    ~PollConnection() override;
    PollConnection(const PollConnection&) = delete;
    PollConnection& operator=(const PollConnection&) = delete;

    // `settings.url` is the poll URL (https://, http:// only with
    // tls.insecure_plaintext). The token is kept for this period's polls
    // (update_token() replaces it) and wiped when the period ends.
    [[nodiscard]] Expected<void> connect(const ConnectSettings& settings,
                                         std::string bearer_token) override;
    [[nodiscard]] Expected<void> send(std::string message) override;
    void close(int code, std::string reason) override;
    void abort() override;
    [[nodiscard]] State state() const override { return state_; }
    [[nodiscard]] bool fully_written() const override;
    [[nodiscard]] size_t queued_bytes() const override { return queued_bytes_; }
    void update_token(std::string bearer_token) override;

  private:
    void schedule_poll(std::chrono::milliseconds delay);
    // How soon a poll goes for what is queued: kCoalesce, or for log_lines
    // alone what is left of kLogLineFloor since the last poll.
    [[nodiscard]] std::chrono::milliseconds send_delay() const;
    void poll();
    void on_answer(Expected<HttpResponse> response);
    // Hands a 200's messages on; false when the period ended meanwhile.
    [[nodiscard]] bool deliver(std::size_t carried, std::vector<std::string> messages);
    void after_answer(bool carried_messages);
    // The period is over: everything is dropped, then `terminal` runs.
    void end_period();
    void end_later(std::function<void()> terminal);
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> request_headers() const;

    EventLoop& loop_;
    ConnectionEvents events_;
    ConnectSettings settings_;
    std::string token_;
    State state_ = State::kIdle;
    std::unique_ptr<HttpsPost> post_;     // this period's; one request at a time
    std::unique_ptr<HttpsPost> retired_;  // a cancelled one, freed outside its callbacks
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_ = 0;         // messages the running poll carries
    bool polling_ = false;              // a request is running
    bool heard_ = false;                // an answer of this period carried a message
    std::size_t queued_log_lines_ = 0;  // of queue_: the floor applies when all are
    std::optional<std::chrono::steady_clock::time_point> last_poll_at_;
    std::uint64_t delivered_ = 0;   // confirmed since connect()
    std::uint64_t generation_ = 0;  // per period: stale answers are dropped
    std::optional<std::chrono::steady_clock::time_point> next_poll_at_;
    std::optional<std::pair<int, std::string>> closing_;  // close() asked for
    Timer poll_timer_;
    Timer deferred_;
};

}  // namespace outpost::transport
