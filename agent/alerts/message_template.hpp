#pragma once
// An alert rule's `message`: plain text with a few named placeholders, and
// nothing else that could be interpreted — no format specifiers, no
// expressions, no nesting. A value is written in place of its placeholder
// as it is; what the value says (a container name is chosen by whoever
// starts the container) is data in a JSON string, never re-read as a template.
//
//   {rule}      the rule's name               {subject}  e.g. `mount=/`, or empty
//   {metric}    the metric path               {value}    the value, e.g. `93.5`
//   {threshold} the threshold                 {{ and }}  a literal brace

#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::alerts {

inline constexpr std::size_t kMaxMessageBytes = 512;

// Used when a rule has no message.
inline constexpr std::string_view kDefaultMessage =
    "{rule}: {metric}{subject} is {value} (threshold {threshold})";

// Whether `text` is a template render_message can fill: known placeholders
// only, braces balanced or doubled, no control characters (invalid_input,
// saying which placeholder or byte).
[[nodiscard]] Expected<void> check_message_template(std::string_view text);

struct MessageFields {
    std::string_view rule;
    std::string_view metric;
    std::string_view subject;  // `{subject}` writes ` (subject)` when not empty
    double value = 0;
    double threshold = 0;
};

// `text` (checked) with the fields in place; numbers in their shortest form.
[[nodiscard]] std::string render_message(std::string_view text, const MessageFields& fields);

// A number as the messages and `outpost status` show it: up to 2 decimals.
[[nodiscard]] std::string format_number(double value);

}  // namespace outpost::alerts
