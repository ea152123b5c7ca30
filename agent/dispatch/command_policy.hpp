#pragma once
// What the dispatcher asks of the allow-list: may this request run, and if so
// exactly how. A function, so the dispatcher does not depend on how the
// allow-list is built (executors/policy provides the real one).

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// The refusal names the rule that failed; it is sent to the server as is.
using CommandPolicy =
    std::function<std::expected<ApprovedRun, std::string>(const CommandRequest& request)>;

}  // namespace outpost::dispatch
