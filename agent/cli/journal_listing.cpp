#include "agent/cli/journal_listing.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "agent/journal/schema.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::cli {
namespace {

// SQLite's lock bytes in the database file (os_unix.c: PENDING_BYTE, then
// the reserved byte and the 510 shared bytes); any lock on them is a
// connection's, the running agent's exclusive one above all.
constexpr off_t kLockBytesStart = 0x40000000;
constexpr off_t kLockBytesLength = 512;

std::string errno_text(int error) {
    return std::strerror(error);
}

// Why the journal cannot be opened at all, in the operator's words.
Error unreadable(const std::filesystem::path& path, int error) {
    if (error == ENOENT) {
        return Error(ErrorKind::not_found,
                     fmt::format("no journal at {} (no agent has run with this node.state_dir, "
                                 "or the file was moved aside)",
                                 path.string()));
    }
    if (error == EACCES || error == EPERM) {
        return Error(ErrorKind::permission,
                     fmt::format("permission denied reading {}: the journal is readable by its "
                                 "owner only (mode 0600); run as root",
                                 path.string()));
    }
    return Error(fmt::format("cannot read {}: {}", path.string(), errno_text(error)));
}

// The pid of the process holding a lock on the journal, if one does.
Expected<std::optional<pid_t>> lock_holder(const std::filesystem::path& path) {
    executors::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return std::unexpected(unreadable(path, errno));
    struct flock probe {};
    probe.l_type = F_WRLCK;  // conflicts with any lock, shared or exclusive
    probe.l_whence = SEEK_SET;
    probe.l_start = kLockBytesStart;
    probe.l_len = kLockBytesLength;
    if (::fcntl(fd.get(), F_GETLK, &probe) != 0) {
        return fail(
            fmt::format("cannot probe the lock of {}: {}", path.string(), errno_text(errno)));
    }
    if (probe.l_type == F_UNLCK) return std::optional<pid_t>{};
    return std::optional<pid_t>{probe.l_pid};
}

// `path` as a file: URI (RFC 3986: `?`, `#` and `%` are escaped).
std::string file_uri(const std::filesystem::path& path, std::string_view parameters) {
    std::string uri = "file:";
    for (char c : path.native()) {
        if (c == '?' || c == '#' || c == '%') {
            uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        } else {
            uri += c;
        }
    }
    return uri + "?" + std::string(parameters);
}

struct Connection {
    sqlite3* db = nullptr;
    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { sqlite3_close_v2(db); }
};

// While a private copy exists, a Ctrl-C or a kill (SIGINT, SIGTERM, SIGHUP)
// removes it before the process dies of the signal: the copy holds every
// command's output, and may be large on a small /tmp. Only unlink and rmdir
// on paths laid out in advance (async-signal-safe), then the signal again
// with its default action.
constexpr std::array<int, 3> kCleanupSignals{SIGINT, SIGTERM, SIGHUP};
constexpr std::array<const char*, 4> kCopyFiles{"/journal.db", "/journal.db-wal", "/journal.db-shm",
                                                "/journal.db-journal"};
std::array<std::array<char, PATH_MAX>, kCopyFiles.size()> g_copy_files{};
std::array<char, PATH_MAX> g_copy_dir{};
volatile std::sig_atomic_t g_copy_armed = 0;

extern "C" void remove_copy_then_die(int signal_number) {
    if (g_copy_armed != 0) {
        for (const auto& file : g_copy_files) ::unlink(file.data());
        ::rmdir(g_copy_dir.data());
    }
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// A private copy of the journal and its write-ahead log, removed with it,
// or by the handler above if a signal ends the process first.
class PrivateCopy {
  public:
    PrivateCopy() = default;
    PrivateCopy(const PrivateCopy&) = delete;
    PrivateCopy& operator=(const PrivateCopy&) = delete;
    ~PrivateCopy() {
        if (dir_.empty()) return;
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        disarm();
    }

    [[nodiscard]] Expected<std::filesystem::path> make(const std::filesystem::path& journal) {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = (tmp != nullptr && *tmp != '\0' ? std::string(tmp) : "/tmp") +
                              "/outpost-commands.XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            return fail("cannot make a private copy of the journal: mkdtemp: " + errno_text(errno));
        }
        dir_ = pattern;  // mode 0700
        arm();
        const std::filesystem::path copy = dir_ / "journal.db";
        for (const auto& [from, to] :
             {std::pair{journal, copy}, std::pair{std::filesystem::path(journal.native() + "-wal"),
                                                  std::filesystem::path(copy.native() + "-wal")}}) {
            std::error_code error;
            std::filesystem::copy_file(from, to, error);
            if (error) {
                return fail(fmt::format(
                    "{} has a write-ahead log (the agent did not stop cleanly) and a private copy "
                    "to read it failed: {}: {}; start the agent once (it recovers the log) or free "
                    "space in {}",
                    journal.string(), from.string(), error.message(), dir_.parent_path().string()));
            }
        }
        return copy;
    }

  private:
    void arm() {
        const std::string& dir = dir_.native();
        if (dir.size() + 32 > PATH_MAX) return;  // mkdtemp's own limit is lower
        for (std::size_t i = 0; i < kCopyFiles.size(); ++i) {
            const std::string file = dir + kCopyFiles[i];
            std::memcpy(g_copy_files[i].data(), file.c_str(), file.size() + 1);
        }
        std::memcpy(g_copy_dir.data(), dir.c_str(), dir.size() + 1);
        g_copy_armed = 1;
        struct sigaction action {};
        action.sa_handler = remove_copy_then_die;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < kCleanupSignals.size(); ++i) {
            ::sigaction(kCleanupSignals[i], nullptr, &previous_[i]);
            // A signal the caller ignores (nohup, a background job) stays so.
            if (previous_[i].sa_handler == SIG_IGN) continue;
            ::sigaction(kCleanupSignals[i], &action, nullptr);
        }
        armed_ = true;
    }
    void disarm() {
        if (!armed_) return;
        for (std::size_t i = 0; i < kCleanupSignals.size(); ++i) {
            ::sigaction(kCleanupSignals[i], &previous_[i], nullptr);
        }
        g_copy_armed = 0;
        armed_ = false;
    }

