#include "agent/transport/retry_after.hpp"

#include <charconv>

namespace outpost::transport {

std::optional<int> parse_retry_after_header(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    int seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || end != text.data() + text.size() || seconds < 0) return std::nullopt;
    return seconds;
}

}  // namespace outpost::transport
