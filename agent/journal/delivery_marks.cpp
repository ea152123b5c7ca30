// Journal: result_ack marks, decided at once and written later.
//
// A result_ack arrives just before the next execute, so its own write
// transaction would sit on that command's critical path. The mark is not
// worth it: losing it (kill -9, power cut) only means the result is sent once
// more, which the server deduplicates (§4); at-most-once execution never
// depends on it. So the answer is computed with a read, the mark is kept in
// memory, and its UPDATE rides in the next write transaction the journal makes
// anyway (begin_write), or in flush_delivery_marks.

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

#include "agent/journal/journal.hpp"
#include "agent/journal/relaxed_sync.hpp"
#include "agent/journal/time_codec.hpp"

namespace outpost::journal {

namespace {

// What the stored row alone answers to a result_ack.
Expected<DeliveryMark> stored_delivery(sqlite::Database& db, std::string_view request_id) {
    auto stmt = db.prepare("SELECT state, delivered_at FROM commands WHERE request_id = ?");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto ok = stmt->bind_all(request_id); !ok) return std::unexpected(ok.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return DeliveryMark::unknown_request;
    const auto state = parse_command_state(stmt->text(0));
    if (!state || !is_terminal(*state)) return DeliveryMark::not_finished;
    if (!stmt->is_null(1)) return DeliveryMark::already_delivered;
    return DeliveryMark::marked;
}

}  // namespace

Journal::~Journal() {
    (void)flush_delivery_marks();
}

Expected<DeliveryMark> Journal::mark_result_delivered(std::string_view request_id, TimePoint now) {
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, fmt::format("mark_result_delivered {}", request_id)));
    };
    auto answer = stored_delivery(db_, request_id);
    if (!answer) return failed(answer.error());
    if (*answer != DeliveryMark::marked) return *answer;
    if (find_pending_mark(request_id)) return DeliveryMark::already_delivered;
    pending_marks_.push_back(PendingMark{std::string(request_id), to_ms(now)});
    if (pending_marks_.size() < kMaxPendingDeliveryMarks) return DeliveryMark::marked;
    if (auto ok = flush_delivery_marks(); !ok) {
        // Keeps the list bounded while the journal cannot write: this ack is
        // forgotten and its result re-sent after the next welcome.
        pending_marks_.pop_back();
        return failed(ok.error());
    }
    return DeliveryMark::marked;
}

Expected<void> Journal::flush_delivery_marks() {
    if (pending_marks_.empty()) return {};
    const auto failed = [&](const Error& e) {
        return std::unexpected(wrap(e, "writing result_ack marks"));
    };
    // Not worth a sync even with journal.sync: full (see the top of the file).
    RelaxedSync relaxed(db_, options_.sync, syncs_deferred_, relaxed_commit_);
    auto tx = begin_write();
    if (!tx) return failed(tx.error());
    if (auto ok = tx->commit(); !ok) return failed(ok.error());
    return {};
}

Expected<Journal::WriteTransaction> Journal::begin_write() {
    auto tx = sqlite::Transaction::begin(db_);
    if (!tx) return std::unexpected(tx.error());
    // Failing here fails the caller's write too: both need the same file.
    if (auto ok = write_pending_marks(); !ok) return std::unexpected(ok.error());
    auto advanced = advance_generation_if_due();
    if (!advanced) return std::unexpected(advanced.error());
    return WriteTransaction(std::move(*tx), *this, pending_marks_.size(), *advanced);
}

Expected<void> Journal::WriteTransaction::commit() {
    if (auto ok = tx_.commit(); !ok) return ok;
    auto& marks = journal_->pending_marks_;
    marks.erase(marks.begin(),
                marks.begin() + static_cast<std::ptrdiff_t>(std::min(marks_, marks.size())));
    if (advances_generation_) ++journal_->mark_.generation;
    journal_->after_commit();
    return {};
}

Expected<void> Journal::write_pending_marks() {
    if (pending_marks_.empty()) return {};
    // `delivered_at IS NULL`: the first ack's time is kept.
    auto update = db_.prepare(
        "UPDATE commands SET delivered_at = ? WHERE request_id = ? AND delivered_at IS NULL");
    if (!update) return std::unexpected(update.error());
    for (const PendingMark& mark : pending_marks_) {
        update->reset();
        auto ok = update->bind_all(mark.delivered_at_ms, mark.request_id);
        if (ok) ok = update->run();
        if (!ok) return ok;
    }
    return {};
}

const Journal::PendingMark* Journal::find_pending_mark(std::string_view request_id) const {
    auto found =
        std::find_if(pending_marks_.begin(), pending_marks_.end(),
                     [&](const PendingMark& mark) { return mark.request_id == request_id; });
    return found == pending_marks_.end() ? nullptr : &*found;
}

}  // namespace outpost::journal
