#include "agent/runtime/run.hpp"

#include <csignal>

#include "agent/auth/identity.hpp"
#include "agent/common/version.hpp"
#include "agent/log/log.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/transport/event_loop.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";
// How long a graceful stop waits for `status{offline}` and the close frame.
constexpr std::chrono::seconds kDrainLimit{3};

log::Level log_level(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::trace: return log::Level::trace;
        case config::LogLevel::debug: return log::Level::debug;
        case config::LogLevel::info: return log::Level::info;
        case config::LogLevel::warn: return log::Level::warn;
        case config::LogLevel::error: return log::Level::error;
    }
    return log::Level::info;
}

}  // namespace

int run_agent(const config::Config& config) {
    log::configure(log_level(config.logging.level), config.logging.format == config::LogFormat::json
                                                        ? log::Format::json
                                                        : log::Format::text);
    auto identity = auth::load_or_create_identity(config.node.state_dir, config.node.id);
    if (!identity) {
        log::error(kLog, "identity: {}", identity.error().message());
        return 1;
    }
    auto loop = transport::EventLoop::create();
    if (!loop) {
        log::error(kLog, "event loop: {}", loop.error().message());
        return 1;
    }
    log::info(kLog, "outpost {} starting as node {}", kAgentVersion, identity->node_id);

    int exit_code = 0;
    {
        SessionDriver driver(**loop, config, *identity);
        bool stopping = false;
        (*loop)->on_signal([&](int signal) {
            if (signal == SIGHUP) {
                log::info(kLog, "SIGHUP: configuration reload is not supported; restart to apply");
                return;
            }
            if (stopping) return;
            stopping = true;
            log::info(kLog, "{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
            driver.shutdown("agent stopping");
            (*loop)->stop();
        });
        driver.start();
        (*loop)->run();
        // Let the offline status and then the close frame go out, boundedly.
        (*loop)->run_until([&] { return driver.flushed(); }, kDrainLimit);
        driver.close_for_shutdown();
        (*loop)->run_until([&] { return driver.idle(); }, kDrainLimit);
    }
    log::info(kLog, "stopped");
    return exit_code;
}

}  // namespace outpost::runtime
