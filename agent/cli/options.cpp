#include "agent/cli/options.hpp"

#include <charconv>

namespace outpost::cli {

Expected<Options> parse_options(const std::vector<std::string>& args, OptionRules rules) {
    const auto usage = [](std::string message) {
        return fail(ErrorKind::invalid_input, std::move(message));
    };
    Options options;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-h" || arg == "--help") {
            options.help = true;
        } else if (rules.json && arg == "--json") {
            options.json = true;
        } else if (rules.socket && arg == "--socket") {
            if (i + 1 >= args.size() || args[i + 1].empty()) {
                return usage("--socket needs a socket path");
            }
            options.socket_path = args[++i];
        } else if (rules.listing && (arg == "--limit" || arg == "--state")) {
            if (i + 1 >= args.size() || args[i + 1].empty()) {
                return usage(arg + (arg == "--limit" ? " needs a number" : " needs a state"));
            }
            const std::string& value = args[++i];
            if (arg == "--state") {
                options.state = value;
                continue;
            }
            std::size_t limit = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
            if (ec != std::errc{} || end != value.data() + value.size() || limit == 0 ||
                limit > kMaxListLimit) {
                return usage("--limit needs a number from 1 to " + std::to_string(kMaxListLimit) +
                             ", not '" + value + "'");
            }
            options.limit = limit;
        } else if (rules.config && (arg == "--config" || arg == "-c")) {
            if (i + 1 >= args.size() || args[i + 1].empty()) {
                return usage(arg + " needs a file path");
            }
            options.config_path = args[++i];
        } else if (rules.config && arg.rfind("--config=", 0) == 0) {
            options.config_path = arg.substr(9);
            if (options.config_path.empty()) return usage("--config= needs a file path");
        } else if (rules.action && options.action.empty() && !arg.empty() && arg[0] != '-') {
            options.action = arg;
        } else {
            return usage("unexpected argument '" + arg + "'");
        }
    }
    return options;
}

}  // namespace outpost::cli
