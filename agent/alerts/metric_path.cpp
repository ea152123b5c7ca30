#include "agent/alerts/metric_path.hpp"

#include <fmt/format.h>

#include "agent/alerts/metric_resolve.hpp"

namespace outpost::alerts {
namespace {

constexpr std::size_t kMaxSelectorValueBytes = 128;

bool is_member_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

Error bad(std::string_view text, std::size_t at, std::string_view why) {
    return Error(ErrorKind::invalid_input,
                 fmt::format("metric path `{}`: {} at byte {}", text, why, at + 1));
}

// `[` … `]` starting at text[at] (the `[`); advances `at` past the `]`.
Expected<Selector> parse_selector(std::string_view text, std::size_t& at) {
    const std::size_t open = at;
    const std::size_t close = text.find(']', open);
    if (close == std::string_view::npos) return std::unexpected(bad(text, open, "unclosed `[`"));
    const std::string_view inside = text.substr(open + 1, close - open - 1);
    at = close + 1;
    if (inside == "*") return Selector{};
    const std::size_t equals = inside.find('=');
    if (equals == std::string_view::npos) {
        return std::unexpected(bad(text, open, "a selector is `[*]` or `[key=value]`"));
    }
    const std::string_view key = inside.substr(0, equals);
    const std::string_view value = inside.substr(equals + 1);
    if (key.empty()) return std::unexpected(bad(text, open + 1, "empty selector key"));
    for (std::size_t i = 0; i < key.size(); ++i) {
        if (!is_member_char(key[i])) {
            return std::unexpected(bad(text, open + 1 + i, "a selector key is [a-z0-9_]"));
        }
    }
    if (value.empty()) return std::unexpected(bad(text, open + 1 + equals, "empty selector value"));
    if (value.size() > kMaxSelectorValueBytes) {
        return std::unexpected(bad(text, open + 1 + equals, "selector value over 128 bytes"));
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (is_control(value[i])) {
            return std::unexpected(
                bad(text, open + 2 + equals + i, "control character in a selector value"));
        }
    }
    return Selector{Selector::Kind::match, std::string(key), std::string(value)};
}

}  // namespace

Expected<MetricPath> parse_metric_path(std::string_view text) {
    if (text.empty()) return fail(ErrorKind::invalid_input, "metric path is empty");
    if (text.size() > kMaxMetricPathBytes) {
        return fail(ErrorKind::invalid_input, fmt::format("metric path is {} bytes, over {}",
                                                          text.size(), kMaxMetricPathBytes));
    }
    MetricPath path{std::string(text), {}};
    std::size_t at = 0;
    while (true) {
        PathStep step;
        const std::size_t start = at;
        while (at < text.size() && is_member_char(text[at])) ++at;
        if (at == start) {
            return std::unexpected(bad(text, at, "expected a field name ([a-z0-9_])"));
        }
        step.member = std::string(text.substr(start, at - start));
        if (at < text.size() && text[at] == '[') {
            auto selector = parse_selector(text, at);
            if (!selector) return std::unexpected(std::move(selector.error()));
            step.selector = std::move(*selector);
        }
        path.steps.push_back(std::move(step));
        if (at == text.size()) return path;
        if (text[at] != '.') {
            return std::unexpected(bad(text, at, fmt::format("unexpected `{}`", text[at])));
        }
        ++at;
    }
}

Expected<MetricPath> check_metric_path(std::string_view text) {
    auto path = parse_metric_path(text);
    if (!path) return path;
    // Built and encoded once: the shape never changes while the agent runs.
    // Never destroyed (no non-trivial global is torn down at exit).
    static const auto* const reference =
        new Expected<EncodedSample>(EncodedSample::of(reference_sample()));
    if (!*reference) {
        return fail(fmt::format("metric path `{}`: cannot build the reference sample: {}", text,
                                reference->error().message()));
    }
    if (auto problem = shape_problem(*path, (*reference)->root()); !problem.empty()) {
        return fail(ErrorKind::invalid_input, fmt::format("metric path `{}`: {}", text, problem));
    }
    return path;
}

}  // namespace outpost::alerts
