#include "executors/policy/trust.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "executors/runner/environment.hpp"

namespace outpost::policy {
namespace {

constexpr int kMaxSymlinks = 40;  // as the kernel's ELOOP limit

// Appends the `/`-separated parts of `path`, in order, at the front of `todo`.
void push_front_parts(std::deque<std::string>& todo, std::string_view path) {
    std::deque<std::string> parts;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto end = path.find('/', pos);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        if (end > pos) {
            parts.emplace_back(path.substr(pos, end - pos));
        }
        pos = end + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
}

std::string shown(const std::string& path) {
    return path.empty() ? "/" : path;
}

// Owner and write bits: what lets someone other than root replace the file.
Expected<void> check_owner_and_mode(const std::string& path, const struct stat& st) {
    if (st.st_uid != 0) {
        return fail(fmt::format("{} is owned by uid {}, not root", shown(path), st.st_uid));
    }
    if ((st.st_mode & S_IWOTH) != 0) {
        return fail(fmt::format(
            "{} is writable by others{}", shown(path),
            (st.st_mode & S_ISVTX) != 0 ? " (sticky directories are not trusted either)" : ""));
    }
    if ((st.st_mode & S_IWGRP) != 0) {
        return fail(fmt::format("{} is writable by its group", shown(path)));
    }
    return {};
}

Expected<void> check_program(const std::string& path, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) {
        return fail(fmt::format("{} is not a regular file", path));
    }
    if (auto ok = check_owner_and_mode(path, st); !ok) {
        return ok;
    }
    if ((st.st_mode & (S_ISUID | S_ISGID)) != 0) {
        return fail(
            fmt::format("{} is setuid/setgid; such programs are refused (use run_as)", path));
    }
    if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
        return fail(fmt::format("{} is not executable", path));
    }
    return {};
}

// What the last component of a walk must be.
enum class Last { program, directory, file };

// Puts the target of the symbolic link `link` in front of what is left to
// walk; an absolute target starts again from `/`.
Expected<void> follow_link(const std::string& link, const struct stat& st, std::string& current,
                           std::deque<std::string>& todo) {
    std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
    const auto n = ::readlink(link.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<std::size_t>(n) >= target.size()) {
        return fail(fmt::format("{}: cannot read the link", link));
    }
    target.resize(static_cast<std::size_t>(n));
    if (!target.empty() && target.front() == '/') {
        current.clear();
    }
    push_front_parts(todo, target);
    return {};
}

// The last component of a walk that ends at a program or at a file.
Expected<TrustedFile> trusted_last(const std::string& path, const struct stat& st, Last last) {
    if (last == Last::program) {
        if (auto ok = check_program(path, st); !ok) {
            return std::unexpected(ok.error());
        }
        return TrustedFile{path, st.st_dev, st.st_ino, st.st_ctim};
    }
    // A file is read, not executed: no mode bits asked.
    if (!S_ISREG(st.st_mode)) {
        return fail(fmt::format("{} is not a regular file", path));
    }
    if (auto ok = check_owner_and_mode(path, st); !ok) {
        return std::unexpected(ok.error());
    }
    return TrustedFile{path, st.st_dev, st.st_ino, st.st_ctim};
}

