#include "agent/dispatch/results.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "agent/common/json/json_writer.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::dispatch {
namespace {

journal::CommandState to_state(executors::RunState state) {
    switch (state) {
        case executors::RunState::succeeded:
            return journal::CommandState::succeeded;
        case executors::RunState::failed:
            return journal::CommandState::failed;
        case executors::RunState::timed_out:
            return journal::CommandState::timed_out;
        case executors::RunState::cancelled:
            return journal::CommandState::cancelled;
    }
    return journal::CommandState::failed;
}

protocol::outbound::ResultState wire_state(journal::CommandState state) {
    using W = protocol::outbound::ResultState;
    switch (state) {
        case journal::CommandState::succeeded:
            return W::succeeded;
        case journal::CommandState::timed_out:
            return W::timed_out;
        case journal::CommandState::cancelled:
            return W::cancelled;
        case journal::CommandState::rejected:
            return W::rejected;
        case journal::CommandState::interrupted:
            return W::interrupted;
        default:
            return W::failed;
    }
}

// Room for the envelope (type, id, ts) around the data.
constexpr std::size_t kEnvelopeSlack = 256;

std::size_t encoded_size(const protocol::outbound::CommandResult& wire) {
    const protocol::OutboundMessage probe{"00000000-0000-4000-8000-000000000000",
                                          "2026-01-01T00:00:00.000Z", wire};
    return protocol::encode(probe).size() + kEnvelopeSlack;
}

std::size_t escaped_size(std::string_view text) {
    std::string quoted;
    json::append_json_string(quoted, text);
    return quoted.size() - 2;
}

// Cuts stdout/stderr so the message fits max_message_bytes, keeping as
// much of each as fits *after* escaping (a control byte takes 6 bytes, an
// ill-formed byte 3): the streams share what the rest of the message
// leaves, each getting half, and one that needs less leaves its rest to
// the other. Cuts fall between characters.
void fit_output(protocol::outbound::CommandResult& wire, std::size_t max_message_bytes) {
    if (encoded_size(wire) <= max_message_bytes) return;
    std::string out = std::move(wire.stdout_text);
    std::string err = std::move(wire.stderr_text);
    wire.stdout_text.clear();
    wire.stderr_text.clear();
    const std::size_t rest = encoded_size(wire);
    std::size_t budget = max_message_bytes > rest ? max_message_bytes - rest : 0;
    const std::size_t out_needs = escaped_size(out);
    const std::size_t err_needs = escaped_size(err);
    const std::size_t half = budget / 2;
    std::size_t out_gets = 0;
    if (out_needs <= half) {
        out_gets = out_needs;
    } else if (err_needs <= half) {
        out_gets = budget - err_needs;
    } else {
        out_gets = half;
    }
    const std::size_t err_gets = std::min(err_needs, budget - out_gets);
    const auto cut = [](std::string& text, std::size_t allowance, bool& truncated) {
        const std::size_t keep = json::json_string_prefix_fitting(text, allowance);
        if (keep < text.size()) {
            text.resize(keep);
            truncated = true;
        }
    };
    cut(out, out_gets, wire.stdout_truncated);
    cut(err, err_gets, wire.stderr_truncated);
    wire.stdout_text = std::move(out);
    wire.stderr_text = std::move(err);
}

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
    // Unset when the process never started (the runner leaves the default).
    if (run.started_at != executors::RunResult{}.started_at) result.started_at = run.started_at;
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

    fit_output(wire, max_message_bytes);
    return wire;
}

}  // namespace outpost::dispatch
