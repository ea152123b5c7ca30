#include "agent/dispatch/results.hpp"

#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::dispatch {
namespace {

journal::CommandState to_state(executors::RunState state) {
    switch (state) {
        case executors::RunState::succeeded: return journal::CommandState::succeeded;
        case executors::RunState::failed: return journal::CommandState::failed;
        case executors::RunState::timed_out: return journal::CommandState::timed_out;
        case executors::RunState::cancelled: return journal::CommandState::cancelled;
    }
    return journal::CommandState::failed;
}

protocol::outbound::ResultState wire_state(journal::CommandState state) {
    using W = protocol::outbound::ResultState;
    switch (state) {
        case journal::CommandState::succeeded: return W::succeeded;
        case journal::CommandState::timed_out: return W::timed_out;
        case journal::CommandState::cancelled: return W::cancelled;
        case journal::CommandState::rejected: return W::rejected;
        case journal::CommandState::interrupted: return W::interrupted;
        default: return W::failed;
    }
}

// Room for the envelope (type, id, ts) around the data.
constexpr std::size_t kEnvelopeSlack = 256;

}  // namespace

journal::CommandResult to_journal(const executors::RunResult& run) {
    journal::CommandResult result;
    result.state = to_state(run.state);
    // protocol.md: succeeded means exit code 0; anything else that exited is failed.
    if (result.state == journal::CommandState::succeeded && run.exit_code != 0) {
        result.state = journal::CommandState::failed;
    }
    result.exit_code = run.exit_code;
    result.signal = run.signal;
    result.stdout_text = run.stdout_data;
    result.stderr_text = run.stderr_data;
    result.stdout_truncated = run.stdout_truncated;
    result.stderr_truncated = run.stderr_truncated;
    result.duration_ms = run.duration.count();
    result.reason = run.reason;
    if (!run.degraded.empty()) {
        std::string note = "ran without: ";
        for (size_t i = 0; i < run.degraded.size(); ++i) {
            if (i) note += "; ";
            note += run.degraded[i];
        }
        result.reason = result.reason ? *result.reason + " (" + note + ")" : note;
    }
    result.finished_at = run.finished_at;
    return result;
}

namespace {

journal::CommandResult result_without_run(journal::CommandState state, std::string reason,
                                          journal::TimePoint now) {
    journal::CommandResult result;
    result.state = state;
    result.reason = std::move(reason);
    result.finished_at = now;
    return result;
}

}  // namespace

journal::CommandResult rejected_result(std::string reason, journal::TimePoint now) {
    return result_without_run(journal::CommandState::rejected, std::move(reason), now);
}

journal::CommandResult not_started_result(std::string reason, journal::TimePoint now) {
    // running -> failed: the journal's transition for a process that could not start.
    return result_without_run(journal::CommandState::failed, "not started: " + std::move(reason),
                              now);
}

protocol::outbound::CommandResult to_wire(const journal::CommandRecord& record,
                                          std::size_t max_message_bytes) {
    protocol::outbound::CommandResult wire;
    wire.request_id = record.spec.request_id;
    const journal::CommandResult& stored = record.result.value();
    wire.state = wire_state(stored.state);
    if (stored.exit_code) wire.exit_code = *stored.exit_code;
    wire.signal = stored.signal;
    wire.stdout_text = stored.stdout_text;
    wire.stderr_text = stored.stderr_text;
    wire.stdout_truncated = stored.stdout_truncated;
    wire.stderr_truncated = stored.stderr_truncated;
    if (record.started_at) wire.started_at = protocol::format_rfc3339(*record.started_at);
    wire.finished_at = protocol::format_rfc3339(stored.finished_at);
    wire.duration_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, stored.duration_ms));
    wire.reason = stored.reason;

    // Escaping can grow output up to 6x (control bytes), so measure, cut the
    // longer stream by the overflow and measure again.
    for (int round = 0; round < 16; ++round) {
        protocol::OutboundMessage probe{"00000000-0000-4000-8000-000000000000",
                                        "2026-01-01T00:00:00.000Z", wire};
        std::size_t size = protocol::encode(probe).size();
        if (size + kEnvelopeSlack <= max_message_bytes) break;
        std::size_t over = size + kEnvelopeSlack - max_message_bytes;
        std::string& longer = wire.stdout_text.size() >= wire.stderr_text.size()
                                  ? wire.stdout_text
                                  : wire.stderr_text;
        bool& flag = (&longer == &wire.stdout_text) ? wire.stdout_truncated : wire.stderr_truncated;
        longer.resize(longer.size() > over ? longer.size() - over : 0);
        flag = true;
        if (wire.stdout_text.empty() && wire.stderr_text.empty()) break;
    }
    return wire;
}

}  // namespace outpost::dispatch