// Walks `path` component by component (symlinks followed, each link's
// directory checked too) and checks the last one as `last`.
Expected<TrustedFile> walk(const std::string& path, Last last) {
    if (path.empty() || path.front() != '/') {
        return fail(fmt::format("`{}` is not an absolute path", path));
    }
    if (path.find('\0') != std::string::npos) {
        return fail("the path contains a NUL byte");
    }
    struct stat st {};
    if (::lstat("/", &st) != 0) {
        return fail(fmt::format("/: {}", std::strerror(errno)));
    }
    if (auto ok = check_owner_and_mode("", st); !ok) {
        return std::unexpected(ok.error());
    }
    std::deque<std::string> todo;
    push_front_parts(todo, path);
    std::string current;  // resolved so far, no symlinks; "" is `/`
    int links = 0;
    while (!todo.empty()) {
        const std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") {
            continue;
        }
        if (part == "..") {  // `current` has no symlinks, so its parent is lexical
            current.resize(current.rfind('/') == std::string::npos ? 0 : current.rfind('/'));
            continue;
        }
        const std::string next = current + "/" + part;
        if (::lstat(next.c_str(), &st) != 0) {
            return fail(fmt::format("{}: {}", next, std::strerror(errno)));
        }
        if (S_ISLNK(st.st_mode)) {
            // The link lives in `current`, already checked: only root could
            // have made or can change it. Its target is walked like the rest.
            if (++links > kMaxSymlinks) {
                return fail(fmt::format("{}: too many symbolic links", path));
            }
            if (auto ok = follow_link(next, st, current, todo); !ok) {
                return std::unexpected(ok.error());
            }
            continue;
        }
        if (todo.empty() && last != Last::directory) {
            return trusted_last(next, st, last);
        }
        if (!S_ISDIR(st.st_mode)) {
            return fail(fmt::format("{} is not a directory", next));
        }
        if (auto ok = check_owner_and_mode(next, st); !ok) {
            return std::unexpected(ok.error());
        }
        current = next;
    }
    if (last == Last::directory) {  // every component of `current` was checked
        const std::string dir = shown(current);
        if (::lstat(dir.c_str(), &st) != 0) {
            return fail(fmt::format("{}: {}", dir, std::strerror(errno)));
        }
        return TrustedFile{dir, st.st_dev, st.st_ino, st.st_ctim};
    }
    return fail(fmt::format("{} names a directory, not a program", path));
}

// A script's `#!` interpreter runs with the script's credentials: it must
// be as trusted as the script, and so must what it is told to load. The
// kernel reads at most this much of the line and follows at most this many
// interpreters in a chain.
constexpr std::size_t kShebangBytes = 256;
constexpr int kMaxInterpreters = 5;  // exec_binprm() gives up after five rewrites

struct Shebang {
    std::string interpreter;
    std::string argument;  // the rest of the line: the kernel passes it as one argument
};

// The `#!` line of a program, as fs/binfmt_script.c reads it; nullopt when
// the file is no script. A file that cannot be read is refused: the kernel
// reads it with the command's credentials, not ours, so "cannot read" does
// not mean "cannot be a script".
Expected<std::optional<Shebang>> shebang_of(const std::string& program) {
    const int fd = ::open(program.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        return fail(fmt::format("{}: cannot read it to look for a #! line: {}", program,
                                std::strerror(errno)));
    }
    char head[kShebangBytes];
    ssize_t n;
    do {
        n = ::pread(fd, head, sizeof head, 0);
    } while (n < 0 && errno == EINTR);
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) {
        return fail(fmt::format("{}: cannot read it to look for a #! line: {}", program,
                                std::strerror(read_errno)));
    }
    if (n < 2 || head[0] != '#' || head[1] != '!') {
        return std::optional<Shebang>();
    }
    std::string_view line(head + 2, static_cast<std::size_t>(n) - 2);
    // The line ends at a newline or NUL, or at the end of a short file.
    const auto line_end = line.find_first_of(std::string_view("\n\0", 2));
    if (line_end != std::string_view::npos) {
        line = line.substr(0, line_end);
    } else if (static_cast<std::size_t>(n) == kShebangBytes) {
        return fail(fmt::format("{}: its #! line is longer than {} bytes", program, kShebangBytes));
    }
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return fail(fmt::format("{} starts with an empty #! line", program));
    }
    line = line.substr(first, line.find_last_not_of(" \t") - first + 1);
    const auto gap = line.find_first_of(" \t");
    Shebang shebang{std::string(line.substr(0, gap)), ""};
    if (gap != std::string_view::npos) {
        shebang.argument = std::string(line.substr(line.find_first_not_of(" \t", gap)));
    }
    return std::optional<Shebang>(std::move(shebang));
}

bool ends_in_env(const std::string& path) {
    return path.size() >= 4 && path.compare(path.size() - 4, 4, "/env") == 0;
}

// By the name the script uses or the file it resolves to: a multicall
// binary (busybox, coreutils) is env when called as env.
bool is_env(const std::string& named, const std::string& resolved) {
    return ends_in_env(named) || ends_in_env(resolved);
}

