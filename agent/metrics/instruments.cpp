#include "agent/metrics/instruments.hpp"

namespace outpost::metrics {

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
    bump(reconnects, snapshot.last_error ? std::string_view(snapshot.last_error->what)
                                         : std::string_view("unknown"));
}

}  // namespace outpost::metrics
