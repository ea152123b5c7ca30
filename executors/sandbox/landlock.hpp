#pragma once
// Landlock in the child: writes (create, delete, modify, rename) are allowed
// only beneath the run's writable paths (plus the private /tmp and a few
// device files such as /dev/null); reading and executing stay governed by
// ordinary permissions and the read-only mount. Best effort by ABI version:
// newer rights (REFER in ABI 2, TRUNCATE in ABI 3) are handled when the
// kernel knows them.

#include <string>
#include <vector>

namespace outpost::executors {

// Returns 0 or an errno. Uses only system calls (safe after fork); needs
// no_new_privs already set.
[[nodiscard]] int apply_landlock(int abi, const std::vector<std::string>& writable_paths);

}  // namespace outpost::executors
