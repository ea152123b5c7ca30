// Journal: the durable outbox (protocol §3.4).

#include "agent/journal/outbox.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "agent/journal/journal.hpp"
#include "agent/journal/relaxed_sync.hpp"
#include "agent/journal/time_codec.hpp"

namespace outpost::journal {

namespace {

constexpr std::array<std::pair<OutboxKind, std::string_view>, 4> kKinds{{
    {OutboxKind::telemetry, "telemetry"},
    {OutboxKind::alert, "alert"},
    {OutboxKind::health, "health"},
    {OutboxKind::status, "status"},
}};

constexpr std::string_view kDroppedTelemetry = "outbox.dropped.telemetry";
constexpr std::string_view kDroppedOther = "outbox.dropped.other";

struct Occupancy {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

Expected<Occupancy> occupancy(sqlite::Database& db) {
    auto stmt = db.prepare("SELECT count(*), coalesce(sum(bytes), 0) FROM outbox");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    return Occupancy{static_cast<std::uint64_t>(stmt->int64(0)),
                     static_cast<std::uint64_t>(stmt->int64(1))};
}

struct Victim {
    std::int64_t id = 0;
    std::uint64_t bytes = 0;
};

// The oldest message, of one kind or of any kind.
Expected<std::optional<Victim>> oldest(sqlite::Database& db, std::optional<OutboxKind> kind) {
    auto stmt = kind ? db.prepare("SELECT id, bytes FROM outbox WHERE kind = ? ORDER BY id LIMIT 1")
                     : db.prepare("SELECT id, bytes FROM outbox ORDER BY id LIMIT 1");
    if (!stmt) return std::unexpected(stmt.error());
    if (kind) {
        if (auto ok = stmt->bind_all(to_string(*kind)); !ok) return std::unexpected(ok.error());
    }
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<Victim>{};
    return std::optional<Victim>{
        Victim{stmt->int64(0), static_cast<std::uint64_t>(stmt->int64(1))}};
}

Expected<void> add_to_counter(sqlite::Database& db, std::string_view name, std::uint64_t n) {
    if (n == 0) return {};
    auto stmt = db.prepare(
        "INSERT INTO counters (name, value) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO UPDATE SET value = value + ?2");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto ok = stmt->bind_all(name, static_cast<std::int64_t>(n)); !ok) return ok;
    return stmt->run();
}

Expected<std::uint64_t> read_counter(sqlite::Database& db, std::string_view name) {
    auto stmt = db.prepare("SELECT value FROM counters WHERE name = ?");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto ok = stmt->bind_all(name); !ok) return std::unexpected(ok.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    return *row ? static_cast<std::uint64_t>(stmt->int64(0)) : std::uint64_t{0};
}

}  // namespace

std::string_view to_string(OutboxKind kind) {
    for (const auto& [value, name] : kKinds) {
        if (value == kind) return name;
    }
    return "unknown";
}

std::optional<OutboxKind> parse_outbox_kind(std::string_view text) {
    for (const auto& [value, name] : kKinds) {
        if (name == text) return value;
    }
    return std::nullopt;
}

Expected<EnqueueReport> Journal::enqueue(OutboxKind kind, std::string_view payload_json,
                                         TimePoint now) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("enqueue {}", to_string(kind))));
    };
    const OutboxLimits& limits = options_.outbox;
    const std::uint64_t size = payload_json.size();
    if (limits.max_messages == 0 || size > limits.max_bytes) {
        return failed(Error(
            fmt::format("a message of {} bytes can never fit an outbox of {} messages and {} bytes",
                        size, limits.max_messages, limits.max_bytes)));
    }
    RelaxedSync relaxed(db_, options_.sync, syncs_deferred_, relaxed_commit_);
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    auto used = occupancy(db_);
    if (!used) return failed(used.error());

    EnqueueReport report;
    bool store = true;
    // Make room: the oldest telemetry goes first. With no stored telemetry, a
    // new telemetry sample is itself the one dropped (alerts, health and
    // status are worth more than one sample); anything else then pushes out
    // the oldest message of any kind.
    while (used->messages + 1 > limits.max_messages || used->bytes + size > limits.max_bytes) {
        auto victim = oldest(db_, OutboxKind::telemetry);
        if (!victim) return failed(victim.error());
        bool victim_is_telemetry = victim->has_value();
        if (!*victim) {
            if (kind == OutboxKind::telemetry) {
                store = false;
                ++report.dropped_telemetry;
                break;
            }
            victim = oldest(db_, std::nullopt);
            if (!victim) return failed(victim.error());
            if (!*victim) return failed(Error("outbox accounting is inconsistent"));
        }
        auto erase = db_.prepare("DELETE FROM outbox WHERE id = ?");
        if (!erase) return failed(erase.error());
        if (auto ok = erase->bind_all((*victim)->id); !ok) return failed(ok.error());
        if (auto ok = erase->run(); !ok) return failed(ok.error());
        used->messages -= 1;
        used->bytes -= std::min(used->bytes, (*victim)->bytes);
        ++(victim_is_telemetry ? report.dropped_telemetry : report.dropped_other);
    }
    if (store) {
        auto insert = db_.prepare(
            "INSERT INTO outbox (kind, payload, bytes, enqueued_at) VALUES (?, ?, ?, ?)");
        if (!insert) return failed(insert.error());
        auto ok = insert->bind_all(to_string(kind), payload_json, static_cast<std::int64_t>(size),
                                   to_ms(now));
        if (ok) ok = insert->run();
        if (!ok) return failed(ok.error());
        report.id = db_.last_insert_rowid();
    }
    auto counted = add_to_counter(db_, kDroppedTelemetry, report.dropped_telemetry);
    if (counted) counted = add_to_counter(db_, kDroppedOther, report.dropped_other);
    if (counted) counted = tx->commit();
    if (!counted) return failed(counted.error());
    return report;
}

