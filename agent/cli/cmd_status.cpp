// `outpost status`: asks the running agent over its status socket and prints
// the answer (docs/status.md). Exit codes, like an LSB init script's status:
// 0 online and no check failing; 1 running but needs attention (not online,
// journal or a check failing); 2 bad command line or unreadable config (an
// invalid one is reported, then its agent asked all the same); 3 not running;
// 4 no usable answer (timeout, permission, malformed).
#include <yaml-cpp/yaml.h>

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
// status.socket's default (agent/config/schema_sections.cpp).
constexpr const char* kDefaultSocket = "/run/outpost/status.sock";

// The socket of a config file that does not validate: an agent still runs
// on its previous config after a refused reload, and status is how the
// operator learns why, so only `status.socket` is read, leniently (the
// schema's default when the YAML does not say or does not parse). Nullopt
// when the file cannot be read at all: then no agent runs on it either.
std::optional<std::string> socket_of_invalid_config(const std::string& config_path) {
    try {
        YAML::Node socket = YAML::LoadFile(config_path)["status"]["socket"];
        if (socket && socket.IsScalar() && !socket.Scalar().empty()) return socket.Scalar();
    } catch (const YAML::BadFile&) {
        return std::nullopt;
    } catch (const YAML::Exception&) {
    }
    return kDefaultSocket;
}

}  // namespace

int cmd_status(const CommandContext& ctx) {
    std::string socket_path = ctx.options.socket_path;
    if (socket_path.empty()) {
        auto loaded = config::load_config_file(ctx.options.config_path);
        if (!loaded) {
            for (const config::ConfigIssue& issue : loaded.error()) {
                ctx.err << config::format_issue(issue) << "\n";
            }
            auto socket = socket_of_invalid_config(ctx.options.config_path);
            if (!socket) {
                ctx.err << "outpost status: the status socket's path comes from the config; "
                           "--socket PATH names it directly\n";
                return kExitUsage;
            }
            socket_path = *socket;
            ctx.err << "outpost status: " << ctx.options.config_path
                    << " is invalid (a running agent keeps the config it has); asking on "
                    << socket_path << " (--socket PATH names another)\n";
        } else {
            socket_path = loaded->status.socket;
        }
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
