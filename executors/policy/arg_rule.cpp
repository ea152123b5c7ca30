#include "executors/policy/arg_rule.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "executors/policy/quote.hpp"

namespace outpost::policy {
namespace {

template <class R>
ArgMatcher::Spec spec_of(const R& rule) {
    return {rule.literal,    rule.one_of,     rule.regex,         rule.int_range,
            rule.path_under, rule.allow_dash, rule.allow_newline, rule.allow_missing};
}

bool has_line_break(std::string_view text) {
    return text.find_first_of("\n\r") != std::string_view::npos;
}

// realpath(3) into a std::string; the error is errno.
std::expected<std::string, int> resolve(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) {
        return std::unexpected(errno);
    }
    return std::string(real.get());
}

// A canonical decimal integer: `0`, or an optional `-` and digits without a
// leading zero. Programs differ on `+5`, `007` (octal?) and `1e3`, so only
// the one spelling everybody reads the same way is accepted.
std::optional<std::int64_t> parse_canonical_int(std::string_view text) {
    const std::string_view digits = (!text.empty() && text.front() == '-') ? text.substr(1) : text;
    if (digits.empty() || (digits.front() == '0' && (digits.size() > 1 || digits != text))) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// Why an argument is refused: a phrase that follows the quoted argument.
std::unexpected<Error> refused(std::string why) {
    return fail(ErrorKind::invalid_input, std::move(why));
}

}  // namespace

std::string normalize_path(std::string_view absolute) {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    while (pos <= absolute.size()) {
        auto end = absolute.find('/', pos);
        if (end == std::string_view::npos) {
            end = absolute.size();
        }
        const auto part = absolute.substr(pos, end - pos);
        if (part == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        pos = end + 1;
    }
    std::string out;
    for (const auto part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

bool path_is_under(std::string_view path, std::string_view root) {
    if (root == "/") {
        return !path.empty() && path.front() == '/';
    }
    return path == root ||
           (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '/');
}

Expected<ArgMatcher> ArgMatcher::compile(const config::ArgRule& rule, std::string rule_path) {
    return compile_spec(spec_of(rule), std::move(rule_path));
}

Expected<ArgMatcher> ArgMatcher::compile(const config::VariadicRule& rule, std::string rule_path) {
    return compile_spec(spec_of(rule), std::move(rule_path));
}

Expected<ArgMatcher> ArgMatcher::compile_spec(const Spec& spec, std::string rule_path) {
    ArgMatcher m;
    m.rule_path_ = std::move(rule_path);
    m.allow_dash_ = spec.allow_dash;
    m.allow_newline_ = spec.allow_newline;
    m.allow_missing_ = spec.allow_missing;
    const int kinds = int(spec.literal.has_value()) + int(!spec.one_of.empty()) +
                      int(spec.regex.has_value()) + int(!spec.int_range.empty()) +
                      int(!spec.path_under.empty());
    if (kinds != 1) {
        return fail(fmt::format("{} rule kinds given; exactly one is needed", kinds));
    }
    if (spec.allow_newline && !spec.regex) {
        return fail("allow_newline only applies to a regex rule");
    }
    if (spec.allow_missing && spec.path_under.empty()) {
        return fail("allow_missing only applies to a path_under rule");
    }
    // Fixed texts the rule itself could never accept are configuration mistakes.
    const auto check_text = [&spec](const std::string& value) -> Expected<void> {
        if (value.find('\0') != std::string::npos || has_line_break(value)) {
            return fail(fmt::format("value {} contains a NUL or a line break", quote(value)));
        }
        if (!value.empty() && value.front() == '-' && !spec.allow_dash) {
            return fail(
                fmt::format("value {} starts with `-`; set allow_dash: true if that "
                            "option is meant to be sent",
                            quote(value)));
        }
        return {};
    };
    if (spec.literal || !spec.one_of.empty()) {
        m.kind_ = spec.literal ? Kind::literal : Kind::one_of;
        m.values_ = spec.literal ? std::vector<std::string>{*spec.literal} : spec.one_of;
        for (const auto& value : m.values_) {
            if (auto ok = check_text(value); !ok) {
                return std::unexpected(ok.error());
            }
        }
    } else if (spec.regex) {
        m.kind_ = Kind::regex;
        auto re = Regex::compile(*spec.regex);
        if (!re) {
            return fail(fmt::format("regex {}: {}", quote(*spec.regex), re.error().message()));
        }
        m.regex_ = std::move(*re);
    } else if (!spec.int_range.empty()) {
        m.kind_ = Kind::int_range;
        if (spec.int_range.size() != 2 || spec.int_range[0] > spec.int_range[1]) {
            return fail("int_range must be [min, max] with min <= max");
        }
        m.min_ = spec.int_range[0];
        m.max_ = spec.int_range[1];
        if (m.min_ < 0 && !spec.allow_dash) {
            return fail(
                "int_range allows negative numbers, which start with `-`; set "
                "allow_dash: true");
        }
    } else {
        m.kind_ = Kind::path_under;
        for (const auto& root : spec.path_under) {
            if (root.empty() || root.front() != '/') {
                return fail(fmt::format("path_under root {} is not absolute", quote(root)));
            }
            auto real = resolve(root);
            if (!real) {
                return fail(
                    fmt::format("path_under root {}: {}", root, std::strerror(real.error())));
            }
            m.values_.push_back(std::move(*real));
        }
    }
    return m;
}

Expected<std::string> ArgMatcher::check(const std::string& arg) const {
    if (arg.find('\0') != std::string::npos) {
        return refused("contains a NUL byte (never allowed: argv strings end at NUL)");
    }
    if (has_line_break(arg) && !allow_newline_) {
        return refused("contains a line break and the rule does not set allow_newline");
    }
    if (!arg.empty() && arg.front() == '-' && !allow_dash_) {
        return refused("starts with `-` and the rule does not set allow_dash");
    }
    return check_kind(arg);
}

Expected<std::string> ArgMatcher::check_kind(const std::string& arg) const {
    switch (kind_) {
        case Kind::literal:
            if (arg == values_.front()) {
                return arg;
            }
            return refused(fmt::format("is not the literal {}", quote(values_.front())));
        case Kind::one_of:
            for (const auto& value : values_) {
                if (arg == value) {
                    return arg;
                }
            }
            return refused(fmt::format("is not one of {}", fmt::join(values_, ", ")));
        case Kind::regex:
            if (regex_->full_match(arg)) {
                return arg;
            }
            return refused(fmt::format("does not match regex {}", regex_->pattern()));
        case Kind::int_range: {
            const auto value = parse_canonical_int(arg);
            if (!value) {
                return refused("is not a canonical decimal integer");
            }
            if (*value < min_ || *value > max_) {
                return refused(fmt::format("is outside int_range [{}, {}]", min_, max_));
            }
            return arg;
        }
        case Kind::path_under:
            return check_path(arg);
    }
    return refused("has no rule");
}

Expected<std::string> ArgMatcher::check_path(const std::string& arg) const {
    const auto roots = fmt::format("path_under {}", fmt::join(values_, ", "));
    if (arg.empty() || arg.front() != '/') {
        return refused(fmt::format("is not an absolute path ({})", roots));
    }
    const auto under_a_root = [this](const std::string& path) {
        for (const auto& root : values_) {
            if (path_is_under(path, root)) {
                return true;
            }
        }
        return false;
    };
    const std::string lexical = normalize_path(arg);
    if (!under_a_root(lexical)) {
        return refused(fmt::format("is outside {}", roots));
    }
    auto real = resolve(lexical);
    if (!real && real.error() == ENOENT && allow_missing_ && lexical != "/") {
        // The file may be created by the command: resolve its directory.
        const auto slash = lexical.rfind('/');
        auto dir = resolve(slash == 0 ? std::string("/") : lexical.substr(0, slash));
        if (!dir) {
            return refused(fmt::format("has no usable directory: {}", std::strerror(dir.error())));
        }
        real = (*dir == "/" ? "" : *dir) + lexical.substr(slash);
        // realpath() says ENOENT for a dangling symlink too, and a program
        // that creates the file follows the link: a link planted in the root
        // would let it write anywhere. Only a name that is really absent is
        // "missing".
        struct stat st {};
        if (::lstat(real->c_str(), &st) == 0) {
            return refused(
                "is a symlink to a missing file (a dangling link is refused: creating the "
                "file would follow it)");
        }
        if (errno != ENOENT) {
            return refused(fmt::format("cannot be checked: {}", std::strerror(errno)));
        }
    }
    if (!real) {
        return refused(fmt::format("cannot be resolved: {}", std::strerror(real.error())));
    }
    if (!under_a_root(*real)) {
        return refused(fmt::format("resolves to {}, outside {} (symlink)", quote(*real), roots));
    }
    return *real;
}

}  // namespace outpost::policy
