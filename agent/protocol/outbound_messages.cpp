#include "agent/protocol/outbound_messages.hpp"

namespace outpost::protocol::outbound {

Error error_reply(const ProtocolError& error) {
    return Error{error.ref, error.code, error.message, error.path};
}

std::string_view to_string(NodeStatus value) noexcept {
    switch (value) {
        case NodeStatus::online:
            return "online";
        case NodeStatus::degraded:
            return "degraded";
        case NodeStatus::offline:
            return "offline";
    }
    return "degraded";
}

std::string_view to_string(Severity value) noexcept {
    switch (value) {
        case Severity::critical:
            return "critical";
        case Severity::warning:
            return "warning";
        case Severity::info:
            return "info";
    }
    return "warning";
}

std::string_view to_string(AlertState value) noexcept {
    switch (value) {
        case AlertState::firing:
            return "firing";
        case AlertState::resolved:
            return "resolved";
    }
    return "firing";
}

std::string_view to_string(CheckResult value) noexcept {
    switch (value) {
        case CheckResult::ok:
            return "ok";
        case CheckResult::warn:
            return "warn";
        case CheckResult::fail:
            return "fail";
        case CheckResult::skipped:
            return "skipped";
    }
    return "skipped";
}

std::string_view to_string(AckState value) noexcept {
    switch (value) {
        case AckState::accepted:
            return "accepted";
        case AckState::running:
            return "running";
        case AckState::awaiting_approval:
            return "awaiting_approval";
        case AckState::duplicate:
            return "duplicate";
        case AckState::rejected:
            return "rejected";
    }
    return "rejected";
}

std::string_view to_string(ResultState value) noexcept {
    switch (value) {
        case ResultState::succeeded:
            return "succeeded";
        case ResultState::failed:
            return "failed";
        case ResultState::timed_out:
            return "timed_out";
        case ResultState::cancelled:
            return "cancelled";
        case ResultState::rejected:
            return "rejected";
        case ResultState::interrupted:
            return "interrupted";
    }
    return "failed";
}

}  // namespace outpost::protocol::outbound
