#include "agent/logs/journal/journal_source.hpp"

#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "agent/logs/journal/message_text.hpp"
#include "agent/logs/journal/unit_match.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::logs {
namespace {

constexpr std::string_view kMessageField = "MESSAGE=";

struct JournalCloser {
    void operator()(sd_journal* journal) const { sd_journal_close(journal); }
};
using JournalHandle = std::unique_ptr<sd_journal, JournalCloser>;

ErrorKind kind_of(int negative_errno) {
    switch (-negative_errno) {
        case EACCES:
        case EPERM:
            return ErrorKind::permission;
        case ENOENT:
        case ENOTDIR:
            return ErrorKind::not_found;
        default:
            return ErrorKind::io;
    }
}

std::string describe_errno(std::string_view what, int negative_errno) {
    return fmt::format("{}: {}", what, std::strerror(-negative_errno));
}

// journal_directory's files are parsed by sd-journal as the agent (root):
// whoever may write the directory could plant crafted files, or links to
// other root-only journals. So it must belong to root (or to the agent's own
// user) and be writable by nobody else (docs/log-streaming.md, "Security").
// A directory that is not there is left to sd-journal's own error.
Expected<void> check_journal_directory(const std::string& directory) {
    struct stat info {};
    if (::stat(directory.c_str(), &info) != 0) return {};
    if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
        return fail(ErrorKind::permission,
                    fmt::format("journal directory {} is owned by uid {}, not by root: its files "
                                "are parsed as root, so it must be root's",
                                directory, info.st_uid));
    }
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return fail(ErrorKind::permission,
                    fmt::format("journal directory {} is writable by group or others (mode {:o}): "
                                "its files are parsed as root, so only root may write it",
                                directory, info.st_mode & 07777));
    }
    return {};
}

// The system journal, or the files of one directory; the same handle either
// way, so everything after this is the production path in the tests too.
Expected<JournalHandle> open_journal(const config::LogSourceEntry& entry) {
    if (entry.journal_directory) {
        if (auto checked = check_journal_directory(*entry.journal_directory); !checked) {
            return std::unexpected(checked.error());
        }
    }
    sd_journal* raw = nullptr;
    const int r = entry.journal_directory
                      ? sd_journal_open_directory(&raw, entry.journal_directory->c_str(), 0)
                      : sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY);
    if (r < 0) {
        const std::string what = entry.journal_directory
                                     ? "opening journal directory " + *entry.journal_directory
                                     : std::string("opening the system journal");
        return fail(kind_of(r), describe_errno(what, r));
    }
    JournalHandle journal(raw);
    // sd-journal skips the files it may not read without an error, so a
    // user outside the systemd-journal group would follow an empty journal
    // in silence. No system journal file at all is that, or no journald:
    // either way nothing would ever arrive, so say so. (A journal_directory
    // may be empty for now: journal-remote creates files as senders come.)
    std::uint64_t bytes = 0;
    if (!entry.journal_directory && sd_journal_get_usage(raw, &bytes) >= 0 && bytes == 0) {
        return fail(ErrorKind::permission,
                    "the system journal has no file this process can read (is the agent's "
                    "user in the systemd-journal group, and is journald running?)");
    }
    return journal;
}

std::uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

}  // namespace

struct JournalSource::State {
    config::LogSourceEntry entry;
    JournalHandle journal;
    // The journal had no entry of the unit when history() ran: the first
    // read() starts at the head, as every entry there is then new.
    bool read_from_head = false;
    SourceEvents events;
    std::unique_ptr<transport::FdWatch> watch;
    std::unique_ptr<transport::Timer> recheck;  // sd_journal_get_timeout()
    std::unique_ptr<transport::Timer> notice;   // a failure found inside read()
    std::string failure;                        // set once: the source is dead

    // The entry under the cursor as a record; nullopt when it has no MESSAGE.
    [[nodiscard]] std::optional<LogRecord> current_record() const;
    void on_journal_event();
    void arm_recheck();
    [[nodiscard]] bool files_gone() const;
    void fail_now(std::string reason);
    void fail_later(std::string reason);
};

std::optional<LogRecord> JournalSource::State::current_record() const {
    const void* data = nullptr;
    std::size_t length = 0;
    if (sd_journal_get_data(journal.get(), "MESSAGE", &data, &length) < 0) {
        return std::nullopt;  // no MESSAGE (or unreadable): nothing to show
    }
    std::string_view field(static_cast<const char*>(data), length);
    field.remove_prefix(std::min(field.size(), kMessageField.size()));
    CappedText capped = cap_message(field, entry.max_line_bytes);
    LogRecord record{.text = std::move(capped.text), .cut_bytes = capped.cut_bytes};
    std::uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(journal.get(), &usec) >= 0) {
        record.ts = TimePoint(
            std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(usec)));
    }
    return record;
}

