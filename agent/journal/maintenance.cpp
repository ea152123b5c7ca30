// Journal: recovery after a restart, approval expiry, retention and counts.

#include <fmt/format.h>

#include "agent/journal/command_rows.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/time_codec.hpp"

namespace outpost::journal {

using rows::count_of;
using rows::erase_finished_inputs;

Expected<std::size_t> Journal::expire_held_locked(TimePoint now, std::vector<std::string>* ids) {
    if (ids) {
        auto select = db_.prepare(
            "SELECT request_id FROM commands WHERE state = 'awaiting_approval' AND "
            "approval_deadline <= ? ORDER BY received_at, rowid");
        if (!select) return std::unexpected(select.error());
        if (auto ok = select->bind_all(to_ms(now)); !ok) return std::unexpected(ok.error());
        for (;;) {
            auto row = select->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) break;
            ids->push_back(select->text(0));
        }
    }
    auto update = db_.prepare(
        "UPDATE commands SET state = 'rejected', finished_at = ?1, duration_ms = 0, reason = ?2 "
        "WHERE state = 'awaiting_approval' AND approval_deadline <= ?1");
    if (!update) return std::unexpected(update.error());
    if (auto ok = update->bind_all(to_ms(now), kReasonApprovalExpired); !ok) {
        return std::unexpected(ok.error());
    }
    if (auto ok = update->run(); !ok) return std::unexpected(ok.error());
    const auto changed = static_cast<std::size_t>(db_.changes());
    if (auto ok = erase_finished_inputs(db_); !ok) return std::unexpected(ok.error());
    return changed;
}

Expected<std::vector<std::string>> Journal::expire_held(TimePoint now) {
    const auto failed = [&](const Error& e) { return std::unexpected(wrap(e, "expire_held")); };
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    std::vector<std::string> ids;
    if (auto n = expire_held_locked(now, &ids); !n) return failed(n.error());
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return ids;
}

Expected<std::optional<TimePoint>> Journal::next_approval_deadline() {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "next_approval_deadline"));
    };
    auto select = db_.prepare(
        "SELECT min(approval_deadline) FROM commands WHERE state = 'awaiting_approval'");
    if (!select) return failed(select.error());
    auto row = select->step();
    if (!row) return failed(row.error());
    if (!*row) return std::optional<TimePoint>{};
    return from_ms(select->optional_int64(0));
}

Expected<RecoveryReport> Journal::recover_after_restart(TimePoint now,
                                                        std::string_view running_reason) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "recover_after_restart"));
    };
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    RecoveryReport report;
    // duration_ms of an interrupted command: time from its start to the
    // recovery, an upper bound (when it really stopped is unknown).
    auto update = db_.prepare(
        "UPDATE commands SET state = 'interrupted', finished_at = ?1, exit_code = NULL, "
        "signal = NULL, reason = ?2, duration_ms = max(0, ?1 - coalesce(started_at, ?1)) "
        "WHERE state = ?3");
    if (!update) return failed(update.error());
    const std::pair<std::string_view, std::size_t*> steps[] = {
        {running_reason, &report.running_interrupted},
        {kReasonRestartedBeforeStart, &report.queued_interrupted},
    };
    const CommandState from[] = {CommandState::running, CommandState::queued};
    for (std::size_t i = 0; i < 2; ++i) {
        update->reset();
        auto ok = update->bind_all(to_ms(now), steps[i].first, to_string(from[i]));
        if (ok) ok = update->run();
        if (!ok) return failed(ok.error());
        *steps[i].second = static_cast<std::size_t>(db_.changes());
    }
    auto expired = expire_held_locked(now, nullptr);
    if (!expired) return failed(expired.error());
    report.approvals_expired = *expired;
    if (auto ok = erase_finished_inputs(db_); !ok) return failed(ok.error());
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return report;
}

Expected<std::size_t> Journal::prune(std::chrono::milliseconds retention, TimePoint now) {
    const auto failed = [&](const Error& e) { return std::unexpected(wrap(e, "prune")); };
    // The transaction writes the pending delivery marks before the DELETE,
    // which so sees them.
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    // Undelivered results stay whatever their age: results are at least once.
    auto stmt = db_.prepare(
        "DELETE FROM commands WHERE delivered_at IS NOT NULL AND finished_at IS NOT NULL "
        "AND finished_at < ?");
    if (!stmt) return failed(stmt.error());
    if (auto ok = stmt->bind_all(to_ms(now) - retention.count()); !ok) return failed(ok.error());
    if (auto ok = stmt->run(); !ok) return failed(ok.error());
    const auto pruned = static_cast<std::size_t>(db_.changes());
    // config_update request_ids: "config_update:<id>" → Unix ms. The range
    // on the key ('config_update:' up to the next character after ':')
    // uses the primary key; no LIKE, whose wildcards `_` the prefix has.
    auto applied = db_.prepare(
        "DELETE FROM state WHERE key >= ?1 AND key < ?2 AND CAST(value AS INTEGER) < ?3");
    if (!applied) return failed(applied.error());
    const std::string from(kConfigUpdateKeyPrefix);
    std::string to = from;
    to.back() = static_cast<char>(to.back() + 1);
    if (auto ok = applied->bind_all(from, to, to_ms(now) - retention.count()); !ok)
        return failed(ok.error());
    if (auto ok = applied->run(); !ok) return failed(ok.error());
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    settle_mark();
    return pruned;
}

Expected<std::size_t> Journal::backlog_results() {
    if (auto ok = flush_delivery_marks(); !ok) {
        return std::unexpected(wrap(ok.error(), "backlog_results"));
    }
    auto n = count_of(db_,
                      "SELECT count(*) FROM commands WHERE delivered_at IS NULL AND "
                      "finished_at IS NOT NULL",
                      std::nullopt);
    if (!n) return std::unexpected(wrap(n.error(), "backlog_results"));
    return n;
}

Expected<std::size_t> Journal::results_awaiting_ack() {
    auto n = count_of(db_,
                      "SELECT count(*) FROM commands WHERE delivered_at IS NULL AND "
                      "finished_at IS NOT NULL",
                      std::nullopt);
    if (!n) return std::unexpected(wrap(n.error(), "results_awaiting_ack"));
    // Each pending mark is one of those rows: mark_result_delivered keeps a
    // mark only for a finished, undelivered row, once per request_id.
    return *n > pending_marks_.size() ? *n - pending_marks_.size() : 0;
}

Expected<std::size_t> Journal::count(CommandState state) {
    auto n = count_of(db_, "SELECT count(*) FROM commands WHERE state = ?", to_string(state));
    if (!n) return std::unexpected(wrap(n.error(), "count"));
    return n;
}

}  // namespace outpost::journal
