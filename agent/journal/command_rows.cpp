#include "agent/journal/command_rows.hpp"

#include <fmt/format.h>

#include "agent/journal/time_codec.hpp"

namespace outpost::journal::rows {

namespace {

Expected<CommandRecord> read_command(const sqlite::Statement& row) {
    CommandRecord record;
    record.spec.request_id = row.text(0);
    record.spec.command = row.text(1);
    record.spec.timeout_ms = row.optional_int64(2);
    record.spec.stdin_data = row.text(3);
    record.received_at = from_ms(row.int64(4));
    record.spec.not_after = from_ms(row.optional_int64(5));
    record.approval_deadline = from_ms(row.optional_int64(6));
    record.started_at = from_ms(row.optional_int64(7));
    const auto state = parse_command_state(row.text(9));
    if (!state) return fail(fmt::format("unknown command state '{}' in the journal", row.text(9)));
    record.state = *state;
    if (is_terminal(record.state)) {
        CommandResult result;
        result.state = record.state;
        result.finished_at = from_ms(row.int64(8));
        if (auto code = row.optional_int64(10)) result.exit_code = static_cast<int>(*code);
        result.signal = row.optional_text(11);
        result.stdout_text = row.text(12);
        result.stderr_text = row.text(13);
        result.stdout_truncated = row.int64(14) != 0;
        result.stderr_truncated = row.int64(15) != 0;
        result.duration_ms = row.optional_int64(16).value_or(0);
        result.reason = row.optional_text(17);
        record.result = std::move(result);
    }
    record.delivered_at = from_ms(row.optional_int64(18));
    return record;
}

Expected<void> load_inputs(sqlite::Database& db, CommandRecord& record) {
    auto args = db.prepare("SELECT value FROM command_args WHERE request_id = ? ORDER BY position");
    if (!args) return std::unexpected(args.error());
    if (auto ok = args->bind_all(record.spec.request_id); !ok) return ok;
    for (;;) {
        auto row = args->step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        record.spec.args.push_back(args->text(0));
    }
    auto env = db.prepare("SELECT name, value FROM command_env WHERE request_id = ? ORDER BY name");
    if (!env) return std::unexpected(env.error());
    if (auto ok = env->bind_all(record.spec.request_id); !ok) return ok;
    for (;;) {
        auto row = env->step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return {};
        record.spec.env.emplace_back(env->text(0), env->text(1));
    }
}

// Runs a SELECT of commands and reads every row with its args and env.

}  // namespace

Expected<std::vector<CommandRecord>> select_commands(sqlite::Statement& stmt,
                                                     sqlite::Database& db) {
    std::vector<CommandRecord> records;
    for (;;) {
        auto row = stmt.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto record = read_command(stmt);
        if (!record) return std::unexpected(record.error());
        records.push_back(std::move(*record));
    }
    for (auto& record : records) {
        if (auto ok = load_inputs(db, record); !ok) return std::unexpected(ok.error());
    }
    return records;
}

Expected<std::optional<CommandState>> current_state(sqlite::Database& db,
                                                    std::string_view request_id) {
    auto stmt = db.prepare("SELECT state FROM commands WHERE request_id = ?");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto ok = stmt->bind_all(request_id); !ok) return std::unexpected(ok.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<CommandState>{};
    auto state = parse_command_state(stmt->text(0));
    if (!state)
        return fail(fmt::format("unknown command state '{}' in the journal", stmt->text(0)));
    return state;
}

Expected<void> check_result(const CommandResult& result) {
    if (!is_terminal(result.state)) {
        return fail(
            fmt::format("a result needs a terminal state, not {}", to_string(result.state)));
    }
    if (result.state == CommandState::succeeded && result.exit_code != 0) {
        return fail("succeeded means exit code 0");
    }
    if (result.duration_ms < 0) return fail("negative duration_ms");
    return {};
}

Expected<void> erase_finished_inputs(sqlite::Database& db) {
    return db.exec(
        "DELETE FROM command_env WHERE request_id IN "
        "(SELECT request_id FROM commands WHERE finished_at IS NOT NULL);"
        "UPDATE commands SET stdin_data = '' WHERE finished_at IS NOT NULL AND stdin_data != ''");
}

Expected<void> erase_inputs_of(sqlite::Database& db, std::string_view request_id) {
    for (const char* sql : {"DELETE FROM command_env WHERE request_id = ?",
                            "UPDATE commands SET stdin_data = '' WHERE request_id = ?"}) {
        auto stmt = db.prepare(sql);
        if (!stmt) return std::unexpected(stmt.error());
        if (auto ok = stmt->bind_all(request_id); !ok) return ok;
        if (auto ok = stmt->run(); !ok) return ok;
    }
    return {};
}

Expected<std::size_t> count_of(sqlite::Database& db, std::string_view sql,
                               std::optional<std::string_view> param) {
    auto stmt = db.prepare(sql);
    if (!stmt) return std::unexpected(stmt.error());
    if (param) {
        if (auto ok = stmt->bind_all(*param); !ok) return std::unexpected(ok.error());
    }
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    return static_cast<std::size_t>(*row ? stmt->int64(0) : 0);
}

}  // namespace outpost::journal::rows
