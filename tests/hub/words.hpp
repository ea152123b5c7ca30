#pragma once
// Splitting the hub's control lines into words (control.cpp, bench.cpp).

#include <string_view>

namespace outpost::hub {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// Splits off the first space-separated word.
inline std::string_view next_word(std::string_view& rest) {
    rest = trim(rest);
    const auto end = rest.find_first_of(" \t");
    auto word = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
    return word;
}

}  // namespace outpost::hub
