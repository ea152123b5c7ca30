#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace outpost::log {
// One JSON object of string fields, terminated by '\n'.
[[nodiscard]] std::string json_line(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields);
}  // namespace outpost::log
