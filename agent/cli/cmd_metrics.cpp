// `outpost metrics`: asks the running agent for its Prometheus metrics over
// the status socket (request `metrics`, docs/status.md) and prints them as
// served (text exposition format 0.0.4, docs/metrics.md). Exit codes as
// `outpost status`'s: 2 bad command line or config, 3 not running, 4 no
// usable answer; 0 otherwise (the metrics say how the agent is, not the
// exit code).
#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/config/loader.hpp"
#include "agent/status/report.hpp"
#include "agent/status/status_client.hpp"

namespace outpost::cli {
namespace {

constexpr int kExitNotRunning = 3;
constexpr int kExitNoAnswer = 4;
constexpr std::chrono::seconds kAnswerLimit{5};

}  // namespace

int cmd_metrics(const CommandContext& ctx) {
    std::string socket_path = ctx.options.socket_path;
    if (socket_path.empty()) {
        auto loaded = config::load_config_file(ctx.options.config_path);
        if (!loaded) {
            for (const config::ConfigIssue& issue : loaded.error()) {
                ctx.err << config::format_issue(issue) << "\n";
            }
            ctx.err << "outpost metrics: the status socket's path comes from the config; "
                       "--socket PATH names it directly\n";
            return kExitUsage;
        }
        socket_path = loaded->status.socket;
    }
    auto answer = status::fetch_answer(socket_path, kAnswerLimit, "metrics");
    if (!answer) {
        ctx.err << "outpost metrics: " << status::printable(answer.error().message) << "\n";
        return answer.error().kind == status::FetchError::Kind::not_running ? kExitNotRunning
                                                                            : kExitNoAnswer;
    }
    // An agent that does not know the request answers with an error line
    // (or, from before requests existed, with the status JSON).
    if (!answer->starts_with("# HELP ")) {
        ctx.err << "outpost metrics: the agent on " << socket_path
                << " did not answer with metrics: " << status::printable(answer->substr(0, 200))
                << "\n";
        return kExitNoAnswer;
    }
    ctx.out << *answer;
    return kExitOk;
}

}  // namespace outpost::cli
