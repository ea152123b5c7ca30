#pragma once
// A systemd unit's journal as a LogSource (docs/log-streaming.md, "journald
// sources"), read through libsystemd's sd-journal: the system journal, or
// the journal files of one directory (`journal_directory`: files written by
// systemd-journal-remote, and the tests) — the same code after opening.
//
// One record per journal entry of the unit: its MESSAGE (sanitized, capped)
// with the entry's own realtime timestamp. The sd_journal handle is the
// position: history() leaves it on the last entry it returned and read()
// steps forward from there, so following continues without a repeat or a
// gap. Following is sd_journal_get_fd() (inotify) in the service loop plus
// the timeout sd-journal asks for (a Timer), never a polling interval of our
// own.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.hpp"
#include "agent/logs/log_source.hpp"

namespace outpost::logs {

class JournalSource final : public LogSource {
  public:
    // Opens the journal for `entry` (kind journal) and adds the unit's match.
    // Fails when the journal (or journal_directory) cannot be opened.
    [[nodiscard]] static Expected<std::unique_ptr<JournalSource>> open(
        const config::LogSourceEntry& entry);
    ~JournalSource() override;
    JournalSource(const JournalSource&) = delete;
    JournalSource& operator=(const JournalSource&) = delete;

    [[nodiscard]] Expected<std::vector<LogRecord>> history(
        std::uint32_t lines, std::size_t max_bytes = kUnboundedHistory) override;
    [[nodiscard]] Expected<void> follow(transport::EventLoop& loop, SourceEvents events) override;
    [[nodiscard]] std::vector<LogRecord> read(std::size_t max_records,
                                              std::size_t max_bytes) override;
    [[nodiscard]] std::uint64_t backlog_bytes() const override { return 0; }  // unknown
    [[nodiscard]] SourceCounters counters() const override { return {}; }
    [[nodiscard]] std::string describe() const override;

  private:
    struct State;
    explicit JournalSource(std::unique_ptr<State> state);
    [[nodiscard]] Expected<std::uint32_t> steps_within(std::uint32_t lines, std::size_t max_bytes);
    std::unique_ptr<State> state_;
};

}  // namespace outpost::logs
