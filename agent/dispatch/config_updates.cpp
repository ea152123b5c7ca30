#include "agent/dispatch/config_updates.hpp"

#include "agent/log/log.hpp"

namespace outpost::dispatch {
namespace {

constexpr std::string_view kLog = "dispatch";

using protocol::outbound::AckState;

}  // namespace

ConfigUpdates::ConfigUpdates(journal::Journal* journal, ConfigUpdateHandler handler)
    : journal_(journal), handler_(std::move(handler)) {}

AckOutcome ConfigUpdates::handle(const std::string& request_id, const std::string& config_json) {
    if (!handler_) {
        return {AckState::rejected,
                "config_update is not supported by this agent version; nothing was changed"};
    }
    // A redelivery (or a replay within a signed message's exp) of an
    // applied update is answered from the journal: applied again after a
    // newer update, it would roll the settings back. §3.3 answers
    // config_update `accepted` or `rejected` only, so it is `accepted` (it
    // is in force as far as it goes) with a reason. A rejected one was never
    // kept: it is checked again, and gets the same answer unless what
    // failed was the journal. Without a journal nothing can be persisted,
    // and the handler refuses it.
    if (journal_) {
        auto applied = journal_->config_update_applied(request_id);
        if (!applied) {
            log::error(kLog, "{}: journal lookup failed: {}", request_id,
                       applied.error().message());
            return {AckState::rejected, "the journal cannot be read, nothing was changed: " +
                                            applied.error().message()};
        }
        if (*applied) {
            log::info(kLog, "{}: config_update applied before, not applied again", request_id);
            return {AckState::accepted, "already applied when first received; not applied again"};
        }
    }
    auto done = handler_(request_id, config_json);
    if (!done) {
        log::warn(kLog, "{}: config_update rejected, nothing changed: {}", request_id,
                  done.error().message());
        return {AckState::rejected, done.error().message()};
    }
    log::info(kLog, "{}: config_update applied", request_id);
    return {AckState::accepted, std::nullopt};
}

}  // namespace outpost::dispatch
