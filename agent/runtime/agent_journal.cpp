#include "agent/runtime/agent_journal.hpp"

#include "agent/log/log.hpp"
#include "agent/runtime/connection_settings.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";

journal::Options journal_options(const config::Config& config) {
    journal::Options options;
    options.sync = config.journal.sync;
    options.outbox.max_messages = config.outbox.max_messages;
    options.outbox.max_bytes = config.outbox.max_bytes;
    // Stored output is cut to what one result can carry on the wire, sealed
    // or not (connection_settings.hpp).
    options.max_message_bytes = outbound_message_limit(config);
    return options;
}

}  // namespace

AgentJournal AgentJournal::open(const config::Config& config) {
    AgentJournal slot;
    slot.path_ = std::filesystem::path(config.node.state_dir) / "journal.db";
    auto opened = journal::Journal::open(slot.path_, journal_options(config));
    if (opened) {
        slot.journal_.emplace(std::move(*opened));
    } else {
        slot.error_ = opened.error().message();
        log::error(kLog, "journal unavailable, no command will run: {}", slot.error_);
    }
    return slot;
}

void AgentJournal::flush_at_stop() {
    if (!journal_) return;
    if (auto flushed = journal_->flush_delivery_marks(); !flushed) {
        log::warn(kLog, "result_ack marks not written, those results will be re-sent: {}",
                  flushed.error().message());
    }
}

}  // namespace outpost::runtime
