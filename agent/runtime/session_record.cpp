#include "agent/runtime/session_record.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace outpost::runtime {

namespace {

constexpr std::string_view kMagic = "outpost-session 1";
constexpr std::string_view kBootKey = "boot_id ";
constexpr std::string_view kSpreadKey = "reconnect_spread_s ";
constexpr std::int64_t kMaxSpreadS = 3600;  // §3.1
constexpr std::size_t kMaxFileBytes = 4096;

// /proc/sys/kernel/random/boot_id is a UUID; accept any short token of its
// characters so an odd kernel does not make every start look like a reboot.
bool plausible_boot_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (const char c : id) {
        const bool ok =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
        if (!ok) return false;
    }
    return true;
}

Error corrupt(std::string_view what) {
    return Error(ErrorKind::invalid_input, fmt::format("session record is corrupt: {}", what));
}

Error io_error(std::string_view op, const std::filesystem::path& file, int error) {
    return Error(ErrorKind::io, fmt::format("{} {}: {}", op, file.string(), std::strerror(error)));
}

Expected<void> write_all(int fd, std::string_view data, const std::filesystem::path& file) {
    while (!data.empty()) {
        const ssize_t put = ::write(fd, data.data(), data.size());
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return std::unexpected(io_error("write", file, put < 0 ? errno : EIO));
        data.remove_prefix(static_cast<std::size_t>(put));
    }
    return {};
}

// Writes, syncs and closes `tmp`; the caller renames it into place.
Expected<void> write_temp(const std::filesystem::path& tmp, std::string_view text) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return std::unexpected(io_error("create", tmp, errno));
    // O_CREAT's mode applies only to a new file: a leftover temp keeps its own.
    Expected<void> result;
    if (::fchmod(fd, 0600) != 0) result = std::unexpected(io_error("chmod", tmp, errno));
    if (result) result = write_all(fd, text, tmp);
    if (result && ::fsync(fd) != 0) result = std::unexpected(io_error("fsync", tmp, errno));
    if (::close(fd) != 0 && result) result = std::unexpected(io_error("close", tmp, errno));
    return result;
}

Expected<void> sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(io_error("open", dir, errno));
    const int rc = ::fsync(fd);
    const int sync_errno = errno;
    ::close(fd);
    if (rc != 0) return std::unexpected(io_error("fsync", dir, sync_errno));
    return {};
}

}  // namespace

std::filesystem::path session_record_path(const std::filesystem::path& state_dir) {
    return state_dir / "session";
}

std::string encode_session_record(const SessionRecord& record) {
    std::string text = fmt::format("{}\n{}{}\n", kMagic, kBootKey, record.boot_id);
    if (record.reconnect_spread) {
        text += fmt::format("{}{}\n", kSpreadKey, record.reconnect_spread->count());
    }
    return text;
}

Expected<SessionRecord> decode_session_record(std::string_view text) {
    if (text.empty() || text.back() != '\n') return std::unexpected(corrupt("truncated"));
    SessionRecord record;
    bool saw_magic = false;
    bool saw_boot = false;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end + 1);
        if (!saw_magic) {
            if (line != kMagic) return std::unexpected(corrupt("not a session record"));
            saw_magic = true;
        } else if (line.starts_with(kBootKey) && !saw_boot) {
            record.boot_id = std::string(line.substr(kBootKey.size()));
            if (!record.boot_id.empty() && !plausible_boot_id(record.boot_id)) {
                return std::unexpected(corrupt("bad boot_id"));
            }
            saw_boot = true;
        } else if (line.starts_with(kSpreadKey) && !record.reconnect_spread) {
            const std::string_view number = line.substr(kSpreadKey.size());
            std::int64_t seconds = -1;
            const auto [ptr, ec] =
                std::from_chars(number.data(), number.data() + number.size(), seconds);
            if (ec != std::errc{} || ptr != number.data() + number.size() || seconds < 0 ||
                seconds > kMaxSpreadS) {
                return std::unexpected(corrupt("bad reconnect_spread_s"));
            }
            record.reconnect_spread = std::chrono::seconds{seconds};
        } else {
            return std::unexpected(corrupt("unexpected line"));
        }
    }
    if (!saw_boot) return std::unexpected(corrupt("no boot_id"));
    return record;
}

Expected<std::optional<SessionRecord>> load_session_record(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<SessionRecord>{};
        return std::unexpected(io_error("open", file, errno));
    }
    std::string text(kMaxFileBytes + 1, '\0');
    std::size_t used = 0;
    while (used < text.size()) {
        const ssize_t got = ::read(fd, text.data() + used, text.size() - used);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int read_errno = errno;
            ::close(fd);
            return std::unexpected(io_error("read", file, read_errno));
        }
        if (got == 0) break;
        used += static_cast<std::size_t>(got);
    }
    ::close(fd);
    if (used > kMaxFileBytes) return std::unexpected(corrupt("too large"));
    text.resize(used);
    auto record = decode_session_record(text);
    if (!record) return std::unexpected(record.error());
    return std::optional<SessionRecord>{std::move(*record)};
}

Expected<void> save_session_record(const std::filesystem::path& file, const SessionRecord& record) {
    // Called at every welcome (reauth included) on the event loop: the
    // fsyncs below are paid only when the record changed, which is normally
    // once per boot, so a slow disk cannot stall the loop at each session.
    if (auto current = load_session_record(file);
        current && *current && encode_session_record(**current) == encode_session_record(record)) {
        return {};
    }
    std::filesystem::path tmp = file;
    tmp += ".tmp";
    if (auto written = write_temp(tmp, encode_session_record(record)); !written) {
        ::unlink(tmp.c_str());
        return written;
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const int rename_errno = errno;
        ::unlink(tmp.c_str());
        return std::unexpected(io_error("rename", tmp, rename_errno));
    }
    const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    return sync_directory(dir);
}

bool host_rebooted_since(const std::optional<SessionRecord>& last, std::string_view boot_id) {
    if (!last || last->boot_id.empty() || boot_id.empty()) return false;
    return last->boot_id != boot_id;
}

}  // namespace outpost::runtime