Expected<std::vector<OutboxMessage>> Journal::peek(std::size_t n, std::int64_t after_id) {
    const auto failed = [&](const Error& e) { return std::unexpected(wrap(e, "outbox peek")); };
    auto stmt = db_.prepare(
        "SELECT id, kind, payload, enqueued_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?");
    if (!stmt) return failed(stmt.error());
    const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    if (auto ok = stmt->bind_all(after_id, static_cast<std::int64_t>(std::min(n, max))); !ok) {
        return failed(ok.error());
    }
    std::vector<OutboxMessage> messages;
    for (;;) {
        auto row = stmt->step();
        if (!row) return failed(row.error());
        if (!*row) return messages;
        const auto kind = parse_outbox_kind(stmt->text(1));
        if (!kind) return failed(Error(fmt::format("unknown outbox kind '{}'", stmt->text(1))));
        messages.push_back(OutboxMessage{.id = stmt->int64(0),
                                         .kind = *kind,
                                         .payload_json = stmt->text(2),
                                         .enqueued_at = from_ms(stmt->int64(3))});
    }
}

Expected<std::size_t> Journal::remove(std::span<const std::int64_t> ids) {
    const auto failed = [&](const Error& e) { return std::unexpected(wrap(e, "outbox remove")); };
    RelaxedSync relaxed(db_, options_.sync, syncs_deferred_, relaxed_commit_);
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    auto stmt = db_.prepare("DELETE FROM outbox WHERE id = ?");
    if (!stmt) return failed(stmt.error());
    std::size_t removed = 0;
    for (const std::int64_t id : ids) {
        stmt->reset();
        auto ok = stmt->bind_all(id);
        if (ok) ok = stmt->run();
        if (!ok) return failed(ok.error());
        removed += static_cast<std::size_t>(db_.changes());
    }
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return removed;
}

Expected<std::size_t> Journal::remove_through(std::int64_t last_id) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "outbox remove_through"));
    };
    RelaxedSync relaxed(db_, options_.sync, syncs_deferred_, relaxed_commit_);
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    auto stmt = db_.prepare("DELETE FROM outbox WHERE id <= ?");
    if (!stmt) return failed(stmt.error());
    auto ok = stmt->bind_all(last_id);
    if (ok) ok = stmt->run();
    if (!ok) return failed(ok.error());
    const auto removed = static_cast<std::size_t>(db_.changes());
    if (auto committed = tx->commit(); !committed) return failed(committed.error());
    return removed;
}

Expected<std::size_t> Journal::size() {
    auto used = occupancy(db_);
    if (!used) return std::unexpected(wrap(used.error(), "outbox size"));
    return static_cast<std::size_t>(used->messages);
}

Expected<std::uint64_t> Journal::bytes() {
    auto used = occupancy(db_);
    if (!used) return std::unexpected(wrap(used.error(), "outbox bytes"));
    return used->bytes;
}

// Read only: the totals are never reset (protocol.md §3.4), so a server
// computes losses as the difference between two samples even when the
// samples that carried the earlier totals were dropped themselves.
Expected<OutboxDropped> Journal::dropped_count() {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "outbox dropped_count"));
    };
    auto telemetry = read_counter(db_, kDroppedTelemetry);
    if (!telemetry) return failed(telemetry.error());
    auto other = read_counter(db_, kDroppedOther);
    if (!other) return failed(other.error());
    return OutboxDropped{.telemetry = *telemetry, .other = *other};
}

}  // namespace outpost::journal
