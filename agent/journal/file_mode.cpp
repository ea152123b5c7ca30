#include "agent/journal/file_mode.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace outpost::journal {

namespace {

std::string errno_text(int error) {
    return std::strerror(error);
}

Error mode_error(const std::filesystem::path& path, unsigned mode) {
    return Error(fmt::format(
        "{} has mode {:04o}: group and others must have no access to the journal (expected "
        "0600); fix it with: chmod 600 {}",
        path.string(), mode, path.string()));
}

}  // namespace

std::filesystem::path wal_path(const std::filesystem::path& db) {
    return std::filesystem::path(db.string() + "-wal");
}

std::filesystem::path shm_path(const std::filesystem::path& db) {
    return std::filesystem::path(db.string() + "-shm");
}

Expected<std::optional<FileFacts>> inspect_private_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::optional<FileFacts>{};
        return fail(fmt::format("stat {}: {}", path.string(), errno_text(errno)));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(
            fmt::format("{} is not a regular file (a symlink or special file is not "
                        "accepted as the journal)",
                        path.string()));
    }
    if (st.st_uid != ::geteuid()) {
        return fail(fmt::format("{} is owned by uid {}, not by the agent's uid {}", path.string(),
                                st.st_uid, ::geteuid()));
    }
    const unsigned mode = st.st_mode & 07777;
    if ((mode & 077) != 0) return std::unexpected(mode_error(path, mode));
    return std::optional<FileFacts>{
        FileFacts{.size = static_cast<std::uintmax_t>(st.st_size), .mode = mode}};
}

Expected<void> create_private_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(fmt::format("create {}: {}", path.string(), errno_text(errno)));
    // The umask may have taken bits away (or a strange one left owner
    // without write): set exactly 0600.
    const bool chmod_ok = ::fchmod(fd, 0600) == 0;
    const int chmod_errno = errno;
    ::close(fd);
    if (!chmod_ok) return fail(fmt::format("chmod {}: {}", path.string(), errno_text(chmod_errno)));
    return {};
}

Expected<void> restrict_to_owner(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return fail(fmt::format("stat {}: {}", path.string(), errno_text(errno)));
    }
    if (!S_ISREG(st.st_mode)) return fail(fmt::format("{} is not a regular file", path.string()));
    if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), st.st_mode & 0700) != 0) {
        return fail(fmt::format("chmod {}: {}", path.string(), errno_text(errno)));
    }
    auto facts = inspect_private_file(path);  // verify, do not trust
    if (!facts) return std::unexpected(facts.error());
    return {};
}

}  // namespace outpost::journal
