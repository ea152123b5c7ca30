#pragma once
// What the dispatcher asks of the allow-list: may this request run, and if so
// exactly how. A function, so the dispatcher does not depend on how the
// allow-list is built (executors/policy provides the real one).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"
#include "executors/runner/run_spec.hpp"

namespace outpost::dispatch {

struct CommandRequest {
    std::string_view command;  // the entry's name
    const std::vector<std::string>& args;
    const std::vector<std::pair<std::string, std::string>>& env;
    std::size_t stdin_bytes = 0;
    std::optional<std::uint64_t> timeout_ms;
};

struct ApprovedRun {
    executors::RunSpec spec;
    // Bounded retries of an exec failure (the program never started), only
    // for entries marked idempotent; 0 otherwise.
    unsigned exec_retries = 0;
};

// The refusal's message names the rule that failed; it is sent to the server
// as is (kind: invalid_input).
using CommandPolicy = std::function<Expected<ApprovedRun>(const CommandRequest& request)>;

}  // namespace outpost::dispatch
