// Journal: commands and their state machine (protocol §3.3, §4).

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "agent/journal/command_rows.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/stored_output.hpp"
#include "agent/journal/time_codec.hpp"

namespace outpost::journal {

using rows::check_result;
using rows::current_state;
using rows::kSelectCommand;
using rows::select_commands;

Expected<std::optional<CommandRecord>> Journal::lookup(std::string_view request_id) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("lookup {}", request_id)));
    };
    auto stmt = db_.prepare(std::string(kSelectCommand) + "WHERE request_id = ?");
    if (!stmt) return failed(stmt.error());
    if (auto ok = stmt->bind_all(request_id); !ok) return failed(ok.error());
    auto records = select_commands(*stmt, db_);
    if (!records) return failed(records.error());
    if (records->empty()) return std::optional<CommandRecord>{};
    CommandRecord record = std::move(records->front());
    // No write on this hot path (the execute after a result_ack): overlay the
    // pending mark instead.
    if (const PendingMark* mark = find_pending_mark(request_id); mark && !record.delivered_at) {
        record.delivered_at = from_ms(mark->delivered_at_ms);
    }
    return std::optional<CommandRecord>{std::move(record)};
}

Expected<void> Journal::insert_command(const CommandSpec& spec, CommandState state,
                                       TimePoint received_at,
                                       std::optional<TimePoint> approval_deadline,
                                       const CommandResult* result,
                                       std::optional<TimePoint> started_at) {
    if (!is_valid_request_id(spec.request_id)) {
        return fail("request_id must be 1-128 characters of [A-Za-z0-9._:-]");
    }
    if (spec.command.empty()) return fail("empty command name");
    if (!can_enter(state)) {
        return fail(fmt::format("a new command cannot start in state {}", to_string(state)));
    }
    if (result) {
        if (auto ok = check_result(*result); !ok) return ok;
        if (result->state != state) return fail("the result's state differs from the command's");
    }
    auto tx = begin_write();
    if (!tx) return std::unexpected(tx.error());
    auto existing = current_state(db_, spec.request_id);
    if (!existing) return std::unexpected(existing.error());
    if (*existing) {
        return fail(fmt::format("request_id {} is already journaled (state {})", spec.request_id,
                                to_string(**existing)));
    }
    auto insert = db_.prepare(
        "INSERT INTO commands (request_id, command, timeout_ms, stdin_data, received_at, "
        "not_after, approval_deadline, state, finished_at, exit_code, signal, stdout, stderr, "
        "stdout_truncated, stderr_truncated, duration_ms, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return std::unexpected(insert.error());
    const CommandResult none{};
    const CommandResult& r = result ? *result : none;
    const bool finished = result != nullptr;
    const StoredOutput output = fit_stored_output(r, options_.max_message_bytes);
    auto bound = insert->bind_all(
        spec.request_id, spec.command, spec.timeout_ms,
        finished ? std::string_view() : std::string_view(spec.stdin_data), to_ms(received_at),
        to_ms(spec.not_after), to_ms(approval_deadline), to_string(state),
        finished ? std::optional(to_ms(r.finished_at)) : std::nullopt, r.exit_code, r.signal,
        output.stdout_text, output.stderr_text, output.stdout_truncated, output.stderr_truncated,
        finished ? std::optional(r.duration_ms) : std::nullopt, r.reason);
    if (!bound) return bound;
    if (auto ok = insert->run(); !ok) return ok;

    auto arg =
        db_.prepare("INSERT INTO command_args (request_id, position, value) VALUES (?, ?, ?)");
    if (!arg) return std::unexpected(arg.error());
    for (std::size_t i = 0; i < spec.args.size(); ++i) {
        arg->reset();
        if (auto ok = arg->bind_all(spec.request_id, static_cast<std::int64_t>(i), spec.args[i]);
            !ok)
            return ok;
        if (auto ok = arg->run(); !ok) return ok;
    }
    if (!finished) {
        auto env =
            db_.prepare("INSERT INTO command_env (request_id, name, value) VALUES (?, ?, ?)");
        if (!env) return std::unexpected(env.error());
        for (const auto& [name, value] : spec.env) {
            env->reset();
            if (auto ok = env->bind_all(spec.request_id, name, value); !ok) return ok;
            if (auto ok = env->run(); !ok) return ok;
        }
    }
    if (started_at) {  // queued -> running inside the same commit
        auto update = db_.prepare(
            "UPDATE commands SET state = 'running', started_at = ? WHERE request_id = ?");
        if (!update) return std::unexpected(update.error());
        if (auto ok = update->bind_all(to_ms(*started_at), spec.request_id); !ok) return ok;
        if (auto ok = update->run(); !ok) return ok;
    }
    return tx->commit();
}

Expected<void> Journal::insert_rejected(const CommandSpec& spec, TimePoint received_at,
                                        const CommandResult& result) {
    auto ok = insert_command(spec, CommandState::rejected, received_at, std::nullopt, &result);
    if (!ok) return std::unexpected(wrap(ok.error(), fmt::format("reject {}", spec.request_id)));
    return ok;
}

Expected<void> Journal::hold_for_approval(const CommandSpec& spec, TimePoint received_at) {
    auto ok = insert_command(spec, CommandState::awaiting_approval, received_at,
                             approval_deadline_for(spec, received_at), nullptr);
    if (!ok) return std::unexpected(wrap(ok.error(), fmt::format("hold {}", spec.request_id)));
    return ok;
}

Expected<void> Journal::queue(const CommandSpec& spec, TimePoint received_at) {
    auto ok = insert_command(spec, CommandState::queued, received_at, std::nullopt, nullptr);
    if (!ok) return std::unexpected(wrap(ok.error(), fmt::format("queue {}", spec.request_id)));
    return ok;
}

Expected<void> Journal::start_new(const CommandSpec& spec, TimePoint received_at,
                                  TimePoint started_at) {
    // One commit instead of queue() + mark_running(): one sync less per
    // command, and still durable before the caller starts the process.
    auto ok =
        insert_command(spec, CommandState::queued, received_at, std::nullopt, nullptr, started_at);
    if (!ok) return std::unexpected(wrap(ok.error(), fmt::format("start {}", spec.request_id)));
    return ok;
}

Expected<void> Journal::approve(std::string_view request_id) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("approve {}", request_id)));
    };
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    auto update = db_.prepare(
        "UPDATE commands SET state = 'queued' WHERE request_id = ? AND state = "
        "'awaiting_approval'");
    if (!update) return failed(update.error());
    if (auto ok = update->bind_all(request_id); !ok) return failed(ok.error());
    if (auto ok = update->run(); !ok) return failed(ok.error());
    if (db_.changes() != 1) return failed(Error("the command is not awaiting approval"));
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return {};
}

