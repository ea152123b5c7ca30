// Journal: config_update request_ids (protocol.md §3.3), applied at most
// once. Kept in the `state` table, so the schema (and an older agent reading
// this file after a downgrade) is unchanged.

#include <fmt/format.h>

#include "agent/journal/journal.hpp"
#include "agent/journal/time_codec.hpp"

namespace outpost::journal {

namespace {

std::string key_of(std::string_view request_id) {
    return std::string(kConfigUpdateKeyPrefix) + std::string(request_id);
}

}  // namespace

Expected<void> Journal::apply_config_update(std::string_view request_id, TimePoint received_at,
                                            std::string_view overrides_key,
                                            std::string_view overrides) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("apply_config_update {}", request_id)));
    };
    if (overrides_key.starts_with(kConfigUpdateKeyPrefix))
        return failed(Error("the overrides key may not look like a request_id's"));
    auto tx = begin_write();  // carries pending result_ack marks, like every write
    if (!tx) return failed(tx.error());
    auto stmt = db_.prepare(
        "INSERT INTO state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = "
        "?2");
    if (!stmt) return failed(stmt.error());
    auto ok = stmt->bind_all(overrides_key, overrides);
    if (ok) ok = stmt->run();
    if (ok) {
        stmt->reset();
        ok = stmt->bind_all(key_of(request_id), std::to_string(to_ms(received_at)));
    }
    if (ok) ok = stmt->run();
    if (!ok) return failed(ok.error());
    if (auto committed = tx->commit(); !committed) return failed(committed.error());
    return {};
}

Expected<std::optional<TimePoint>> Journal::config_update_applied(std::string_view request_id) {
    auto value = get(key_of(request_id));
    if (!value) return std::unexpected(value.error());
    if (!*value) return std::optional<TimePoint>{};
    std::int64_t ms = 0;
    try {
        ms = std::stoll(**value);
    } catch (const std::exception&) {
        // Still applied: a damaged time only makes it older for prune.
        return std::optional<TimePoint>{from_ms(0)};
    }
    return std::optional<TimePoint>{from_ms(ms)};
}

}  // namespace outpost::journal
