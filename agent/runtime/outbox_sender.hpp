#pragma once
// The messages protocol.md §3.4 delivers at least once (telemetry, alert,
// health): each is kept in the journal's durable outbox first, then sent,
// oldest first, at most outbox.flush_rate per second, and deleted only once
// the server has proved it read it. The proof is the protocol's own
// heartbeat: after a run of messages the sender adds a `ping`, and the
// server's `pong{ref}` (sent after it read the ping, so after everything
// before it on the same TCP stream) confirms them. Unconfirmed messages go
// again after the next welcome, behind the re-sent results (§3.1 step 3).
//
// Nothing is ever deleted without that proof. A ping unanswered for
// `pong_patience` (a slow or dead link, or a server that does not answer
// pings) is logged, and the cap on unconfirmed messages is lifted for that
// connection, so new reports still go out; all of them stay stored and go
// again after the next welcome, until a pong confirms them.
//
// While the session's send queue is over its high-water mark (a server that
// stopped reading) the flush pauses and looks again every kPausedRecheck:
// the outbox is the journal, not the socket's queue.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::runtime {

class OutboxSender {
  public:
    // The session, as the outbox sees it.
    struct Link {
        std::function<bool()> online;           // welcomed, not stopping
        std::function<bool(std::string)> send;  // an encoded message; false: not queued
        // Sends a `ping` and returns its id (nullopt: not sent).
        std::function<std::optional<std::string>()> probe;
        // The connection's send queue is over its high-water mark: the
        // flush pauses (the messages stay stored) until it drains.
        std::function<bool()> paused;
    };
    struct Settings {
        std::uint64_t flush_rate = 50;  // outbox.flush_rate, messages per second (>= 1)
        std::size_t max_message_bytes = 1024 * 1024;
        std::chrono::milliseconds pong_patience{30'000};
    };

    // `journal` may be null (unusable): messages are then sent while online
    // and lost, with a warning, while offline. `loop` and `journal` outlive
    // the sender.
    OutboxSender(transport::EventLoop& loop, journal::Journal* journal, Settings settings,
                 Link link);
    OutboxSender(const OutboxSender&) = delete;
    OutboxSender& operator=(const OutboxSender&) = delete;

    // A telemetry, alert or health message; any other body is a programming
    // error, logged and sent directly.
    void post(protocol::outbound::Body body) { static_cast<void>(deliver(std::move(body))); }
    // post(), saying whether the message was handed on: true when it is kept
    // in the outbox or (the journal refusing it, or none) went to the
    // connection; false when it is lost. An alert's state moves only on true
    // (agent/alerts/alert_monitor.hpp), so a lost transition is sent again.
    [[nodiscard]] bool deliver(protocol::outbound::Body body);
    // After each welcome, once the stored results are queued: what the
    // previous session sent without a confirmation goes again.
    void start_session();
    // Every pong from the server.
    void on_pong(std::string_view ref);
    // Messages in the outbox, for hello's backlog.outbox (0 when unknown).
    [[nodiscard]] std::uint64_t backlog() { return kept().value_or(0); }
    // The same for `outpost status`: nullopt when the outbox cannot be read.
    [[nodiscard]] std::optional<std::uint64_t> kept();

  private:
    void kick();
    void tick();
    void schedule(std::chrono::microseconds delay);
    void send_probe();
    void confirm(std::int64_t through);
    // Why a stored message may not be sent as it is; nullopt when it may.
    [[nodiscard]] std::optional<std::string> refuse_stored(
        const journal::OutboxMessage& message) const;

    struct Probe {
        std::string ping_id;
        std::int64_t through = 0;  // the last message sent before the ping
        std::chrono::steady_clock::time_point sent_at;
    };

    journal::Journal* journal_;
    Settings settings_;
    Link link_;
    transport::Timer timer_;
    std::chrono::microseconds interval_;
    bool flushing_ = false;                 // a tick is scheduled or a confirmation awaited
    std::int64_t sent_through_ = 0;         // the last id sent in this session
    std::deque<std::int64_t> unconfirmed_;  // ids sent in this session, not yet confirmed
    std::optional<Probe> probe_;
    bool uncapped_ = false;      // a ping went unanswered on this connection
    bool read_failing_ = false;  // the last peek failed (logged once)
    std::chrono::steady_clock::time_point last_sent_at_{};
    std::chrono::steady_clock::time_point last_probe_at_{};
    std::size_t max_unconfirmed_;
    std::uint64_t sent_ = 0;  // in this session, for the log
};

}  // namespace outpost::runtime
