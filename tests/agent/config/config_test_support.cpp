#include "config_test_support.hpp"

#include <catch2/catch.hpp>

namespace outpost::config::test {

LoadResult load(std::string_view yaml) {
    return load_config_text(yaml, "test.yaml");
}

LoadResult load_with(std::string_view extra) {
    return load(std::string(kMinimal) + std::string(extra));
}

std::vector<ConfigIssue> issues_of(const LoadResult& result) {
    REQUIRE_FALSE(result.has_value());
    return result.error();
}

std::string describe(const std::vector<ConfigIssue>& issues) {
    std::string out;
    for (const auto& issue : issues) {
        out += format_issue(issue) + "\n";
    }
    return out;
}

bool has_issue(const std::vector<ConfigIssue>& issues, std::string_view key_path,
               std::string_view part) {
    for (const auto& issue : issues) {
        if (issue.key_path == key_path && issue.message.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

ConfigIssue issue_at(const std::vector<ConfigIssue>& issues, std::string_view key_path) {
    for (const auto& issue : issues) {
        if (issue.key_path == key_path) {
            return issue;
        }
    }
    FAIL("no issue at " << key_path << " among:\n" << describe(issues));
    return {};
}

}  // namespace outpost::config::test