// The journal's fd was readable, or the recheck timeout passed: let
// sd-journal take in what changed, then say so. A callback may destroy the
// source, so each is the last thing done.
void JournalSource::State::on_journal_event() {
    const int r = sd_journal_process(journal.get());
    if (r < 0) {
        fail_now(describe_errno("following the journal", r));
        return;
    }
    arm_recheck();
    if (r == SD_JOURNAL_INVALIDATE && files_gone()) {
        fail_now(entry.journal_directory
                     ? fmt::format("the journal files in {} are gone", *entry.journal_directory)
                     : std::string("the journal files are gone"));
        return;
    }
    if (r == SD_JOURNAL_NOP) return;
    auto on_readable = events.on_readable;  // a copy: it may destroy the source
    if (on_readable) on_readable();
}

// sd-journal may need to be called back even without fd activity (journal
// files on a file system without reliable inotify): it says when, as an
// absolute CLOCK_MONOTONIC time, or "never" (UINT64_MAX).
void JournalSource::State::arm_recheck() {
    std::uint64_t at = 0;
    if (sd_journal_get_timeout(journal.get(), &at) < 0 || at == UINT64_MAX) {
        recheck->cancel();
        return;
    }
    const std::uint64_t now = monotonic_usec();
    recheck->schedule(std::chrono::microseconds(at > now ? at - now : 0),
                      [this] { on_journal_event(); });
}

// True once no journal file is left open (all deleted, or the directory
// removed): nothing can arrive any more.
bool JournalSource::State::files_gone() const {
    if (entry.journal_directory && ::access(entry.journal_directory->c_str(), F_OK) != 0) {
        return true;
    }
    std::uint64_t bytes = 0;
    return sd_journal_get_usage(journal.get(), &bytes) >= 0 && bytes == 0;
}

// Stops following and tells the stream, from a loop callback (the watch's or
// the recheck timer's, both of which may be destroyed by it). Last thing done.
void JournalSource::State::fail_now(std::string reason) {
    failure = std::move(reason);
    watch.reset();
    if (recheck) recheck->cancel();
    auto on_failed = events.on_failed;  // a copy: it may destroy the source
    if (on_failed) on_failed(failure);
}

// read() must not call back into the stream: the failure is told from the
// loop, once.
void JournalSource::State::fail_later(std::string reason) {
    if (!failure.empty()) return;
    failure = std::move(reason);
    watch.reset();
    if (recheck) recheck->cancel();
    if (!notice) return;  // not following: nobody to tell; history() reports its own
    notice->schedule(std::chrono::microseconds(0), [this] {
        auto on_failed = events.on_failed;  // a copy: it may destroy the source
        if (on_failed) on_failed(failure);
    });
}

Expected<std::unique_ptr<JournalSource>> JournalSource::open(const config::LogSourceEntry& entry) {
    auto journal = open_journal(entry);
    if (!journal) return std::unexpected(journal.error());
    // Take the fd (inotify) now: changes between opening and following are
    // then queued on it, not missed.
    if (const int r = sd_journal_get_fd(journal->get()); r < 0) {
        return fail(kind_of(r), describe_errno("sd_journal_get_fd", r));
    }
    // The whole MESSAGE, however long (0: no threshold): the cut is ours, so
    // that cut_bytes is exact. One entry's data at a time.
    if (const int r = sd_journal_set_data_threshold(journal->get(), 0); r < 0) {
        return fail(describe_errno("sd_journal_set_data_threshold", r));
    }
    if (auto ok = match_unit(journal->get(), entry.unit); !ok) {
        return std::unexpected(ok.error());
    }
    auto state = std::make_unique<State>();
    state->entry = entry;
    state->journal = std::move(*journal);
    return std::unique_ptr<JournalSource>(new JournalSource(std::move(state)));
}

JournalSource::JournalSource(std::unique_ptr<State> state) : state_(std::move(state)) {}

JournalSource::~JournalSource() = default;

std::string JournalSource::describe() const {
    const auto& entry = state_->entry;
    if (entry.journal_directory) {
        return fmt::format("journal {} in {}", entry.unit, *entry.journal_directory);
    }
    return "journal " + entry.unit;
}

