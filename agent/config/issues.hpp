#pragma once
// Collects the issues found while loading one config and remembers where each
// key was given, so cross-field rules can point at the right line.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/loader.hpp"

namespace outpost::config {

struct Position {
    int line = 0;    // 1-based, 0 = unknown
    int column = 0;  // 1-based, 0 = unknown
};

class IssueSink {
  public:
    explicit IssueSink(std::string file) : file_(std::move(file)) {}

    void add(Position where, std::string key_path, std::string message);

    // Remembers that `key_path` was given at `where`.
    void record(const std::string& key_path, Position where);

    // True when `key_path` itself appeared in the file.
    [[nodiscard]] bool was_given(std::string_view key_path) const {
        return positions_.find(key_path) != positions_.end();
    }

    // Where `key_path` or, failing that, its nearest recorded parent was given.
    [[nodiscard]] Position position_of(std::string_view key_path) const;

    // True when an issue was reported for `key_path` or anything below it.
    [[nodiscard]] bool has_issue_under(std::string_view key_path) const;

    [[nodiscard]] bool empty() const { return issues_.empty(); }
    // True once further issues are only counted, not kept.
    [[nodiscard]] bool full() const;
    [[nodiscard]] std::vector<ConfigIssue> take();

  private:
    std::string file_;
    std::vector<ConfigIssue> issues_;
    std::size_t suppressed_ = 0;
    std::map<std::string, Position, std::less<>> positions_;
};

// `text` quoted with backticks for messages: control bytes escaped, long
// values shortened.
[[nodiscard]] std::string quote_found(std::string_view text);

}  // namespace outpost::config
