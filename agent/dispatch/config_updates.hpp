#pragma once
// config_update (protocol.md §3.3): answered from the journal when it was
// applied before, else handed to the owner's handler, which validates,
// persists and applies it. Returns the answer; the caller sends it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::dispatch {

// Validates, persists and applies the `config` object (minified JSON, shaped
// like the config file); the error's message is the reason sent back, and
// then nothing changed. It persists the overrides and the request_id in one
// transaction (Journal::apply_config_update), so that a redelivery is never
// applied twice.
using ConfigUpdateHandler =
    std::function<Expected<void>(std::string_view request_id, std::string_view config_json)>;

// A command_ack's state and reason.
struct AckOutcome {
    protocol::outbound::AckState state;
    std::optional<std::string> reason;
};

class ConfigUpdates {
  public:
    // `journal` null: no journal (the handler then refuses every update);
    // `handler` empty: config_update is not supported.
    ConfigUpdates(journal::Journal* journal, ConfigUpdateHandler handler);

    [[nodiscard]] AckOutcome handle(const std::string& request_id, const std::string& config_json);

  private:
    journal::Journal* journal_;
    ConfigUpdateHandler handler_;
};

}  // namespace outpost::dispatch
