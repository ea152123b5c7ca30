#pragma once
// The journal's mark file (`journal.mark` beside `journal.db`): evidence,
// kept outside SQLite and its write-ahead log, of how far the journal has
// come. SQLite cannot tell a journal whose -wal was deleted, truncated or
// damaged, a 0-byte journal.db or one restored from an older copy from a
// healthy one; the agent can, by comparing the database's own mark (epoch,
// generation) with this file's: the database must be the same epoch, at or
// past this generation. See docs/journal.md, "A journal that went backwards".
//
// The file holds two slots (at offsets 0 and 512, in different disk
// sectors), each one line of text with a checksum; an advance overwrites the
// slot of the new generation's parity in place, so a write torn by a power
// cut damages one slot and the other still holds the previous mark.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "agent/common/error.hpp"

namespace outpost::journal {

struct JournalMark {
    std::string epoch;             // a v4 UUID, new for each journal (and each accept-reset)
    std::uint64_t generation = 0;  // the database's counter, only ever advances
    friend bool operator==(const JournalMark&, const JournalMark&) = default;
};

// `journal.db` → `journal.mark`: not `journal.db-mark`, so a `rm journal.db*`
// does not take the evidence with it.
[[nodiscard]] std::filesystem::path mark_path(const std::filesystem::path& db);

// A new random epoch (v4 UUID text, from getrandom).
[[nodiscard]] Expected<std::string> new_epoch();

// nullopt when the file does not exist. An error (kind journal) when it
// exists but no slot holds a valid mark, or the slots disagree on the epoch;
// an error too when it is not a private regular file of the agent's user.
[[nodiscard]] Expected<std::optional<JournalMark>> read_mark(const std::filesystem::path& file);

// Replaces the file as a whole, durably: written to a temporary file (0600),
// fsynced, renamed over the file, and the directory fsynced. For a new
// journal and an accept-reset.
[[nodiscard]] Expected<void> replace_mark(const std::filesystem::path& file,
                                          const JournalMark& mark);

// The open mark file of a journal in use: advances in place (one pwrite,
// no fsync), synced when asked (maintenance). Not fsyncing each advance is
// safe: a lost advance leaves an older mark, which can only make a loss of
// the WAL go unnoticed, never raise a false alarm.
class MarkWriter {
  public:
    [[nodiscard]] static Expected<MarkWriter> open(const std::filesystem::path& file);
    MarkWriter(MarkWriter&& other) noexcept;
    MarkWriter& operator=(MarkWriter&&) = delete;
    MarkWriter(const MarkWriter&) = delete;
    MarkWriter& operator=(const MarkWriter&) = delete;
    ~MarkWriter();

    // Writes `mark` into the slot of its generation's parity.
    [[nodiscard]] Expected<void> advance(const JournalMark& mark);
    // fdatasync, if anything was written since the last one.
    [[nodiscard]] Expected<void> sync();

  private:
    MarkWriter(int fd, std::filesystem::path file) : fd_(fd), file_(std::move(file)) {}
    int fd_ = -1;
    std::filesystem::path file_;
    bool unsynced_ = false;
};

}  // namespace outpost::journal