// `#!/usr/bin/env NAME`: env runs the first NAME on the command's PATH (the
// runner's fixed one). Every PATH directory up to it must be trusted, or
// someone could put a NAME of theirs in front of it later.
Expected<std::string> resolve_on_fixed_path(const std::string& program, const std::string& name) {
    if (name.empty() || name.front() == '-') {
        return fail(
            fmt::format("{}: `#!.../env {}`: env options are refused (what env would run "
                        "cannot be checked)",
                        program, name));
    }
    if (name.front() == '/') {
        return name;
    }
    if (name.find('/') != std::string::npos || name.find_first_of(" \t") != std::string::npos) {
        return fail(fmt::format("{}: `#!.../env {}` names no program env could be checked for",
                                program, name));
    }
    std::string_view path = executors::kFixedPath;
    while (!path.empty()) {
        const auto colon = path.find(':');
        const std::string dir(path.substr(0, colon));
        path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
        struct stat st {};
        if (::lstat(dir.c_str(), &st) != 0) {
            // Absent here (its parent is one of the trusted system
            // directories). Anything else, say EACCES for a non-root agent,
            // means we cannot see what env would find there: refused.
            if (errno == ENOENT || errno == ENOTDIR) continue;
            return fail(fmt::format("{}: `#!.../env {}`: cannot look in {}: {}", program, name, dir,
                                    std::strerror(errno)));
        }
        if (auto trusted = walk(dir, Last::directory); !trusted) {
            return fail(fmt::format("{}: `#!.../env {}` searches {}, which is not trusted: {}",
                                    program, name, dir, trusted.error().message()));
        }
        const std::string candidate = dir + "/" + name;
        if (::lstat(candidate.c_str(), &st) == 0) {
            return candidate;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            return fail(fmt::format("{}: `#!.../env {}`: cannot look for {}: {}", program, name,
                                    candidate, std::strerror(errno)));
        }
    }
    return fail(fmt::format("{}: `#!.../env {}`: no {} on PATH {}", program, name, name,
                            executors::kFixedPath));
}

}  // namespace

Expected<TrustedFile> check_executable_trust(const std::string& path) {
    auto trusted = walk(path, Last::program);
    if (!trusted) {
        return trusted;
    }
    std::string program = trusted->resolved_path;
    for (int level = 0;; ++level) {
        auto shebang = shebang_of(program);
        if (!shebang) {
            return std::unexpected(shebang.error());
        }
        if (!*shebang) {
            return trusted;
        }
        if (level == kMaxInterpreters) {
            return fail(
                fmt::format("{}: more than {} #! interpreters in a chain", path, kMaxInterpreters));
        }
        const Shebang& line = **shebang;
        if (line.interpreter.front() != '/') {
            return fail(fmt::format("{}: its #! interpreter `{}` is not an absolute path", program,
                                    line.interpreter));
        }
        auto checked = walk(line.interpreter, Last::program);
        if (!checked) {
            return fail(fmt::format("{}: its #! interpreter is not trusted: {}", program,
                                    checked.error().message()));
        }
        if (is_env(line.interpreter, checked->resolved_path)) {
            // What env runs is the real interpreter: checked like one.
            auto found = resolve_on_fixed_path(program, line.argument);
            if (!found) {
                return std::unexpected(found.error());
            }
            checked = walk(*found, Last::program);
            if (!checked) {
                return fail(fmt::format("{}: the program its #! env runs is not trusted: {}",
                                        program, checked.error().message()));
            }
        } else if (!line.argument.empty() && line.argument.front() == '/') {
            // `#!/bin/sh /opt/x.sh`: the interpreter runs that file.
            if (auto loaded = walk(line.argument, Last::file); !loaded) {
                return fail(
                    fmt::format("{}: the file its #! line passes to the interpreter is "
                                "not trusted: {}",
                                program, loaded.error().message()));
            }
        }
        program = checked->resolved_path;
    }
}

Expected<TrustedFile> check_directory_trust(const std::string& path) {
    return walk(path, Last::directory);
}

}  // namespace outpost::policy
