#include "agent/auth/private_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "agent/auth/sodium.hpp"

namespace outpost::auth {
namespace {

std::string errno_text(int error) {
    return std::generic_category().message(error);
}

std::unexpected<Error> fail_errno(std::string_view what, const std::filesystem::path& path,
                                  int error) {
    return fail(fmt::format("{} {}: {}", what, path.string(), errno_text(error)));
}

// Closes a descriptor on every path out of a function.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { close(); }
    [[nodiscard]] int get() const { return fd_; }
    // Returns close()'s errno (0 on success); a failed close can lose data.
    int close() {
        if (fd_ < 0) return 0;
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 ? 0 : errno;
    }

  private:
    int fd_;
};

Expected<void> write_all(int fd, std::string_view contents, const std::filesystem::path& path) {
    while (!contents.empty()) {
        const ssize_t n = ::write(fd, contents.data(), contents.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("writing", path, errno);
        }
        contents.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Expected<void> fsync_directory(const std::filesystem::path& dir) {
    FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return fail_errno("opening directory", dir, errno);
    if (::fsync(fd.get()) != 0) return fail_errno("syncing directory", dir, errno);
    return {};
}

// Moves tmp to path unless path exists. RENAME_NOREPLACE is refused by a few
// file systems; link() gives the same guarantee there.
Expected<bool> move_into_place(const std::filesystem::path& tmp,
                               const std::filesystem::path& path) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
        return true;
    }
    int error = errno;
    if (error == EINVAL || error == ENOSYS) {
        if (::link(tmp.c_str(), path.c_str()) == 0) {
            ::unlink(tmp.c_str());
            return true;
        }
        error = errno;
    }
    ::unlink(tmp.c_str());
    if (error == EEXIST) return false;
    return fail_errno("creating", path, error);
}

}  // namespace

Expected<void> ensure_private_dir(const std::filesystem::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            return fail(
                fmt::format("state directory {} exists but is not a directory", dir.string()));
        }
        return {};
    }
    if (errno != ENOENT) return fail_errno("checking state directory", dir, errno);

    const std::filesystem::path parent = dir.parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            return fail(fmt::format("creating {}: {}", parent.string(), ec.message()));
        }
    }
    if (::mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST) return ensure_private_dir(dir);  // lost a race; re-check type
        return fail_errno("creating state directory", dir, errno);
    }
    // mkdir's mode is filtered by the umask; set it exactly.
    if (::chmod(dir.c_str(), 0700) != 0) return fail_errno("setting mode 0700 on", dir, errno);
    return {};
}

Expected<std::optional<std::string>> read_small_file(const std::filesystem::path& path,
                                                     std::size_t max_bytes, Secrecy secrecy) {
    // O_NONBLOCK so that a FIFO planted at the path cannot hang us before the
    // type check below.
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::optional<std::string>();
        return fail_errno("opening", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("checking", path, errno);
    if (!S_ISREG(st.st_mode)) {
        return fail(fmt::format("{} is not a regular file", path.string()));
    }
    const unsigned mode = st.st_mode & 07777U;
    if (secrecy == Secrecy::owner_only && (mode & 0077U) != 0) {
        return fail(fmt::format(
            "{} has mode {:04o}, which gives group or others access to a private key; "
            "refusing to use it. Make it private to the agent's user with: chmod 600 {}",
            path.string(), mode, path.string()));
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > max_bytes) {
        return fail(fmt::format("{} is {} bytes, more than the {} expected", path.string(), size,
                                max_bytes));
    }
    std::string contents(size, '\0');
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(fd.get(), contents.data() + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            sodium_memzero(contents.data(), contents.size());
            return fail_errno("reading", path, error);
        }
        if (n == 0) break;  // shrank while we read; the caller checks the length
        done += static_cast<std::size_t>(n);
    }
    contents.resize(done);
    return std::optional<std::string>(std::move(contents));
}

Expected<bool> create_file_atomically(const std::filesystem::path& path, std::string_view contents,
                                      mode_t mode) {
    require_sodium();
    const std::filesystem::path tmp =
        path.string() + fmt::format(".tmp-{}-{:08x}", ::getpid(), randombytes_random());
    // 0600 at creation so the bytes are never readable by others, whatever
    // `mode` is; fchmod then sets the exact mode (the umask can only remove bits).
    FileDescriptor fd(
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return fail_errno("creating", tmp, errno);

    auto written = [&]() -> Expected<void> {
        if (::fchmod(fd.get(), mode) != 0) return fail_errno("setting the mode of", tmp, errno);
        if (auto ok = write_all(fd.get(), contents, tmp); !ok) return ok;
        if (::fsync(fd.get()) != 0) return fail_errno("syncing", tmp, errno);
        if (const int error = fd.close(); error != 0) return fail_errno("closing", tmp, error);
        return {};
    }();
    if (!written) {
        fd.close();
        ::unlink(tmp.c_str());
        return std::unexpected(written.error());
    }

    auto moved = move_into_place(tmp, path);
    if (!moved || !*moved) return moved;
    const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
    if (auto synced = fsync_directory(dir); !synced) return std::unexpected(synced.error());
    return true;
}

}  // namespace outpost::auth
