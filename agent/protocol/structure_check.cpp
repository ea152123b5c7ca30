#include "agent/protocol/structure_check.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "agent/protocol/field_reader.hpp"
#include "agent/protocol/limits.hpp"

namespace outpost::protocol {
namespace {

// A failure found while walking; the pointer is assembled on the way back up.
struct Finding {
    std::string message;
    std::vector<std::string> tokens_reversed;
};

std::optional<std::string_view> find_duplicate(simdjson::dom::object object,
                                               std::vector<std::string_view>& keys) {
    keys.clear();
    for (const auto field : object) {
        keys.push_back(field.key);
    }
    if (keys.size() < 2) {
        return std::nullopt;
    }
    std::sort(keys.begin(), keys.end());
    const auto repeated = std::adjacent_find(keys.begin(), keys.end());
    if (repeated == keys.end()) {
        return std::nullopt;
    }
    return *repeated;
}

std::optional<Finding> walk(simdjson::dom::element value, int depth,
                            std::vector<std::string_view>& keys) {
    simdjson::dom::object object;
    simdjson::dom::array array;
    const bool is_object = value.get_object().get(object) == simdjson::SUCCESS;
    const bool is_array = !is_object && value.get_array().get(array) == simdjson::SUCCESS;
    if (!is_object && !is_array) {
        return std::nullopt;
    }
    if (depth > limits::kMaxDepth) {
        return Finding{fmt::format("nesting deeper than {}", limits::kMaxDepth), {}};
    }
    if (is_object) {
        if (const auto duplicate = find_duplicate(object, keys)) {
            return Finding{"duplicate member name", {std::string(*duplicate)}};
        }
        for (const auto field : object) {
            if (auto finding = walk(field.value, depth + 1, keys)) {
                finding->tokens_reversed.emplace_back(field.key);
                return finding;
            }
        }
        return std::nullopt;
    }
    std::size_t index = 0;
    for (const simdjson::dom::element item : array) {
        if (auto finding = walk(item, depth + 1, keys)) {
            finding->tokens_reversed.push_back(std::to_string(index));
            return finding;
        }
        ++index;
    }
    return std::nullopt;
}

}  // namespace

std::optional<ProtocolError> StructureChecker::check(simdjson::dom::element root) {
    auto finding = walk(root, 1, keys_);
    if (!finding) {
        return std::nullopt;
    }
    std::string pointer;
    for (auto token = finding->tokens_reversed.rbegin(); token != finding->tokens_reversed.rend();
         ++token) {
        append_pointer_token(pointer, *token);
    }
    return ProtocolError{ErrorCode::schema, std::move(finding->message), std::move(pointer),
                         std::nullopt};
}

}  // namespace outpost::protocol
