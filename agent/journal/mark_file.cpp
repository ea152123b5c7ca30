#include "agent/journal/mark_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/journal/file_mode.hpp"

namespace outpost::journal {

namespace {

constexpr std::string_view kMagic = "outpost-journal-mark 1";
constexpr std::size_t kSlotSize = 512;  // one disk sector each
constexpr std::size_t kSlots = 2;

std::string errno_text(int error) {
    return std::strerror(error);
}

// FNV-1a, 64 bits: catches a torn or garbled slot, not an adversary (whoever
// can write this file can write the journal too).
std::uint64_t checksum(std::string_view text) {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    return hash;
}

std::string slot_line(const JournalMark& mark) {
    const std::string body = fmt::format("{} {} {}", kMagic, mark.epoch, mark.generation);
    return fmt::format("{} {:016x}\n", body, checksum(body));
}

bool plausible_epoch(std::string_view epoch) {
    if (epoch.size() != 36) return false;
    for (std::size_t i = 0; i < epoch.size(); ++i) {
        const char c = epoch[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

// One slot's text up to its newline; nullopt when it is not a valid mark.
std::optional<JournalMark> parse_slot(std::string_view slot) {
    const auto newline = slot.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    std::string_view line = slot.substr(0, newline);
    const auto last_space = line.rfind(' ');
    if (last_space == std::string_view::npos) return std::nullopt;
    const std::string_view body = line.substr(0, last_space);
    const std::string_view check = line.substr(last_space + 1);
    if (check != fmt::format("{:016x}", checksum(body))) return std::nullopt;
    if (!body.starts_with(kMagic) || body.size() < kMagic.size() + 1 ||
        body[kMagic.size()] != ' ') {
        return std::nullopt;
    }
    const std::string_view rest = body.substr(kMagic.size() + 1);
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    JournalMark mark;
    mark.epoch = std::string(rest.substr(0, space));
    const std::string_view number = rest.substr(space + 1);
    const auto [end, ec] =
        std::from_chars(number.data(), number.data() + number.size(), mark.generation);
    if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
    if (!plausible_epoch(mark.epoch)) return std::nullopt;
    return mark;
}

Error damaged(const std::filesystem::path& file, std::string_view what) {
    return Error(ErrorKind::journal,
                 fmt::format("journal mark file {} is damaged ({}), so it cannot tell whether "
                             "the journal went backwards",
                             file.string(), what));
}

Expected<std::string> read_whole(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::io, fmt::format("open {}: {}", file.string(), errno_text(errno)));
    std::string text(kSlotSize * kSlots, '\0');
    const ssize_t got = ::pread(fd, text.data(), text.size(), 0);
    const int read_errno = errno;
    ::close(fd);
    if (got < 0) {
        return fail(ErrorKind::io,
                    fmt::format("read {}: {}", file.string(), errno_text(read_errno)));
    }
    text.resize(static_cast<std::size_t>(got));
    return text;
}

Expected<void> write_all_at(int fd, std::string_view data, off_t offset,
                            const std::filesystem::path& file) {
    while (!data.empty()) {
        const ssize_t put = ::pwrite(fd, data.data(), data.size(), offset);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) {
            return fail(ErrorKind::io, fmt::format("write {}: {}", file.string(),
                                                   errno_text(put < 0 ? errno : EIO)));
        }
        data.remove_prefix(static_cast<std::size_t>(put));
        offset += put;
    }
    return {};
}

Expected<void> sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::io, fmt::format("open {}: {}", dir.string(), errno_text(errno)));
    const bool ok = ::fsync(fd) == 0;
    const int sync_errno = errno;
    ::close(fd);
    if (!ok)
        return fail(ErrorKind::io,
                    fmt::format("fsync {}: {}", dir.string(), errno_text(sync_errno)));
    return {};
}

}  // namespace

std::filesystem::path mark_path(const std::filesystem::path& db) {
    std::filesystem::path mark = db;
    mark.replace_extension(".mark");
    if (mark == db) mark += ".mark";  // a journal file named *.mark
    return mark;
}

