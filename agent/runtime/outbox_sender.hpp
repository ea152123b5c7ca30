#pragma once
// The messages protocol.md §3.4 keeps while disconnected (telemetry, alert,
// health, status): sent at once while online with nothing older waiting;
// otherwise kept in the journal's durable outbox and, after the next
// welcome and behind the re-sent results, flushed oldest first at
// outbox.flush_rate messages per second. Messages posted while a backlog
// flushes join its tail, so the server sees them in the order they were
// made (a `status{offline}` from a graceful stop before `status{online}`).
//
// At least once (§4): a flushed message leaves the outbox only once the
// connection has taken it from the agent's send queue; a drop or a crash
// before that sends it again after the next welcome.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::runtime {

class OutboxSender {
  public:
    // The session, as the outbox sees it.
    struct Link {
        std::function<bool()> online;               // welcomed (or draining a graceful stop)
        std::function<bool(std::string)> send;     // an encoded message; false: not queued
        std::function<bool()> drained;              // open, and nothing left in the send queue
    };
    struct Settings {
        std::uint64_t flush_rate = 50;  // outbox.flush_rate, messages per second (>= 1)
        std::size_t max_message_bytes = 1024 * 1024;
    };

    // `journal` may be null (unusable): messages are then sent while online
    // and lost, with a warning, while offline. `loop` and `journal` outlive
    // the sender.
    OutboxSender(transport::EventLoop& loop, journal::Journal* journal, Settings settings,
                 Link link);
    OutboxSender(const OutboxSender&) = delete;
    OutboxSender& operator=(const OutboxSender&) = delete;

    // A telemetry, alert, health or status message; any other body is a
    // programming error, logged and sent as if it were not outbox-bound.
    void post(protocol::outbound::Body body);
    // After each welcome, once the stored results are queued (§3.1 step 3).
    void start_flush();
    // Messages in the outbox, for hello's backlog.outbox (0 when unknown).
    [[nodiscard]] std::uint64_t backlog() { return kept().value_or(0); }
    // The same for `outpost status`: nullopt when the outbox cannot be read.
    [[nodiscard]] std::optional<std::uint64_t> kept();

  private:
    void tick();
    void schedule(std::chrono::microseconds delay);
    // Why a stored message may not be sent as it is; nullopt when it may.
    [[nodiscard]] std::optional<std::string> refuse_stored(const journal::OutboxMessage& message) const;

    journal::Journal* journal_;
    Settings settings_;
    Link link_;
    transport::Timer timer_;
    std::chrono::microseconds interval_;
    // True while the outbox may hold messages: new ones then join its tail.
    bool backlog_pending_ = false;
    bool flushing_ = false;
    // The message handed to the connection by the last tick; removed from
    // the outbox once the send queue has drained.
    std::optional<std::int64_t> in_flight_;
    std::uint64_t flushed_ = 0;  // in this session, for the log
};

}  // namespace outpost::runtime
