// Journal: the answers given to config_update messages (protocol.md §3.3),
// so that the same request_id is never applied twice.

#include <fmt/format.h>

#include "agent/journal/journal.hpp"
#include "agent/journal/time_codec.hpp"

namespace outpost::journal {

Expected<std::optional<ConfigUpdateAnswer>> Journal::find_config_update(
    std::string_view request_id) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("find_config_update {}", request_id)));
    };
    auto stmt = db_.prepare("SELECT accepted, reason FROM config_updates WHERE request_id = ?");
    if (!stmt) return failed(stmt.error());
    if (auto ok = stmt->bind_all(request_id); !ok) return failed(ok.error());
    auto row = stmt->step();
    if (!row) return failed(row.error());
    if (!*row) return std::optional<ConfigUpdateAnswer>{};
    return std::optional<ConfigUpdateAnswer>{
        ConfigUpdateAnswer{stmt->int64(0) != 0, stmt->optional_text(1)}};
}

Expected<void> Journal::record_config_update(std::string_view request_id, TimePoint received_at,
                                             const ConfigUpdateAnswer& answer) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("record_config_update {}", request_id)));
    };
    auto tx = begin_write();  // carries pending result_ack marks, like every write
    if (!tx) return failed(tx.error());
    auto stmt = db_.prepare(
        "INSERT INTO config_updates (request_id, received_at, accepted, reason) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING");
    if (!stmt) return failed(stmt.error());
    auto ok = stmt->bind_all(request_id, to_ms(received_at),
                             static_cast<std::int64_t>(answer.accepted ? 1 : 0), answer.reason);
    if (ok) ok = stmt->run();
    if (!ok) return failed(ok.error());
    if (auto committed = tx->commit(); !committed) return failed(committed.error());
    return {};
}

}  // namespace outpost::journal
