#include "agent/runtime/allow_list_policy.hpp"

#include <memory>

#include "executors/policy/allow_list.hpp"
#include "executors/policy/protections.hpp"
#include "executors/sandbox/protection.hpp"

namespace outpost::runtime {
namespace {

// What each config sandbox level asks of the sandbox (docs/allow-list.md).
executors::SandboxProfile profile_for(config::SandboxLevel level) {
    executors::SandboxProfile profile;  // every flag on: `strict`
    if (level == config::SandboxLevel::strict) return profile;
    profile.no_network = false;
    profile.read_only_root = false;
    profile.own_pid_namespace = false;
    profile.private_ipc = false;
    profile.private_uts = false;
    profile.landlock = false;
    if (level == config::SandboxLevel::none) {
        profile.private_tmp = false;
        profile.seccomp = false;
    }
    return profile;
}

dispatch::ApprovedRun to_run(const policy::ApprovedCommand& approved) {
    dispatch::ApprovedRun run;
    executors::RunSpec& spec = run.spec;
    const policy::RunProfile& entry = approved.run;
    spec.path = entry.path;
    spec.argv = approved.argv;
    spec.env = approved.env;
    spec.working_dir = entry.working_dir;
    spec.timeout = approved.timeout;
    spec.max_output_bytes = entry.max_output_bytes;
    spec.profile = profile_for(entry.sandbox);
    spec.profile.uid = entry.identity.uid;
    spec.profile.gid = entry.identity.gid;
    spec.home = entry.identity.home;
    // One Protection type from config to sandbox: nothing to translate, so
    // nothing a name mismatch could drop.
    spec.profile.required.insert(entry.required.begin(), entry.required.end());
    run.exec_retries = entry.idempotent ? static_cast<unsigned>(entry.retries) : 0;
    return run;
}

// The policy over `allow_list`: approved requests become a RunSpec, refusals
// an invalid_input naming the failed rule.
Expected<dispatch::ApprovedRun> check_request(const policy::AllowList& allow_list,
                                              const dispatch::CommandRequest& request) {
    policy::Request checked;
    checked.command = std::string(request.command);
    checked.args = request.args;
    checked.env = {request.env.begin(), request.env.end()};
    checked.stdin_bytes = request.stdin_bytes;
    checked.timeout_ms = request.timeout_ms;
    auto approved = allow_list.check(checked);
    // The message names the failed rule, e.g. `args[0]: "x" is not one
    // of a, b (executor.commands[0].arg_rules[0])`.
    if (!approved) return fail(ErrorKind::invalid_input, approved.error().message);
    return to_run(*approved);
}

}  // namespace

Expected<dispatch::CommandPolicy> make_allow_list_policy(const config::Config& config) {
    auto built = ReloadableAllowList::build(config);
    if (!built) return std::unexpected(built.error());
    return dispatch::CommandPolicy(
        [allow_list = std::move(*built)](const dispatch::CommandRequest& request) {
            return check_request(*allow_list, request);
        });
}

Expected<ReloadableAllowList::Built> ReloadableAllowList::build(const config::Config& config) {
    auto built = policy::AllowList::build(config.executor);
    if (!built) return std::unexpected(built.error());
    return std::make_shared<const policy::AllowList>(std::move(*built));
}

ReloadableAllowList::ReloadableAllowList(Built first)
    : current_(std::make_shared<Built>(std::move(first))) {}

dispatch::CommandPolicy ReloadableAllowList::policy() const {
    return [current = current_](const dispatch::CommandRequest& request) {
        return check_request(**current, request);
    };
}

}  // namespace outpost::runtime
