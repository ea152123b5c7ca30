#include "executors/sandbox/landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace outpost::executors {
namespace {

// Defined here because the installed UAPI headers may predate them.
constexpr std::uint64_t kTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kRefer = 1ULL << 13;     // ABI 2

constexpr std::uint64_t kFileRights =
    LANDLOCK_ACCESS_FS_WRITE_FILE | kTruncate;  // rights a rule on a file may carry

std::uint64_t handled_rights(int abi) {
    std::uint64_t rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                           LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                           LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                           LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                           LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2) rights |= kRefer;
    if (abi >= 3) rights |= kTruncate;
    return rights;
}

// 0, or errno; a missing optional path is skipped.
int allow(int ruleset, const char* path, std::uint64_t handled, bool optional) {
    const int fd = ::open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) return optional && errno == ENOENT ? 0 : errno;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return err;
    }
    landlock_path_beneath_attr attr{};
    attr.allowed_access = S_ISDIR(st.st_mode) ? handled : (handled & kFileRights);
    attr.parent_fd = fd;
    const long rc = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
    const int err = errno;
    ::close(fd);
    return rc == 0 ? 0 : err;
}

}  // namespace

int apply_landlock(int abi, const std::vector<std::string>& writable_paths) {
    if (abi < 1) return ENOSYS;
    const std::uint64_t handled = handled_rights(abi);
    landlock_ruleset_attr attr{};
    attr.handled_access_fs = handled;
    const int ruleset =
        static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
    if (ruleset < 0) return errno;
    int err = 0;
    for (const auto& path : writable_paths)
        if (err == 0) err = allow(ruleset, path.c_str(), handled, false);
    for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty"})
        if (err == 0) err = allow(ruleset, dev, handled, true);
    if (err == 0 && ::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) err = errno;
    ::close(ruleset);
    return err;
}

}  // namespace outpost::executors
