#pragma once
// One allow-listed file as a LogSource (docs/log-streaming.md, "File
// sources"): history read backwards (history_reader), lines assembled and cut
// (line_assembler), changes heard through inotify in the loop (file_watcher)
// and told apart by stat (file_change). This class ties them together and
// holds the one position in the file.
//
// Rotation, without losing or repeating a line:
// - rename-and-create: the renamed file is drained through the descriptor
//   the source holds; it switches to the new file once that has data (the
//   writer moved over, so whatever it wrote before is in the old file and
//   already read) or the old file has no name left;
// - copytruncate: the file is shorter than the position: read from 0,
//   counting the lines it can prove were lost;
// - delete-and-recreate: the deleted file is drained, closed (its space is
//   freed), and the path is waited for.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/logs/file/file_change.hpp"
#include "agent/logs/file/line_assembler.hpp"
#include "agent/logs/log_source.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::logs::file {

class FileWatcher;

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

    [[nodiscard]] Expected<std::vector<LogRecord>> history(std::uint32_t lines) override;
    [[nodiscard]] Expected<void> follow(transport::EventLoop& loop, SourceEvents events) override;
    [[nodiscard]] std::vector<LogRecord> read(std::size_t max_records,
                                              std::size_t max_bytes) override;
    [[nodiscard]] std::uint64_t backlog_bytes() const override;
    [[nodiscard]] SourceCounters counters() const override { return counters_; }
    [[nodiscard]] std::string describe() const override { return "file " + options_.path; }

    // Bytes read from the file so far (history and following), for the tests
    // of the reading bounds.
    [[nodiscard]] std::uint64_t bytes_read() const { return bytes_read_; }

  private:
    // What one look at the descriptor and the path found.
    struct Look {
        FileChange change = FileChange::none;
        bool open_deleted = false;    // the open file has no name left
        std::uint64_t path_size = 0;  // size of what the path names
    };

    [[nodiscard]] Expected<bool> open_path();
    void close_file();
    [[nodiscard]] Expected<Look> look() const;
    [[nodiscard]] Expected<std::size_t> read_block();
    [[nodiscard]] bool leave_file(const Look& seen, std::vector<LogRecord>& out, TimePoint now);
    void watch_successor();
    void restart_after_truncation(std::vector<LogRecord>& out);
    void release_expired_partial(std::vector<LogRecord>& out, TimePoint now);
    void fail_later(std::string reason);
    void on_file_event();

    FileSourceOptions options_;
    int fd_ = -1;
    FileIdentity identity_{};
    int inode_wd_ = -1;      // the open file's inode watch
    int successor_wd_ = -1;  // the inode the path names while the old one is drained
    bool had_file_ = false;  // a file was open before: opening another is a rotation
    std::uint64_t position_ = 0;
    LineAssembler assembler_;
    std::string buffer_;  // one block
    std::uint64_t bytes_read_ = 0;
    SourceCounters counters_;
    bool failed_ = false;

    transport::EventLoop* loop_ = nullptr;
    SourceEvents events_;
    std::unique_ptr<FileWatcher> watcher_;
    std::optional<transport::Timer> partial_timer_;  // a held line's timeout
    std::optional<transport::Timer> notify_timer_;   // on_readable/on_failed from the loop
};

}  // namespace outpost::logs::file
