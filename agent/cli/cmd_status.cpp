// `outpost status`: asks the running agent over its status socket and prints
// the answer (docs/status.md). Exit codes, like an LSB init script's status:
// 0 online and no check failing; 1 running but needs attention (not online,
// journal or a check failing); 2 bad command line or config; 3 not running;
// 4 no usable answer (timeout, permission, malformed).
#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/config/loader.hpp"
#include "agent/status/report.hpp"
#include "agent/status/status_client.hpp"

namespace outpost::cli {
namespace {

constexpr int kExitNeedsAttention = 1;
constexpr int kExitNotRunning = 3;
constexpr int kExitNoAnswer = 4;
// The agent answers from its loop within a pass; 5 s means it is stuck.
constexpr std::chrono::seconds kAnswerLimit{5};

}  // namespace

int cmd_status(const CommandContext& ctx) {
    std::string socket_path = ctx.options.socket_path;
    if (socket_path.empty()) {
        auto loaded = config::load_config_file(ctx.options.config_path);
        if (!loaded) {
            for (const config::ConfigIssue& issue : loaded.error()) {
                ctx.err << config::format_issue(issue) << "\n";
            }
            ctx.err << "outpost status: the status socket's path comes from the config; "
                       "--socket PATH names it directly\n";
            return kExitUsage;
        }
        socket_path = loaded->status.socket;
    }
    auto answer = status::fetch_answer(socket_path, kAnswerLimit);
    if (!answer) {
        ctx.err << "outpost status: " << status::printable(answer.error().message) << "\n";
        return answer.error().kind == status::FetchError::Kind::not_running ? kExitNotRunning
                                                                            : kExitNoAnswer;
    }
    auto report = status::parse_report(*answer);
    if (!report) {
        ctx.err << "outpost status: unreadable answer on " << socket_path << ": "
                << status::printable(report.error().message()) << "\n";
        return kExitNoAnswer;
    }
    if (ctx.options.json) {
        ctx.out << *answer << "\n";
    } else {
        ctx.out << status::render_text(*report);
    }
    return status::healthy(*report) ? kExitOk : kExitNeedsAttention;
}

}  // namespace outpost::cli
