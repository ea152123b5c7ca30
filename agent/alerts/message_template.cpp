#include "agent/alerts/message_template.hpp"

#include <array>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace outpost::alerts {
namespace {

enum class Placeholder { rule, metric, subject, value, threshold };

constexpr std::array<std::pair<std::string_view, Placeholder>, 5> kPlaceholders{{
    {"rule", Placeholder::rule},
    {"metric", Placeholder::metric},
    {"subject", Placeholder::subject},
    {"value", Placeholder::value},
    {"threshold", Placeholder::threshold},
}};

std::optional<Placeholder> placeholder_named(std::string_view name) {
    for (const auto& [known, which] : kPlaceholders) {
        if (known == name) return which;
    }
    return std::nullopt;
}

// One pass over a template: literal text to `literal`, each placeholder to
// `field`. The first problem stops it.
template <class Literal, class FieldFn>
Expected<void> scan(std::string_view text, Literal literal, FieldFn field) {
    std::size_t at = 0;
    while (at < text.size()) {
        const char c = text[at];
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            return fail(ErrorKind::invalid_input,
                        fmt::format("control character at byte {}", at + 1));
        }
        if ((c == '{' || c == '}') && at + 1 < text.size() && text[at + 1] == c) {
            literal(std::string_view(&text[at], 1));
            at += 2;
            continue;
        }
        if (c == '}') {
            return fail(
                ErrorKind::invalid_input,
                fmt::format("`}}` at byte {} closes nothing (write `}}}}` for a brace)", at + 1));
        }
        if (c != '{') {
            literal(std::string_view(&text[at], 1));
            ++at;
            continue;
        }
        const std::size_t close = text.find('}', at);
        if (close == std::string_view::npos) {
            return fail(
                ErrorKind::invalid_input,
                fmt::format("`{{` at byte {} is not closed (write `{{{{` for a brace)", at + 1));
        }
        const std::string_view name = text.substr(at + 1, close - at - 1);
        const auto which = placeholder_named(name);
        if (!which) {
            return fail(ErrorKind::invalid_input,
                        fmt::format("unknown placeholder `{{{}}}` (known: {{rule}}, {{metric}}, "
                                    "{{subject}}, {{value}}, {{threshold}})",
                                    name.substr(0, 32)));
        }
        field(*which);
        at = close + 1;
    }
    return {};
}

}  // namespace

std::string format_number(double value) {
    if (!std::isfinite(value)) return "0";
    if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
    std::string text = fmt::format("{:.2f}", value);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
}

Expected<void> check_message_template(std::string_view text) {
    if (text.size() > kMaxMessageBytes) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("{} bytes, over {}", text.size(), kMaxMessageBytes));
    }
    return scan(
        text, [](std::string_view) {}, [](Placeholder) {});
}

std::string render_message(std::string_view text, const MessageFields& fields) {
    std::string out;
    const auto written = scan(
        text, [&](std::string_view literal) { out += literal; },
        [&](Placeholder which) {
            switch (which) {
                case Placeholder::rule:
                    out += fields.rule;
                    break;
                case Placeholder::metric:
                    out += fields.metric;
                    break;
                case Placeholder::subject:
                    if (!fields.subject.empty()) out += fmt::format(" ({})", fields.subject);
                    break;
                case Placeholder::value:
                    out += format_number(fields.value);
                    break;
                case Placeholder::threshold:
                    out += format_number(fields.threshold);
                    break;
            }
        });
    // Templates are checked when the config is loaded; one that is not is
    // sent as written rather than half filled.
    if (!written) return std::string(text);
    return out;
}

}  // namespace outpost::alerts
