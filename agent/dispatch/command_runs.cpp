// CommandLifecycle, its second half: a command's run (slot, durable
// `running`, process start, bounded exec retries) and its result (journaled,
// sent, kept and retried when the journal cannot take it, re-sent).

#include <fmt/format.h>

#include "agent/dispatch/command_lifecycle.hpp"
#include "agent/dispatch/results.hpp"
#include "agent/journal/stored_output.hpp"
#include "agent/log/log.hpp"

namespace outpost::dispatch {
namespace {

constexpr std::string_view kLog = "dispatch";

}  // namespace

void CommandLifecycle::enqueue(journal::CommandSpec spec, ApprovedRun run) {
    slots_.enqueue(PendingRun{std::move(spec), std::move(run)});
    pump();
}

void CommandLifecycle::pump() {
    // After a failed sync nothing starts (GroupCommit): the queued
    // commands are answered now instead of waiting for a restart.
    while (health_.failed()) {
        auto first = slots_.take_first_queued();
        if (!first) break;
        finish(first->spec.request_id,
               rejected_result("not started: " + health_.journal_error(), clock_()));
    }
    while (!stopping_) {
        auto next = slots_.next_to_start();
        if (!next) break;
        start(std::move(*next), 0);
    }
}

void CommandLifecycle::start(PendingRun pending, unsigned attempt, bool journaled_running) {
    const std::string request_id = pending.spec.request_id;
    if (attempt == 0 && !journaled_running) {
        // The at-most-once point: durable `running` before the process exists.
        commit_.before_write();
        if (auto marked = journal_->mark_running(request_id, clock_()); !marked) {
            log::error(kLog, "{}: not started, journal write failed: {}", request_id,
                       marked.error().message());
            finish(request_id,
                   rejected_result("not started: journal write failed: " + marked.error().message(),
                                   clock_()));
            return;
        }
    }
    // The slot is taken now, the process started once the batch is durable.
    slots_.occupy(request_id);
    commit_.after_durable([this, pending = std::move(pending), attempt]() mutable {
        launch(std::move(pending), attempt);
    });
}

void CommandLifecycle::launch(PendingRun pending, unsigned attempt) {
    const std::string request_id = pending.spec.request_id;
    if (stopping_) {  // the batch closed at shutdown (Dispatcher::close_batch)
        slots_.release(request_id);
        finish(request_id, not_started_result("the agent was stopping", clock_()));
        return;
    }
    if (health_.failed()) {  // its `running` row may not be on disk, nor its result reach it
        slots_.release(request_id);
        finish(request_id, not_started_result("the journal could not be synced", clock_()));
        pump();
        return;
    }
    log::info(kLog, "{}: running {}{}", request_id, pending.spec.command,
              attempt ? fmt::format(" (retry {} after exec failure)", attempt) : "");
    // The runner copies the spec. The callback keeps stdin only for an exec
    // retry still allowed; otherwise one copy of it (the runner's) is held.
    PendingRun kept = pending;
    if (attempt >= kept.run.exec_retries) std::string().swap(kept.run.spec.stdin_data);
    auto handle = runner_.start(pending.run.spec,
                                [this, kept = std::move(kept), attempt](executors::RunResult run) {
                                    on_run_done(kept, attempt, std::move(run));
                                });
    if (!handle) {
        slots_.release(request_id);
        finish(request_id, not_started_result(handle.error().message(), clock_()));
        pump();
        return;
    }
    slots_.occupy(request_id, *handle);
}

void CommandLifecycle::on_run_done(const PendingRun& pending, unsigned attempt,
                                   executors::RunResult run) {
    const std::string& id = pending.spec.request_id;
    slots_.release(id);
    // Only a program that never started is retried: nothing of it ran.
    if (run.exec_failed && attempt < pending.run.exec_retries) {
        log::warn(kLog, "{}: {}; retrying ({} of {})", id, run.reason.value_or("exec failed"),
                  attempt + 1, pending.run.exec_retries);
        start(pending, attempt + 1);
        return;
    }
    finish(id, to_journal(run));
    pump();
}

void CommandLifecycle::finish(const std::string& request_id, const journal::CommandResult& result) {
    log::info(kLog, "{}: {}{}", request_id, journal::to_string(result.state),
              result.exit_code ? fmt::format(" (exit {})", *result.exit_code) : "");
    if (settings_.on_finished) {
        settings_.on_finished(journal::to_string(result.state), result.duration_ms);
    }
    bounds_.release(request_id);  // its run is over: no copy of its stdin is left
    commit_.before_write();
    if (auto stored = journal_->finish(request_id, result); !stored) {
        // Sent now, it could be followed by a second, different result: the
        // row is still `running`, so a restart would finish it as
        // `interrupted`. It is kept, retried, and sent once it is stored; if
        // the agent stops first, `interrupted` is the one result.
        log::error(kLog, "{}: could not journal the result, keeping it to retry: {}", request_id,
                   stored.error().message());
        // Held cut to what can be sent: bounded memory while the disk is full.
        journal::CommandResult kept = result;
        journal::cut_stored_output(kept, settings_.max_message_bytes);
        health_.keep_unstored(request_id, std::move(kept), stored.error().message());
        return;
    }
    send_stored_result(request_id);
}

void CommandLifecycle::retry_unstored_results() {
    for (const auto& [request_id, result] : health_.unstored()) {
        commit_.before_write();
        if (auto stored = journal_->finish(request_id, result); stored) {
            log::info(kLog, "{}: result journaled on retry", request_id);
            health_.forget_unstored(request_id);
            send_stored_result(request_id);
            continue;
        } else {
            health_.still_unstored(stored.error().message());
        }
        // A row that can no longer take this result (finished meanwhile, or
        // gone) will never take it: drop it rather than retry for ever.
        auto found = journal_->lookup(request_id);
        if (found && *found && !journal::is_legal_transition((*found)->state, result.state)) {
            log::error(kLog, "{}: dropping a result the journal can no longer take ({})",
                       request_id, health_.unstored_error());
            health_.forget_unstored(request_id);
        }
    }
}

void CommandLifecycle::send_stored_result(const std::string& request_id) {
    auto record = journal_->lookup(request_id);
    if (!record || !*record || !(*record)->result) {
        log::error(kLog, "{}: stored result not found", request_id);
        return;
    }
    send(to_wire(**record, settings_.max_message_bytes));
}

void CommandLifecycle::resend_undelivered() {
    if (!journal_) return;
    auto records = journal_->undelivered_results();
    if (!records) {
        log::error(kLog, "cannot read undelivered results: {}", records.error().message());
        return;
    }
    for (const journal::CommandRecord& record : *records) {
        if (!send_(to_wire(record, settings_.max_message_bytes))) break;
    }
    if (!records->empty()) log::info(kLog, "re-sent {} undelivered result(s)", records->size());
}

}  // namespace outpost::dispatch
