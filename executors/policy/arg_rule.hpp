#pragma once
// One compiled argument rule (an arg_rules item or the variadic tail): the
// config's shape checked, its regex compiled and its path roots resolved
// once, then applied to each argument the control plane sends.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "executors/policy/regex.hpp"

namespace outpost::policy {

class ArgMatcher {
  public:
    // `rule_path` names the rule in refusals (executor.commands[2].arg_rules[1]).
    [[nodiscard]] static Expected<ArgMatcher> compile(const config::ArgRule& rule,
                                                      std::string rule_path);
    [[nodiscard]] static Expected<ArgMatcher> compile(const config::VariadicRule& rule,
                                                      std::string rule_path);

    // The argv element to pass (the argument itself; for path_under the
    // resolved path), or why the argument is refused (invalid_input): a
    // phrase that follows the quoted argument, e.g. `does not match regex
    // ^[a-z]+$`.
    [[nodiscard]] Expected<std::string> check(const std::string& arg) const;

    [[nodiscard]] const std::string& rule_path() const { return rule_path_; }

    enum class Kind { literal, one_of, regex, int_range, path_under };
    struct Spec {  // the config's fields, whichever struct they came from
        std::optional<std::string> literal;
        std::vector<std::string> one_of;
        std::optional<std::string> regex;
        std::vector<std::int64_t> int_range;
        std::vector<std::string> path_under;
        bool allow_dash{};
        bool allow_newline{};
        bool allow_missing{};
    };

  private:
    ArgMatcher() = default;
    [[nodiscard]] static Expected<ArgMatcher> compile_spec(const Spec& spec, std::string rule_path);
    [[nodiscard]] Expected<std::string> check_kind(const std::string& arg) const;
    [[nodiscard]] Expected<std::string> check_path(const std::string& arg) const;

    Kind kind_ = Kind::literal;
    std::vector<std::string> values_;  // literal (one), one_of, or resolved path roots
    std::optional<Regex> regex_;
    std::int64_t min_ = 0;
    std::int64_t max_ = 0;
    bool allow_dash_ = false;
    bool allow_newline_ = false;
    bool allow_missing_ = false;
    std::string rule_path_;
};

// `/a/./b//../c` -> `/a/c`; `..` at the top stays at `/`. Absolute paths only.
[[nodiscard]] std::string normalize_path(std::string_view absolute);

// True when `path` is `root` or lies below it (both normalised).
[[nodiscard]] bool path_is_under(std::string_view path, std::string_view root);

}  // namespace outpost::policy