// How many entries back from the tail the newest `lines` records that fit in
// `max_bytes` of text reach (entries without MESSAGE count as steps, not
// bytes). A first pass, so that history holds no more than it returns.
Expected<std::uint32_t> JournalSource::steps_within(std::uint32_t lines, std::size_t max_bytes) {
    sd_journal* journal = state_->journal.get();
    if (const int r = sd_journal_seek_tail(journal); r < 0) {
        return fail(kind_of(r), describe_errno("seeking the journal's tail", r));
    }
    std::uint32_t steps = 0;
    std::uint32_t records = 0;
    std::size_t bytes = 0;
    while (records < lines) {
        const int r = sd_journal_previous(journal);
        if (r < 0) return fail(kind_of(r), describe_errno("reading the journal", r));
        if (r == 0) break;  // the unit's oldest entry
        if (auto record = state_->current_record()) {
            if (record->text.size() > max_bytes - bytes) break;
            bytes += record->text.size();
            ++records;
        }
        ++steps;
    }
    return steps;
}

Expected<std::vector<LogRecord>> JournalSource::history(std::uint32_t lines,
                                                        std::size_t max_bytes) {
    sd_journal* journal = state_->journal.get();
    auto steps = steps_within(lines, max_bytes);
    if (!steps) return std::unexpected(steps.error());
    // None fit (the newest alone is over max_bytes): as lines = 0, no
    // history and following goes on after the newest.
    if (lines > 0) lines = *steps;
    if (const int r = sd_journal_seek_tail(journal); r < 0) {
        return fail(kind_of(r), describe_errno("seeking the journal's tail", r));
    }
    // From the tail, stepping back n lands on the n-th newest entry; with
    // lines = 0, on the newest (so reading goes on after it).
    const int back = sd_journal_previous_skip(journal, lines == 0 ? 1 : lines);
    if (back < 0) return fail(kind_of(back), describe_errno("reading the journal", back));
    std::vector<LogRecord> records;
    if (back == 0) {
        state_->read_from_head = true;  // no entry of the unit yet
        return records;
    }
    if (lines == 0) return records;
    records.reserve(static_cast<std::size_t>(back));
    for (int i = 0; i < back; ++i) {
        if (i > 0) {
            const int r = sd_journal_next(journal);
            if (r < 0) return fail(kind_of(r), describe_errno("reading the journal", r));
            if (r == 0) break;  // cannot happen: these entries were just passed
        }
        if (auto record = state_->current_record()) records.push_back(std::move(*record));
    }
    // Entries written between the two passes shift the window by as many.
    keep_newest(records, lines, max_bytes);
    return records;
}

Expected<void> JournalSource::follow(transport::EventLoop& loop, SourceEvents events) {
    State& state = *state_;
    state.events = std::move(events);
    state.recheck = std::make_unique<transport::Timer>(loop);
    state.notice = std::make_unique<transport::Timer>(loop);
    const int fd = sd_journal_get_fd(state.journal.get());
    if (fd < 0) return fail(kind_of(fd), describe_errno("sd_journal_get_fd", fd));
    auto watch = transport::FdWatch::create(loop, fd, [&state] { state.on_journal_event(); });
    if (!watch) return std::unexpected(watch.error().context("watching the journal"));
    state.watch = std::move(*watch);
    state.arm_recheck();
    return {};
}

std::vector<LogRecord> JournalSource::read(std::size_t max_records, std::size_t max_bytes) {
    State& state = *state_;
    std::vector<LogRecord> records;
    if (!state.failure.empty()) return records;
    sd_journal* journal = state.journal.get();
    if (state.read_from_head) {
        state.read_from_head = false;
        if (const int r = sd_journal_seek_head(journal); r < 0) {
            state.fail_later(describe_errno("seeking the journal's head", r));
            return records;
        }
    }
    std::size_t bytes = 0;
    while (records.size() < max_records && bytes < max_bytes) {
        const int r = sd_journal_next(journal);
        if (r < 0) {
            state.fail_later(describe_errno("reading the journal", r));
            break;
        }
        if (r == 0) break;  // nothing more now; on_readable says when
        // An entry without MESSAGE is stepped over, not returned; stepping
        // on past it (rather than returning early) keeps "empty = nothing
        // now" true, which the stream relies on to wait for on_readable.
        if (auto record = state.current_record()) {
            bytes += record->text.size();
            records.push_back(std::move(*record));
        }
    }
    return records;
}

}  // namespace outpost::logs
