#include "agent/dispatch/journal_health.hpp"

#include <fmt/format.h>

namespace outpost::dispatch {

JournalHealth::JournalHealth(bool journal_open, std::string journal_error)
    : journal_open_(journal_open), journal_error_(std::move(journal_error)) {}

void JournalHealth::sync_failed(std::string why) {
    failed_ = true;
    journal_error_ = std::move(why);
}

bool JournalHealth::recovery_failed(std::string why) {
    const bool first = !recovery_failed_;
    recovery_failed_ = true;
    recovery_error_ = std::move(why);
    return first;
}

bool JournalHealth::recovery_succeeded() {
    const bool had_failed = recovery_failed_;
    recovery_failed_ = false;
    return had_failed;
}

void JournalHealth::keep_unstored(const std::string& request_id, journal::CommandResult result,
                                  std::string error) {
    unstored_error_ = std::move(error);
    unstored_.insert_or_assign(request_id, std::move(result));
}

std::optional<std::string> JournalHealth::no_commands_reason() const {
    if (unusable()) return journal_error_;
    if (recovery_failed_) {
        return "journal recovery after the restart failed (" + recovery_error_ +
               "); retried with each maintenance";
    }
    return std::nullopt;
}

std::string JournalHealth::problem() const {
    if (auto why = no_commands_reason()) return *why;
    if (!unstored_.empty()) {
        return fmt::format(
            "{} result(s) could not be journaled ({}); not sent, retried with "
            "each maintenance",
            unstored_.size(), unstored_error_);
    }
    return std::string();
}

}  // namespace outpost::dispatch
