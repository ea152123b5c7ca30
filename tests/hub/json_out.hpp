#pragma once
// Writing JSON text: the hub's events and its messages to the agent.

#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::hub {

// `s` as a JSON string literal. Bytes that are not valid UTF-8 become U+FFFD,
// so text from the network can always be echoed in an event.
[[nodiscard]] std::string json_quote(std::string_view s);

// Builds one JSON object, key by key, in insertion order.
class JsonObject {
  public:
    JsonObject& str(std::string_view key, std::string_view value);
    JsonObject& num(std::string_view key, int64_t value);
    JsonObject& boolean(std::string_view key, bool value);
    JsonObject& null(std::string_view key);
    // `json` must already be valid JSON text.
    JsonObject& raw(std::string_view key, std::string_view json);
    // str() when `value` is non-empty, otherwise null().
    JsonObject& str_or_null(std::string_view key, std::string_view value);

    [[nodiscard]] std::string done() const { return buf_ + "}"; }

  private:
    void key(std::string_view k);
    std::string buf_ = "{";
};

}  // namespace outpost::hub