Expected<void> Journal::mark_running(std::string_view request_id, TimePoint started_at) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("mark_running {}", request_id)));
    };
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    auto state = current_state(db_, request_id);
    if (!state) return failed(state.error());
    if (!*state) return failed(Error("unknown request_id"));
    if (!is_legal_transition(**state, CommandState::running)) {
        return failed(
            Error(fmt::format("the command is {}; it is never started twice or after it finished",
                              to_string(**state))));
    }
    auto update = db_.prepare(
        "UPDATE commands SET state = 'running', started_at = ? "
        "WHERE request_id = ? AND state IN ('queued', 'awaiting_approval')");
    if (!update) return failed(update.error());
    if (auto ok = update->bind_all(to_ms(started_at), request_id); !ok) return failed(ok.error());
    if (auto ok = update->run(); !ok) return failed(ok.error());
    if (db_.changes() != 1) return failed(Error("the command changed state underneath"));
    // The commit is the at-most-once point: with synchronous=FULL it is on
    // disk when this returns, before the caller starts the process.
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return {};
}

Expected<void> Journal::finish(std::string_view request_id, const CommandResult& result) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("finish {}", request_id)));
    };
    if (auto ok = check_result(result); !ok) return failed(ok.error());
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    auto state = current_state(db_, request_id);
    if (!state) return failed(state.error());
    if (!*state) return failed(Error("unknown request_id"));
    if (is_terminal(**state)) {
        return failed(Error(
            fmt::format("already finished as {}; the first result is kept", to_string(**state))));
    }
    if (!is_legal_transition(**state, result.state)) {
        return failed(Error(fmt::format("a {} command cannot become {}", to_string(**state),
                                        to_string(result.state))));
    }
    auto update = db_.prepare(
        "UPDATE commands SET state = ?, finished_at = ?, exit_code = ?, signal = ?, stdout = ?, "
        "stderr = ?, stdout_truncated = ?, stderr_truncated = ?, duration_ms = ?, reason = ?, "
        "started_at = COALESCE(?, started_at), delivered_at = NULL "
        "WHERE request_id = ? AND state = ?");
    if (!update) return failed(update.error());
    // Only what a command_result can carry (stored_output.hpp).
    const StoredOutput output = fit_stored_output(result, options_.max_message_bytes);
    auto bound =
        update->bind_all(to_string(result.state), to_ms(result.finished_at), result.exit_code,
                         result.signal, output.stdout_text, output.stderr_text,
                         output.stdout_truncated, output.stderr_truncated, result.duration_ms,
                         result.reason, to_ms(result.started_at), request_id, to_string(**state));
    if (!bound) return failed(bound.error());
    if (auto ok = update->run(); !ok) return failed(ok.error());
    if (db_.changes() != 1) return failed(Error("the command changed state underneath"));
    if (auto ok = rows::erase_inputs_of(db_, request_id); !ok) return failed(ok.error());
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return {};
}

Expected<std::vector<CommandRecord>> Journal::undelivered_results(std::size_t limit) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "undelivered_results"));
    };
    // A result whose ack is still pending must not be re-sent. The marks are
    // filtered here rather than written first: a journal that cannot write
    // (a full disk) must not stop every stored result from going out.
    auto stmt = db_.prepare(std::string(kSelectCommand) +
                            "WHERE delivered_at IS NULL AND finished_at IS NOT NULL "
                            "ORDER BY finished_at, rowid LIMIT ?");
    if (!stmt) return failed(stmt.error());
    const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    if (auto ok = stmt->bind_all(static_cast<std::int64_t>(std::min(limit, max))); !ok) {
        return failed(ok.error());
    }
    auto records = select_commands(*stmt, db_);
    if (!records) return failed(records.error());
    std::erase_if(*records, [this](const CommandRecord& record) {
        return find_pending_mark(record.spec.request_id) != nullptr;
    });
    return records;
}

}  // namespace outpost::journal
