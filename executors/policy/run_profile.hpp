#pragma once
// How every run of one allow-list entry is set up, whatever the request
// asks: settled once when the list is built (run_as resolved, working_dir
// defaulted, `requires` split from the best-effort protections) and then
// handed to each approval as it is. One type held by both stages, so an
// approval cannot drop or alter a field of its entry by a missed copy.

#include <cstdint>
#include <string>
#include <vector>

#include "agent/config/config.hpp"
#include "executors/policy/users.hpp"

namespace outpost::policy {

struct RunProfile {
    std::string name;                    // the entry's name
    std::string path;                    // absolute, as configured (trust re-checked per run)
    Identity identity;                   // uid, gid and HOME of the entry's runs
    std::string working_dir;             // absolute; "/" when the entry sets none
    std::uint64_t max_output_bytes = 0;  // per stream
    std::uint64_t max_stdin_bytes = 0;
    config::SandboxLevel sandbox{};
    std::vector<config::Protection> required;     // refuse to run without these
    std::vector<config::Protection> best_effort;  // the sandbox level's others
    bool idempotent = false;
    std::uint64_t retries = 0;  // exec-failure retries; 0 unless idempotent

    friend bool operator==(const RunProfile&, const RunProfile&) = default;
};

}  // namespace outpost::policy
