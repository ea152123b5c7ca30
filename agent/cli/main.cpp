#include "agent/cli/main.hpp"

#include <exception>
#include <iostream>

#include "agent/cli/commands.hpp"
#include "agent/common/printable.hpp"

namespace outpost::cli {
namespace {

void print_usage(std::ostream& out) {
    out << "usage: outpost <command> [options]\n\ncommands:\n";
    for (const Command& command : all_commands()) {
        out << "  " << command.name << std::string(14 - command.name.size(), ' ') << command.summary
            << "\n";
    }
    out << "\noptions:\n  --config PATH   config file (default " << kDefaultConfigPath
        << ")\n  --help          this text\n";
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(args.empty() ? err : out);
        return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] == "--version") return cmd_version({{}, out, err});
    for (const Command& command : all_commands()) {
        if (command.name != args[0]) continue;
        std::vector<std::string> rest(args.begin() + 1, args.end());
        auto options = parse_options(rest, command.accepts);
        if (!options) {
            err << "outpost " << command.name << ": " << printable(options.error().message())
                << "\n";
            return kExitUsage;
        }
        if (options->help) {
            print_usage(out);
            return kExitOk;
        }
        return command.execute({*options, out, err});
    }
    err << "outpost: unknown command '" << printable(args[0]) << "' (see outpost --help)\n";
    return kExitUsage;
}

int run_main(std::span<char*> argv) {
    std::vector<std::string> args;
    for (size_t i = 1; i < argv.size(); ++i) args.emplace_back(argv[i]);
    // The last line of defence: a library exception must not end in terminate().
    try {
        return run_cli(args, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "outpost: internal error: " << e.what() << "\n";
    } catch (...) {
        std::cerr << "outpost: internal error\n";
    }
    return kExitFailure;
}

}  // namespace outpost::cli
