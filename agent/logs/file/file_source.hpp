#pragma once
// One allow-listed file as a LogSource (docs/log-streaming.md, "File
// sources"): history read backwards (history_reader), lines assembled and cut
// (line_assembler), changes heard through inotify in the loop (file_watcher)
// and told apart by stat (file_change). This class ties them together and
// holds the one position in the file.
//
// Rotation, without losing or repeating a line:
// - rename-and-create: the renamed file is drained through the descriptor
//   the source holds. Each file that comes to the path afterwards is opened
//   as soon as the loop hears of it, under whatever name the directory's
//   renames gave it by then (arrival_tracker.hpp: so rotations that rename
//   it away before the source looked do not lose it; up to
//   kMaxSuccessors), and the source
//   moves to the next once a later file has data (the writer moved on, so
//   all it wrote before is in the files before and already read) or the old
//   file has no name left;
// - copytruncate: the file is shorter than the position: read from 0,
//   counting the lines it can prove were lost (unread_lines.hpp);
// - delete-and-recreate: the deleted file is drained, closed (its space is
//   freed), and the path is waited for.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/logs/file/file_change.hpp"
#include "agent/logs/file/line_assembler.hpp"
#include "agent/logs/file/open_file.hpp"
#include "agent/logs/file/unread_lines.hpp"
#include "agent/logs/log_source.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::logs::file {

class FileWatcher;

// How far past the position the source counts newlines for `lost`: beyond
// it, a truncation's loss is counted only up to here (a lower bound).
inline constexpr std::uint64_t kScanAheadBytes = 8 * 1024 * 1024;
// Files that replaced the one being read, held open until read: rotations
// the source is behind by. More are not held (their lines are skipped).
inline constexpr std::size_t kMaxSuccessors = 16;

struct FileSourceOptions {
    std::string path;  // absolute
    std::size_t max_line_bytes = 16 * 1024;
    std::chrono::milliseconds partial_line_timeout{2000};
};

class FileSource final : public LogSource {
  public:
    explicit FileSource(FileSourceOptions options);
    ~FileSource() override;
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    [[nodiscard]] Expected<std::vector<LogRecord>> history(
        std::uint32_t lines, std::size_t max_bytes = kUnboundedHistory) override;
    [[nodiscard]] Expected<void> follow(transport::EventLoop& loop, SourceEvents events) override;
    [[nodiscard]] std::vector<LogRecord> read(std::size_t max_records,
                                              std::size_t max_bytes) override;
    // Jumps over whole lines from the position: reads blocks and counts
    // their newlines (memchr), making no record; stops after the last
    // newline within max_bytes / max_records. Where that cheap path does not
    // apply (a line held partly read, the end of the file: a rotation or a
    // truncation to handle) it reads and discards like LogSource::skip.
    [[nodiscard]] Skipped skip(std::size_t max_records, std::size_t max_bytes) override;
    [[nodiscard]] std::uint64_t backlog_bytes() const override;
    [[nodiscard]] SourceCounters counters() const override { return counters_; }
    [[nodiscard]] std::string describe() const override { return "file " + options_.path; }

    // Bytes read from the file so far (history, following, counting), for
    // the tests of the reading bounds.
    [[nodiscard]] std::uint64_t bytes_read() const { return bytes_read_; }
    // Files that came to the path and were gone (deleted, moved out of the
    // directory) before the source could open them, or past kMaxSuccessors:
    // their lines were skipped, and how many is not known.
    [[nodiscard]] std::uint64_t missed_files() const { return missed_files_; }

  private:
    // What one look at the open file, its successor and the path found.
    struct Look {
        FileChange change = FileChange::none;
        bool open_deleted = false;       // the open file has no name left
        bool successor_written = false;  // a held successor has data
    };

    [[nodiscard]] Expected<bool> open_path();
    void adopt(OpenFile file);
    void unwatch(const OpenFile& file);
    [[nodiscard]] bool known(const FileIdentity& identity) const;
    void hold(OpenFile file);
    void hold_arrivals();
    void hold_path();
    [[nodiscard]] Expected<Look> look();
    [[nodiscard]] Expected<std::size_t> read_block(std::uint64_t offset);
    [[nodiscard]] Skipped skip_whole_lines(std::size_t max_records, std::size_t max_bytes);
    void consume(std::size_t got, std::vector<LogRecord>& out, ReadBudget& budget, TimePoint now);
    [[nodiscard]] bool leave_file(const Look& seen, std::vector<LogRecord>& out, TimePoint now);
    void restart_after_truncation(std::vector<LogRecord>& out);
    void release_expired_partial(std::vector<LogRecord>& out, TimePoint now);
    void count_unread_lines();
    void fail_later(std::string reason);
    void on_file_event();

    FileSourceOptions options_;
    std::optional<OpenFile> current_;  // the file being read
    std::deque<OpenFile> successors_;  // what replaced it at the path, oldest first
    bool had_file_ = false;            // a file was open before: opening another is a rotation
    std::uint64_t position_ = 0;
    // The largest size the open file was seen to have: shrinking below it is
    // a truncation even where the position is further back (a paused stream).
    std::uint64_t seen_size_ = 0;
    LineAssembler assembler_;
    UnreadLines unread_;
    std::string buffer_;  // one block
    std::uint64_t bytes_read_ = 0;
    SourceCounters counters_;
    std::uint64_t missed_files_ = 0;
    bool failed_ = false;

    transport::EventLoop* loop_ = nullptr;
    SourceEvents events_;
    std::unique_ptr<FileWatcher> watcher_;
    std::optional<transport::Timer> partial_timer_;  // a held line's timeout
    std::optional<transport::Timer> notify_timer_;   // on_readable/on_failed from the loop
    // False once destroyed: on_readable may destroy the source it is called from.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace outpost::logs::file