Expected<std::string> new_epoch() {
    std::array<std::uint8_t, 16> bytes{};
    std::size_t have = 0;
    while (have < bytes.size()) {
        const ssize_t got = ::getrandom(bytes.data() + have, bytes.size() - have, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return fail(ErrorKind::io, fmt::format("getrandom: {}", errno_text(errno)));
        have += static_cast<std::size_t>(got);
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // variant 10xx
    std::string text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
        text += fmt::format("{:02x}", bytes[i]);
    }
    return text;
}

Expected<std::optional<JournalMark>> read_mark(const std::filesystem::path& file) {
    auto facts = inspect_private_file(file);
    if (!facts) return std::unexpected(facts.error());
    if (!*facts) return std::optional<JournalMark>{};
    auto text = read_whole(file);
    if (!text) return std::unexpected(text.error());
    std::vector<JournalMark> valid;
    for (std::size_t slot = 0; slot < kSlots; ++slot) {
        if (text->size() <= slot * kSlotSize) break;
        const std::string_view region = std::string_view(*text).substr(slot * kSlotSize, kSlotSize);
        if (auto mark = parse_slot(region)) valid.push_back(std::move(*mark));
    }
    if (valid.empty()) return std::unexpected(damaged(file, "no valid mark in it"));
    if (valid.size() == 2 && valid[0].epoch != valid[1].epoch) {
        return std::unexpected(damaged(file, "its two slots name different epochs"));
    }
    // The newer slot; the other is the previous mark (or the same one).
    const JournalMark& newest =
        valid.size() == 2 && valid[1].generation > valid[0].generation ? valid[1] : valid[0];
    return std::optional<JournalMark>{newest};
}

Expected<void> replace_mark(const std::filesystem::path& file, const JournalMark& mark) {
    const std::filesystem::path temp = file.string() + ".tmp";
    ::unlink(temp.c_str());  // a leftover of an interrupted replace
    if (auto created = create_private_file(temp); !created) return created;
    const int fd = ::open(temp.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::io, fmt::format("open {}: {}", temp.string(), errno_text(errno)));
    // Both slots hold the mark; the rest is newlines, so `cat` shows two lines.
    std::string text(kSlotSize * kSlots, '\n');
    const std::string line = slot_line(mark);
    for (std::size_t slot = 0; slot < kSlots; ++slot)
        text.replace(slot * kSlotSize, line.size(), line);
    auto written = write_all_at(fd, text, 0, temp);
    if (written && ::fsync(fd) != 0) {
        written =
            fail(ErrorKind::io, fmt::format("fsync {}: {}", temp.string(), errno_text(errno)));
    }
    ::close(fd);
    if (!written) return written;
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        return fail(ErrorKind::io, fmt::format("rename {} to {}: {}", temp.string(), file.string(),
                                               errno_text(errno)));
    }
    return sync_directory(file.parent_path().empty() ? "." : file.parent_path());
}

Expected<MarkWriter> MarkWriter::open(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::io, fmt::format("open {}: {}", file.string(), errno_text(errno)));
    return MarkWriter(fd, file);
}

MarkWriter::MarkWriter(MarkWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      file_(std::move(other.file_)),
      unsynced_(std::exchange(other.unsynced_, false)) {}

MarkWriter::~MarkWriter() {
    if (fd_ >= 0) ::close(fd_);
}

Expected<void> MarkWriter::advance(const JournalMark& mark) {
    const auto offset = static_cast<off_t>((mark.generation % kSlots) * kSlotSize);
    unsynced_ = true;
    return write_all_at(fd_, slot_line(mark), offset, file_);
}

Expected<void> MarkWriter::sync() {
    if (!unsynced_) return {};
    if (::fdatasync(fd_) != 0) {
        return fail(ErrorKind::io,
                    fmt::format("fdatasync {}: {}", file_.string(), errno_text(errno)));
    }
    unsynced_ = false;
    return {};
}

}  // namespace outpost::journal
