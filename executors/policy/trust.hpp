#pragma once
// Whether a program file may be executed for the control plane: it and every
// directory on the way to it (symlinks followed, each link's directory
// checked too) are owned by root and not writable by group or others. Called
// when the allow-list is built and again before each run, because the file
// system can change in between.

#include <sys/types.h>

#include <ctime>
#include <string>

#include "agent/common/error.hpp"

namespace outpost::policy {

struct TrustedFile {
    std::string resolved_path;  // no symlinks, `.` or `..`
    dev_t device{};
    ino_t inode{};
    // Change time: a file that replaces another may reuse its freed inode
    // number, so identity checks compare this too.
    timespec changed{};
};

// Refused: a relative path; a missing component; a component (file or
// directory) not owned by uid 0, or with the group- or other-write bit —
// sticky directories such as /tmp and /var/tmp included; a file that is not
// a regular file, has no execute bit, or is setuid/setgid; more than 40
// symlinks; a script (`#!`) whose interpreter fails the same checks (up to
// five interpreters in a chain, as many as the kernel follows), including
// what `#!/usr/bin/env NAME` runs from the fixed PATH and a file the line
// passes to the interpreter; a program the agent cannot read. The error
// names the component that failed.
[[nodiscard]] Expected<TrustedFile> check_executable_trust(const std::string& path);

// The same walk for a directory a command starts in (`working_dir`): many
// programs load code from their working directory (`python3 -m`), so a
// directory someone other than root can write to, or replace, is refused.
[[nodiscard]] Expected<TrustedFile> check_directory_trust(const std::string& path);

}  // namespace outpost::policy
