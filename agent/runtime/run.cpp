#include "agent/runtime/run.hpp"

#include "agent/auth/identity.hpp"
#include "agent/common/exit_codes.hpp"
#include "agent/common/version.hpp"
#include "agent/log/log.hpp"
#include "agent/runtime/agent.hpp"
#include "agent/runtime/agent_journal.hpp"
#include "agent/runtime/allow_list_policy.hpp"
#include "agent/runtime/runtime_config.hpp"
#include "agent/transport/event_loop.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";
// lws's fd table: the connection, an HTTPS token refresh, the watch set and
// headroom. Commands' pipes and pidfds are not in it (they live in the loop's
// epoll set), so it does not grow with executor.max_concurrent.
constexpr unsigned kLwsFds = 64;

}  // namespace

// What can stop the agent before it starts is checked here, with its exit
// code; what the Agent stands on is made here and outlives it.
int run_agent(const config::Config& config, const std::filesystem::path& config_path) {
    const auto started_at = std::chrono::system_clock::now();
    configure_logging(config.logging);
    auto identity = auth::load_or_create_identity(config.node.state_dir, config.node.id);
    if (!identity) {
        log::error(kLog, "identity: {}", identity.error().message());
        return kExitFailure;
    }
    auto allow_list = ReloadableAllowList::build(config);
    if (!allow_list) {
        log::error(kLog, "allow-list: {}", allow_list.error().message());
        return kExitUsage;
    }
    transport::EventLoop::Options loop_options;
    loop_options.max_fds = kLwsFds;
    auto loop = transport::EventLoop::create(loop_options);
    if (!loop) {
        log::error(kLog, "event loop: {}", loop.error().message());
        return kExitFailure;
    }

    AgentJournal journal = AgentJournal::open(config);
    RuntimeConfig runtime(config, journal);
    {
        Agent agent(AgentBase{.config = config,
                              .started_at = started_at,
                              .identity = *identity,
                              .loop = **loop,
                              .journal = journal,
                              .runtime = runtime,
                              .config_path = std::filesystem::absolute(config_path).native()},
                    std::move(*allow_list));
        agent.run();
    }
    journal.flush_at_stop();
    log::info(kLog, "stopped");
    return kExitOk;
}

}  // namespace outpost::runtime
