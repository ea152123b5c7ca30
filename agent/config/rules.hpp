#pragma once
// Rules that relate several keys (the per-key rules live in the tables), and
// the derived defaults (auth.audience, executor entries' max_timeout).

#include <functional>
#include <string>
#include <vector>

#include "agent/config/config.hpp"
#include "agent/config/issues.hpp"

namespace outpost::config {

// Reports a rule violation against a key path, positioned where that key (or
// its nearest given parent) is in the file.
class RuleSink {
  public:
    explicit RuleSink(IssueSink& sink) : sink_(sink) {}
    void fail(const std::string& key_path, std::string message) {
        sink_.add(sink_.position_of(key_path), key_path, std::move(message));
    }
    [[nodiscard]] bool was_given(std::string_view key_path) const {
        return sink_.was_given(key_path);
    }

  private:
    IssueSink& sink_;
};

struct Rule {
    std::vector<std::string> reads;  // skipped when any of these already has an issue
    std::function<void(Config&, RuleSink&)> apply;
};

[[nodiscard]] const std::vector<Rule>& cross_field_rules();

// Runs every rule whose inputs loaded cleanly.
void apply_rules(Config& config, IssueSink& sink);

}  // namespace outpost::config
