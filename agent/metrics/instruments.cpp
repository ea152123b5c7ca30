#include "agent/metrics/instruments.hpp"

#include <algorithm>
#include <iterator>

namespace outpost::metrics {

namespace {

// Every kind the session records (agent/session/policy*.cpp) that is a label
// as it is. HTTP statuses and close codes are open-ended numbers: only the
// ones with a meaning of their own (protocol.md §1, §2, §5) keep theirs.
constexpr std::string_view known_kinds[] = {
    "connection_failed", "connection_lost",   "no_subprotocol", "protocol_mismatch",
    "no_welcome",        "peer_dead",         "write_stalled",  "http_401",
    "http_403",          "http_426",          "http_429",       "http_503",
    "close_1000",        "close_1001",        "close_1008",     "close_1009",
    "close_1011",        "close_4000",        "close_4001",     "close_4002",
    "close_4003",        "close_4004",        "close_4005",     "close_4006",
    "close_4007",        "seal_unsealed",     "seal_malformed", "seal_did_not_open",
    "seal_replayed",     "seal_inner_sealed",
};
constexpr std::string_view token_kinds[] = {
    "token_unauthorized", "token_forbidden",         "token_server_error",
    "token_timeout",      "token_connection_failed", "token_malformed",
};

bool listed(std::string_view kind, const auto& table) {
    return std::find(std::begin(table), std::end(table), kind) != std::end(table);
}

}  // namespace

std::string_view reconnect_reason(const std::optional<session::LastError>& error) {
    if (!error) return "unknown";
    const std::string_view kind = error->kind;
    if (listed(kind, known_kinds) || listed(kind, token_kinds)) return kind;
    if (kind.starts_with("http_")) return "http_other";
    if (kind.starts_with("close_")) return "close_other";
    if (kind.starts_with("seal_")) return "seal_other";
    return "other";
}

void bump(LabelledCounts& counts, std::string_view key) {
    auto it = counts.find(key);
    if (it == counts.end()) it = counts.emplace(std::string(key), 0).first;
    ++it->second;
}

std::vector<double> command_duration_buckets() {
    return {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
}

Instruments::Instruments()
    : command_duration(command_duration_buckets()),
      journal_sync(latency_buckets()),
      ack_latency(latency_buckets()) {}

void Instruments::on_connection_state(const session::SessionSnapshot& snapshot) {
    using session::State;
    const State from = last_state_;
    last_state_ = snapshot.state;
    const bool waiting = snapshot.state == State::backoff || snapshot.state == State::revoked ||
                         snapshot.state == State::incompatible ||
                         snapshot.state == State::unauthorized;
    if (!waiting || from == snapshot.state) return;
    bump(reconnects, reconnect_reason(snapshot.last_error));
}

}  // namespace outpost::metrics
