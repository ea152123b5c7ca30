// Journal: durable agent state (telemetry seq, runtime config overrides).

#include <fmt/format.h>

#include "agent/journal/journal.hpp"

namespace outpost::journal {

namespace {
constexpr std::string_view kTelemetrySeq = "telemetry.seq";
}  // namespace

Expected<std::uint64_t> Journal::next_telemetry_seq(std::uint64_t at_least) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "next_telemetry_seq"));
    };
    // One statement, so the increment and the read are one atomic commit.
    auto stmt = db_.prepare(
        "INSERT INTO counters (name, value) VALUES (?1, max(?2, 1)) "
        "ON CONFLICT (name) DO UPDATE SET value = max(value + 1, ?2) RETURNING value");
    if (!stmt) return failed(stmt.error());
    const auto floor = static_cast<std::int64_t>(at_least);
    if (auto ok = stmt->bind_all(kTelemetrySeq, floor); !ok) return failed(ok.error());
    auto row = stmt->step();
    if (!row) return failed(row.error());
    if (!*row) return failed(Error("no value returned"));
    const auto seq = static_cast<std::uint64_t>(stmt->int64(0));
    if (auto ok = stmt->run(); !ok) return failed(ok.error());
    return seq;
}

Expected<std::uint64_t> Journal::telemetry_seq() {
    const auto failed = [&](const Error& e) { return std::unexpected(wrap(e, "telemetry_seq")); };
    auto stmt = db_.prepare("SELECT value FROM counters WHERE name = ?");
    if (!stmt) return failed(stmt.error());
    if (auto ok = stmt->bind_all(kTelemetrySeq); !ok) return failed(ok.error());
    auto row = stmt->step();
    if (!row) return failed(row.error());
    if (!*row) return std::uint64_t{0};
    return static_cast<std::uint64_t>(stmt->int64(0));
}

Expected<std::optional<std::string>> Journal::get(std::string_view key) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("get {}", key)));
    };
    auto stmt = db_.prepare("SELECT value FROM state WHERE key = ?");
    if (!stmt) return failed(stmt.error());
    if (auto ok = stmt->bind_all(key); !ok) return failed(ok.error());
    auto row = stmt->step();
    if (!row) return failed(row.error());
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>{stmt->text(0)};
}

Expected<void> Journal::put(std::string_view key, std::string_view text) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("put {}", key)));
    };
    if (key.empty()) return failed(Error("empty key"));
    auto stmt = db_.prepare(
        "INSERT INTO state (key, value) VALUES (?1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET value = ?2");
    if (!stmt) return failed(stmt.error());
    auto ok = stmt->bind_all(key, text);
    if (ok) ok = stmt->run();
    if (!ok) return failed(ok.error());
    return {};
}

Expected<bool> Journal::erase(std::string_view key) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("erase {}", key)));
    };
    auto stmt = db_.prepare("DELETE FROM state WHERE key = ?");
    if (!stmt) return failed(stmt.error());
    auto ok = stmt->bind_all(key);
    if (ok) ok = stmt->run();
    if (!ok) return failed(ok.error());
    return db_.changes() > 0;
}

}  // namespace outpost::journal
