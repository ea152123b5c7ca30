#pragma once
// What the agent counts for its metrics beyond what `outpost status` shows
// (agent_metrics.hpp): bumped from the loop by the parts that see the event,
// read when the metrics are made. Single-threaded like the loop: no atomics,
// no locks. A bump is a map lookup with a string_view (no allocation once the
// key exists) or a histogram's bucket search.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/metrics/exposition.hpp"
#include "agent/session/snapshot.hpp"

namespace outpost::metrics {

using LabelledCounts = std::map<std::string, std::uint64_t, std::less<>>;

// Adds one to `counts[key]`; allocates only the first time a key is seen.
void bump(LabelledCounts& counts, std::string_view key);

struct Instruments {
    Instruments();

    // Connection attempts that ended (and will be retried), by why: a fixed
    // vocabulary (reconnect_reason), never text from the peer, so a server
    // or an intermediary cannot add label series.
    LabelledCounts reconnects;
    // Commands that reached a final state, by the state.
    LabelledCounts commands_finished;
    Histogram command_duration;  // seconds, from the journal's result
    Histogram journal_sync;      // seconds per journal commit/fsync
    Histogram ack_latency;       // seconds, execute received → command_ack sent

    // Feeds each connection state change (SessionDriver's on_state_changed):
    // an attempt that ends in a waiting state counts as a reconnect.
    void on_connection_state(const session::SessionSnapshot& snapshot);

  private:
    session::State last_state_ = session::State::connecting;
};

// The label of outpost_reconnects_total for the session's last error kind
// (LastError::kind): one of a fixed set ("connection_failed", "http_401",
// "http_other", "close_4001", "close_other", "seal_unsealed",
// "token_timeout", "no_welcome", "peer_dead", "write_stalled", ...), else
// "other". No error at all is "unknown".
[[nodiscard]] std::string_view reconnect_reason(const std::optional<session::LastError>& error);

// Seconds buckets for command durations: 10 ms to 1 h.
[[nodiscard]] std::vector<double> command_duration_buckets();

}  // namespace outpost::metrics
