#pragma once
// The `Retry-After` header of an HTTP answer in its delta-seconds form
// ("120"), as the WebSocket upgrade and the polls read it (protocol.md §1,
// §7). An HTTP-date or anything malformed gives nullopt: the session policy
// then backs off as usual.

#include <optional>
#include <string_view>

namespace outpost::transport {

[[nodiscard]] std::optional<int> parse_retry_after_header(std::string_view text);

}  // namespace outpost::transport
