#pragma once
// A real dispatcher over a real SQLite journal, a real runner and the real
// event loop; the "control plane" is the list of messages it sent.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/dispatch/dispatcher.hpp"
#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/transport/event_loop.hpp"
#include "executors/runner/runner.hpp"
#include "tests/support/temp_dir.hpp"

namespace outpost::dispatch::test {

namespace out = protocol::outbound;

using TempDir = outpost::test_support::TempDir;

// Test allow-list: `echo` → /bin/echo, `sleep` → /bin/sleep, `append` →
// /bin/sh -c 'echo run >> FILE' (the program under test, not a shell used by
// the agent), `missing` → a path that does not exist (idempotent, 2 retries),
// `big` → /usr/bin/head -c N /dev/zero-like output. Anything else is refused.
CommandPolicy test_policy(const std::filesystem::path& append_file);

struct Fixture {
    explicit Fixture(bool with_journal = true,
                     std::optional<auth::PublicKey> command_key = std::nullopt,
                     std::size_t max_message_bytes = 1024 * 1024,
                     journal::Options journal_options = {.sync = journal::SyncMode::normal},
                     QueueLimits queue_limits = {});
    ~Fixture();

    // Parses `json` as an inbound message and hands it to the dispatcher.
    void deliver(const std::string& json);
    // Runs the loop until `count` command_results exist for request_id (or 20 s).
    bool wait_results(const std::string& request_id, std::size_t count = 1,
                      std::chrono::milliseconds limit = std::chrono::seconds(20));

    std::vector<const out::CommandAck*> acks(const std::string& request_id) const;
    std::vector<const out::CommandResult*> results(const std::string& request_id) const;
    std::vector<const out::Error*> errors() const;
    std::size_t append_runs() const;  // lines in the side-effect file

    TempDir dir;
    std::filesystem::path append_file;
    std::optional<journal::Journal> journal;
    std::unique_ptr<transport::EventLoop> loop;
    std::unique_ptr<executors::Runner> runner;
    std::unique_ptr<Dispatcher> dispatcher;
    std::vector<out::Body> sent;
    // Messages that left while the journal had commits not yet synced (group
    // commit must make this impossible).
    int sent_while_unsynced = 0;
    // Also counted there: set by tests whose syncs run on a sync thread.
    std::function<bool()> sync_pending{};
    bool online = true;                  // when false, send() fails like a disconnected session
    std::map<std::string, int> invalid;  // on_invalid calls by error code
    int journal_failures = 0;            // on_journal_failed calls
};

// Any inbound message: {"type": type, "id": "x-<type>", "ts": ..., "data": data}.
std::string message(const std::string& type, const std::string& data);

std::string execute_json(const std::string& request_id, const std::string& command,
                         const std::vector<std::string>& args, const std::string& extra = "");

}  // namespace outpost::dispatch::test
