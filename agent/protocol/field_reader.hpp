#pragma once
// Typed, validating access to the members of one JSON object. The first
// failure is kept (with the JSON pointer of the offending member) and every
// later read becomes a no-op returning a default, so a message reader can read
// all its fields in order and check `failed()` once at the end.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "agent/protocol/errors.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::protocol {

// Appends "/" + `token` escaped per RFC 6901 (~ → ~0, / → ~1).
void append_pointer_token(std::string& pointer, std::string_view token);

// True for 1..128 characters of [A-Za-z0-9._:-] (request_id, stream_id).
[[nodiscard]] bool is_valid_request_id(std::string_view id) noexcept;

class FieldReader {
  public:
    // `pointer` is the JSON pointer of `object` itself, e.g. "/data".
    FieldReader(simdjson::dom::object object, std::string pointer);

    [[nodiscard]] bool failed() const noexcept { return error_.has_value(); }
    [[nodiscard]] ProtocolError take_error() { return std::move(*error_); }

    std::string string(std::string_view key);            // required
    std::string non_empty_string(std::string_view key);  // required, at least one character
    std::optional<std::string> optional_string(std::string_view key);  // absent or null → nullopt
    // Required, no U+0000 inside (values that end up in argv/environ).
    std::string c_string(std::string_view key);
    std::string request_id(std::string_view key);  // required, is_valid_request_id
    std::string timestamp(std::string_view key);   // required, RFC 3339 (kept as text)
    std::optional<TimePoint> optional_time(std::string_view key);

    std::uint64_t uint(std::string_view key, std::uint64_t min, std::uint64_t max);
    std::optional<std::uint64_t> optional_uint(std::string_view key, std::uint64_t min,
                                               std::uint64_t max);
    // Lenient reads for values the agent can do without: they never fail.
    // A number of any JSON kind, rounded down and clamped into [min, max];
    // nullopt when absent or not a number.
    std::optional<std::uint64_t> clamped_uint(std::string_view key, std::uint64_t min,
                                              std::uint64_t max);
    // An RFC 3339 string; nullopt when absent or anything else.
    std::optional<std::string> lenient_timestamp(std::string_view key);

    bool boolean(std::string_view key);
    std::optional<bool> optional_boolean(std::string_view key);

    std::vector<std::string> c_string_array(std::string_view key);  // required
    std::map<std::string, std::string> optional_c_string_map(std::string_view key);
    // Required object, returned as minified JSON text.
    std::string object_json(std::string_view key);

    // Records a failure at member `key` (if none was recorded yet).
    void fail(std::string_view key, std::string message);

  private:
    // The member's value; records "missing required field" when absent and required.
    std::optional<simdjson::dom::element> find(std::string_view key, bool required);
    [[nodiscard]] std::string pointer_to(std::string_view key) const;
    std::optional<std::uint64_t> read_uint(simdjson::dom::element value, std::string_view key,
                                           std::uint64_t min, std::uint64_t max);
    void fail_at(std::string pointer, std::string message);

    simdjson::dom::object object_;
    std::string pointer_;
    std::optional<ProtocolError> error_;
};

}  // namespace outpost::protocol
