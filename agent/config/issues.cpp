#include "agent/config/issues.hpp"

#include <fmt/format.h>

#include "agent/common/printable.hpp"

namespace outpost::config {
namespace {

// Past this many issues the rest are counted, not listed: a file that is
// wrong everywhere helps nobody with a thousand lines of output.
constexpr std::size_t kMaxIssues = 100;
constexpr std::size_t kMaxQuoted = 60;

bool is_under(std::string_view path, std::string_view prefix) {
    if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) {
        return false;
    }
    return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

}  // namespace

void IssueSink::add(Position where, std::string key_path, std::string message) {
    if (issues_.size() >= kMaxIssues) {
        ++suppressed_;
        return;
    }
    issues_.push_back(
        ConfigIssue{file_, where.line, where.column, std::move(key_path), std::move(message)});
}

void IssueSink::record(const std::string& key_path, Position where) {
    positions_.insert_or_assign(key_path, where);
}

Position IssueSink::position_of(std::string_view key_path) const {
    while (true) {
        if (auto it = positions_.find(key_path); it != positions_.end()) {
            return it->second;
        }
        const auto cut = key_path.find_last_of(".[");
        if (cut == std::string_view::npos) {
            return Position{1, 1};
        }
        key_path = key_path.substr(0, cut);
    }
}

bool IssueSink::has_issue_under(std::string_view key_path) const {
    for (const auto& issue : issues_) {
        if (is_under(issue.key_path, key_path)) {
            return true;
        }
    }
    return suppressed_ > 0;
}

bool IssueSink::full() const {
    return issues_.size() >= kMaxIssues;
}

std::vector<ConfigIssue> IssueSink::take() {
    if (suppressed_ > 0) {
        issues_.push_back(
            ConfigIssue{file_, 0, 0, "", fmt::format("{} more problems not shown", suppressed_)});
        suppressed_ = 0;
    }
    return std::move(issues_);
}

std::string format_issue(const ConfigIssue& issue) {
    std::string out = issue.file;
    if (issue.line > 0) {
        out += fmt::format(":{}", issue.line);
        if (issue.column > 0) {
            out += fmt::format(":{}", issue.column);
        }
    }
    out += ": ";
    if (!issue.key_path.empty()) {
        out += issue.key_path + ": ";
    }
    out += issue.message;
    // Key names and found values come from the file as they are: no terminal
    // control or ill-formed UTF-8 in them may reach the operator's terminal.
    return printable(out);
}

std::string quote_found(std::string_view text) {
    std::string out = "`";
    std::size_t shown = 0;
    for (char c : text) {
        if (shown == kMaxQuoted) {
            out += "…";
            break;
        }
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out.push_back(c);
        }
        ++shown;
    }
    out += "`";
    return out;
}

}  // namespace outpost::config
