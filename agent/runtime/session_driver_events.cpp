// The SessionDriver's connection events: what each connection (the
// WebSocket's, and with server.poll_url the polling period's) reports,
// routed to the session (its policy) or, for a background WebSocket while
// polling, to session_driver_poll.cpp.
#include <fmt/format.h>

#include <utility>

#include "agent/log/log.hpp"
#include "agent/runtime/session_driver.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "session";

}  // namespace

// What a connection reports, turned into the policy's events. The
// WebSocket's events go to the background handlers while it is a background
// attempt of a polling session (session_driver_poll.cpp).
transport::ConnectionEvents SessionDriver::connection_events(Role role) {
    return transport::ConnectionEvents{
        .on_open =
            [this, role](std::string_view sub) {
                if (background(role)) return on_probe_open(sub);
                if (current(role)) on_open(sub);
            },
        .on_message =
            [this, role](std::string_view text) {
                if (current(role)) on_message(text);
            },
        .on_too_large =
            [this, role](size_t size) {
                if (!current(role)) return;
                policy_.on_inbound_message();
                on_invalid(protocol::ErrorCode::too_large,
                           fmt::format("message of at least {} bytes exceeds "
                                       "protocol.max_message_bytes ({})",
                                       size, config_.protocol.max_message_bytes));
            },
        .on_invalid =
            [this, role](std::string what) {
                if (!current(role)) return;
                policy_.on_inbound_message();
                on_invalid(protocol::ErrorCode::invalid_json, std::move(what));
            },
        .on_refused =
            [this, role](int status, std::optional<int> retry_after) {
                if (background(role)) {
                    return on_probe_failed(status, fmt::format("answered HTTP {}", status));
                }
                if (role == Role::poll && switching_) return finish_switch();
                if (current(role)) on_refused(status, retry_after);
            },
        .on_failure =
            [this, role](std::string cause) {
                if (background(role)) return on_probe_failed(std::nullopt, std::move(cause));
                if (role == Role::poll && switching_) return finish_switch();
                if (current(role)) on_failure(std::move(cause));
            },
        .on_foreign_subprotocol =
            [this, role](std::string selected) {
                if (background(role)) {
                    return on_probe_failed(std::nullopt, "selected subprotocol '" + selected + "'");
                }
                if (!current(role)) return;
                log::warn(kLog,
                          "the server selected subprotocol '{}', which this "
                          "agent did not offer (it speaks outpost.v1)",
                          selected);
                apply(policy_.on_foreign_subprotocol(selected));
            },
        .on_closed =
            [this, role](std::optional<int> code, std::string reason) {
                if (background(role)) {
                    return on_probe_failed(std::nullopt, reason.empty() ? "closed" : reason);
                }
                if (role == Role::poll && switching_) return finish_switch();
                if (!current(role)) return;
                if (code) {
                    log::info(kLog, "connection closed with {} {}", *code, reason);
                    apply(policy_.on_peer_close(*code, reason));
                } else {
                    // A polling period ends this way on every bad answer (a
                    // redirect, HTML, a body over the limit, a timeout): say why.
                    const std::string cause = reason.empty() ? "" : ": " + reason;
                    if (policy_.polling()) {
                        log::warn(kLog, "polling period ended{}", cause);
                    } else {
                        log::info(kLog, "connection lost{}", cause);
                    }
                    apply(policy_.on_connection_lost(reason.empty() ? "connection lost" : reason));
                }
            },
        .on_seal_failure =
            [this, role](std::string counter, std::string what) {
                if (current(role)) apply(policy_.on_seal_failure(counter, what));
            },
        .on_delivered =
            [this, role](std::uint64_t through) {
                if (current(role)) on_delivered(through);
            },
    };
}

void SessionDriver::on_refused(std::optional<int> status, std::optional<int> retry_after) {
    const int http_status = status.value_or(0);
    log::warn(kLog, "{} refused with HTTP {}{}", policy_.polling() ? "poll" : "upgrade",
              http_status, retry_after ? fmt::format(" (Retry-After {} s)", *retry_after) : "");
    std::optional<std::chrono::seconds> hint;
    if (retry_after) hint = std::chrono::seconds(*retry_after);
    auto decision = policy_.on_upgrade_refused(http_status, hint);
    apply(decision);
    if (!policy_.polling()) note_upgrade_failed(http_status);
}

void SessionDriver::on_failure(std::string cause) {
    log::warn(kLog, "connection failed: {}", cause);
    apply(policy_.on_transport_failure(cause));
    if (!policy_.polling()) note_upgrade_failed(std::nullopt);
}

}  // namespace outpost::runtime