    std::filesystem::path dir_;
    std::array<struct sigaction, kCleanupSignals.size()> previous_{};
    bool armed_ = false;
};

Expected<void> open_database(Connection& c, const std::string& uri, int flags) {
    if (sqlite3_open_v2(uri.c_str(), &c.db, flags | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
        return fail(fmt::format("SQLite: {}", c.db ? sqlite3_errmsg(c.db) : "out of memory"));
    }
    return {};
}

Expected<int> schema_version(sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
        return fail(fmt::format("SQLite: {}", sqlite3_errmsg(db)));
    }
    int version = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (version < 0) return fail(fmt::format("SQLite: {}", sqlite3_errmsg(db)));
    return version;
}

std::optional<std::int64_t> optional_int(sqlite3_stmt* stmt, int column) {
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt, column);
}

std::optional<std::string> optional_text(sqlite3_stmt* stmt, int column) {
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(text != nullptr ? text : "");
}

std::optional<TimePoint> optional_time(sqlite3_stmt* stmt, int column) {
    auto ms = optional_int(stmt, column);
    if (!ms) return std::nullopt;
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(*ms)));
}

Expected<std::vector<JournalCommand>> select_commands(sqlite3* db, const JournalQuery& query) {
    const char* sql =
        "SELECT request_id, command, state, exit_code, signal, received_at, started_at, "
        "finished_at, duration_ms, reason FROM commands WHERE (?1 IS NULL OR state = ?1) "
        "ORDER BY received_at DESC, rowid DESC LIMIT ?2";
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        return fail(fmt::format("SQLite: {}", sqlite3_errmsg(db)));
    }
    if (query.state) {
        sqlite3_bind_text(stmt, 1, query.state->data(), static_cast<int>(query.state->size()),
                          SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(stmt, 2, static_cast<sqlite3_int64>(query.limit));
    std::vector<JournalCommand> rows;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        JournalCommand row;
        row.request_id = optional_text(stmt, 0).value_or("");
        row.command = optional_text(stmt, 1).value_or("");
        row.state = optional_text(stmt, 2).value_or("");
        row.exit_code = optional_int(stmt, 3);
        row.signal = optional_text(stmt, 4);
        row.received_at = optional_time(stmt, 5).value_or(TimePoint{});
        row.started_at = optional_time(stmt, 6);
        row.finished_at = optional_time(stmt, 7);
        row.duration_ms = optional_int(stmt, 8);
        row.reason = optional_text(stmt, 9);
        rows.push_back(std::move(row));
    }
    const std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    if (!error.empty()) return fail("SQLite: " + error);
    return rows;
}

}  // namespace

Expected<std::vector<JournalCommand>> list_journal_commands(const std::filesystem::path& path,
                                                            const JournalQuery& query) {
    auto holder = lock_holder(path);
    if (!holder) return std::unexpected(holder.error());
    if (*holder) {
        return fail(ErrorKind::unavailable,
                    fmt::format("{} is held by the running agent (pid {}), which keeps it locked "
                                "exclusively while it runs: stop the agent to list its commands, "
                                "or see `outpost status` for the counts",
                                path.string(), **holder));
    }
    struct stat wal {};
    const bool has_wal = ::stat((path.native() + "-wal").c_str(), &wal) == 0 && wal.st_size > 0;
    PrivateCopy copy;
    Connection connection;
    if (has_wal) {
        auto copied = copy.make(path);
        if (!copied) return std::unexpected(copied.error());
        if (auto ok =
                open_database(connection, file_uri(*copied, "mode=rw"), SQLITE_OPEN_READWRITE);
            !ok) {
            return std::unexpected(ok.error().context("reading a copy of " + path.string()));
        }
    } else if (auto ok = open_database(connection, file_uri(path, "mode=ro&immutable=1"),
                                       SQLITE_OPEN_READONLY);
               !ok) {
        return std::unexpected(ok.error().context("reading " + path.string()));
    }
    auto version = schema_version(connection.db);
    if (!version) return std::unexpected(version.error().context("reading " + path.string()));
    if (*version > journal::current_schema_version()) {
        return fail(fmt::format(
            "{} has schema version {}, newer than this outpost reads ({}): it was written by a "
            "newer agent; list it with that version",
            path.string(), *version, journal::current_schema_version()));
    }
    auto rows = select_commands(connection.db, query);
    if (!rows) {
        return std::unexpected(rows.error().context(
            "reading " + path.string() + " (if the agent started meanwhile, try again)"));
    }
    return rows;
}

}  // namespace outpost::cli
