#include "executors/policy/env_rule.hpp"

#include <utility>

namespace outpost::policy {
namespace {

using Entry = std::pair<std::string_view, std::string_view>;

constexpr std::string_view kLoader = "read by the dynamic loader";
constexpr std::string_view kShell = "changes how shells behave";
constexpr std::string_view kInterpreter = "makes an interpreter load other code";
constexpr std::string_view kAgent = "set by the agent itself";

// Names starting with these.
constexpr Entry kPrefixes[] = {
    {"LD_", kLoader},       {"DYLD_", kLoader},   {"MALLOC_", kLoader},
    {"BASH_FUNC_", kShell}, {"OUTPOST_", kAgent},
};

constexpr Entry kNames[] = {
    {"GLIBC_TUNABLES", kLoader},
    {"GCONV_PATH", kLoader},
    {"LOCPATH", kLoader},
    {"NLSPATH", kLoader},
    {"HOSTALIASES", kLoader},
    {"RESOLV_HOST_CONF", kLoader},
    {"BASH_ENV", kShell},
    {"ENV", kShell},
    {"IFS", kShell},
    {"SHELLOPTS", kShell},
    {"BASHOPTS", kShell},
    {"PS4", kShell},
    {"PROMPT_COMMAND", kShell},
    {"CDPATH", kShell},
    {"GLOBIGNORE", kShell},
    {"PYTHONPATH", kInterpreter},
    {"PYTHONHOME", kInterpreter},
    {"PYTHONSTARTUP", kInterpreter},
    {"PERL5LIB", kInterpreter},
    {"PERL5OPT", kInterpreter},
    {"PERLLIB", kInterpreter},
    {"RUBYLIB", kInterpreter},
    {"RUBYOPT", kInterpreter},
    {"NODE_OPTIONS", kInterpreter},
    {"NODE_PATH", kInterpreter},
    {"JAVA_TOOL_OPTIONS", kInterpreter},
    {"_JAVA_OPTIONS", kInterpreter},
    {"PATH", kAgent},
    {"HOME", kAgent},
    {"SHELL", kAgent},
    {"USER", kAgent},
    {"LOGNAME", kAgent},
};

char upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool equal_upper(std::string_view text, std::string_view upper_word) {
    if (text.size() != upper_word.size()) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (upper(text[i]) != upper_word[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<std::string_view> forbidden_env_reason(std::string_view name) {
    for (const auto& [prefix, reason] : kPrefixes) {
        if (name.size() >= prefix.size() && equal_upper(name.substr(0, prefix.size()), prefix)) {
            return reason;
        }
    }
    for (const auto& [word, reason] : kNames) {
        if (equal_upper(name, word)) {
            return reason;
        }
    }
    return std::nullopt;
}

}  // namespace outpost::policy
