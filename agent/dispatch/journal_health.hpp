#pragma once
// What is wrong with the journal, as far as commands are concerned: no
// journal at all, a failed sync (nothing runs until a restart), a failed
// recovery (nothing runs until a retry succeeds), and results that could not
// be stored (kept here, retried). It answers two questions: may a command
// start (no_commands_reason), and what to tell people (problem).

#include <map>
#include <optional>
#include <string>

#include "agent/journal/command.hpp"

namespace outpost::dispatch {

class JournalHealth {
  public:
    // `journal_open` false: there is no journal, and `journal_error` says why.
    JournalHealth(bool journal_open, std::string journal_error);

    // A sync failed, or the journal could not return to syncing each commit
    // (GroupCommit): the file may have lost writes SQLite believes
    // committed, so nothing starts until the agent restarts (its recovery
    // then reads what is on disk). `why` replaces the journal error.
    void sync_failed(std::string why);
    [[nodiscard]] bool failed() const { return failed_; }
    // No journal, or a failed sync: the journal is neither read for counts
    // nor trusted to keep a new command.
    [[nodiscard]] bool unusable() const { return !journal_open_ || failed_; }

    // recover() failed: rows the last process left `running` are still
    // `running`. Returns whether it had not failed before (log it once).
    bool recovery_failed(std::string why);
    // Returns whether it had failed before.
    bool recovery_succeeded();
    [[nodiscard]] bool recovery_pending() const { return recovery_failed_; }

    // A result the journal could not store (a full disk): kept to retry.
    void keep_unstored(const std::string& request_id, journal::CommandResult result,
                       std::string error);
    // A retry failed again, with this error.
    void still_unstored(std::string error) { unstored_error_ = std::move(error); }
    void forget_unstored(const std::string& request_id) { unstored_.erase(request_id); }
    [[nodiscard]] bool is_unstored(const std::string& request_id) const {
        return unstored_.contains(request_id);
    }
    [[nodiscard]] bool has_unstored() const { return !unstored_.empty(); }
    // Oldest request_id first (map order), copied: retries forget entries.
    [[nodiscard]] std::map<std::string, journal::CommandResult> unstored() const {
        return unstored_;
    }
    [[nodiscard]] const std::string& unstored_error() const { return unstored_error_; }

    // Why no new command may start; nullopt: they may.
    [[nodiscard]] std::optional<std::string> no_commands_reason() const;
    // The above, or results that could not be stored; empty when all is well.
    [[nodiscard]] std::string problem() const;
    // Why there is no journal, or why it failed.
    [[nodiscard]] const std::string& journal_error() const { return journal_error_; }

  private:
    bool journal_open_;
    std::string journal_error_;
    bool failed_ = false;
    bool recovery_failed_ = false;
    std::string recovery_error_;
    std::map<std::string, journal::CommandResult> unstored_;
    std::string unstored_error_;
};

}  // namespace outpost::dispatch
