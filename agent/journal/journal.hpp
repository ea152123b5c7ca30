#pragma once
// The journal: the agent's durable memory (SQLite, one file, WAL). It is what
// makes "a command runs at most once per request_id" and "results at least
// once" true (protocol §4). Every mutating call is one transaction, durable
// per the sync mode when it returns. Single-threaded use; see docs/journal.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/journal/command.hpp"
#include "agent/journal/outbox.hpp"
#include "agent/journal/sqlite.hpp"

namespace outpost::journal {

// journal.sync. full: a returned commit survives power loss. normal (WAL):
// survives a crash of the agent, may lose the last commits on power loss.
enum class SyncMode { full, normal };

[[nodiscard]] std::string_view to_string(SyncMode mode);
[[nodiscard]] std::optional<SyncMode> parse_sync_mode(std::string_view text);

struct Options {
    SyncMode sync = SyncMode::full;
    OutboxLimits outbox;
    std::chrono::milliseconds busy_timeout{5000};
};

// What recover_after_restart changed.
struct RecoveryReport {
    std::size_t running_interrupted = 0;
    std::size_t queued_interrupted = 0;
    std::size_t approvals_expired = 0;
};

// Answer to a result_ack.
enum class DeliveryMark { marked, already_delivered, unknown_request, not_finished };

inline constexpr std::string_view kReasonRestartedWhileRunning =
    "agent restarted while the command was running";
inline constexpr std::string_view kReasonRestartedBeforeStart =
    "agent restarted before the command started; it was not run";
inline constexpr std::string_view kReasonApprovalExpired =
    "approval not received before the deadline";

class Journal {
  public:
    // Creates the file (0600) if missing; refuses a journal that group/others
    // can access, a corrupt one, or one written by a newer agent. Never
    // deletes or overwrites an existing file it refuses.
    [[nodiscard]] static Expected<Journal> open(const std::filesystem::path& path,
                                                const Options& options);
    [[nodiscard]] static Expected<Journal> open(const std::filesystem::path& path, SyncMode sync) {
        Options options;
        options.sync = sync;
        return open(path, options);
    }

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] int schema_version() const { return schema_version_; }

    // ---- commands (commands.cpp) ----
    [[nodiscard]] Expected<std::optional<CommandRecord>> lookup(std::string_view request_id);
    // A command refused by policy, journaled together with its result.
    [[nodiscard]] Expected<void> insert_rejected(const CommandSpec& spec, TimePoint received_at,
                                                 const CommandResult& result);
    // requires_approval: held until execute_approved, cancel or the deadline.
    [[nodiscard]] Expected<void> hold_for_approval(const CommandSpec& spec, TimePoint received_at);
    [[nodiscard]] Expected<void> queue(const CommandSpec& spec, TimePoint received_at);
    // A new command that can start at once: journaled directly as `running`
    // in one durable commit (the at-most-once point, like mark_running).
    [[nodiscard]] Expected<void> start_new(const CommandSpec& spec, TimePoint received_at,
                                           TimePoint started_at);
    // The at-most-once point: durable when it returns; only from queued or
    // awaiting_approval, so a second call for the same id fails.
    [[nodiscard]] Expected<void> mark_running(std::string_view request_id, TimePoint started_at);
    // Only from a non-terminal state along a legal transition; the first
    // result wins. Erases the command's env and stdin.
    [[nodiscard]] Expected<void> finish(std::string_view request_id, const CommandResult& result);
    [[nodiscard]] Expected<DeliveryMark> mark_result_delivered(std::string_view request_id,
                                                               TimePoint now);
    // Finished commands whose result_ack has not arrived, oldest result first.
    [[nodiscard]] Expected<std::vector<CommandRecord>> undelivered_results(
        std::size_t limit = std::numeric_limits<std::size_t>::max());
    // At start-up, before any message is handled: running and queued →
    // interrupted (never re-run), expired approvals → rejected.
    [[nodiscard]] Expected<RecoveryReport> recover_after_restart(TimePoint now);
    // Held commands past their approval deadline → rejected; returns their ids.
    [[nodiscard]] Expected<std::vector<std::string>> expire_held(TimePoint now);
    // Deletes finished commands whose result was delivered and that finished
    // before now - retention. Never touches an undelivered result.
    [[nodiscard]] Expected<std::size_t> prune(std::chrono::milliseconds retention, TimePoint now);
    [[nodiscard]] Expected<std::size_t> backlog_results();
    [[nodiscard]] Expected<std::size_t> count(CommandState state);
    [[nodiscard]] Expected<std::size_t> running_count() { return count(CommandState::running); }

    // ---- outbox (outbox.cpp) ----
    [[nodiscard]] Expected<EnqueueReport> enqueue(OutboxKind kind, std::string_view payload_json,
                                                  TimePoint now);
    [[nodiscard]] Expected<std::vector<OutboxMessage>> peek(std::size_t n);
    // Removes sent messages; ids already gone are ignored. Returns how many went.
    [[nodiscard]] Expected<std::size_t> remove(std::span<const std::int64_t> ids);
    [[nodiscard]] Expected<std::size_t> size();
    [[nodiscard]] Expected<std::uint64_t> bytes();
    // Returns the persistent drop counters and resets them to zero.
    [[nodiscard]] Expected<OutboxDropped> take_dropped_count();

    // ---- durable agent state (state.cpp) ----
    // Telemetry seq: 1 for the first sample ever, then one more per call,
    // across restarts.
    [[nodiscard]] Expected<std::uint64_t> next_telemetry_seq();
    [[nodiscard]] Expected<std::optional<std::string>> get(std::string_view key);
    [[nodiscard]] Expected<void> put(std::string_view key, std::string_view text);
    [[nodiscard]] Expected<bool> erase(std::string_view key);

  private:
    Journal(sqlite::Database db, std::filesystem::path path, const Options& options,
            int schema_version)
        : db_(std::move(db)),
          path_(std::move(path)),
          options_(options),
          schema_version_(schema_version) {}

    [[nodiscard]] Error wrap(const Error& error, std::string_view operation) const;
    [[nodiscard]] Expected<void> insert_command(const CommandSpec& spec, CommandState state,
                                                TimePoint received_at,
                                                std::optional<TimePoint> approval_deadline,
                                                const CommandResult* result,
                                                std::optional<TimePoint> started_at = std::nullopt);
    [[nodiscard]] Expected<std::size_t> expire_held_locked(TimePoint now,
                                                           std::vector<std::string>* ids);

    sqlite::Database db_;
    std::filesystem::path path_;
    Options options_;
    int schema_version_ = 0;
};

}  // namespace outpost::journal
