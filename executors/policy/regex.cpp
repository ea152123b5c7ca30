#include "executors/policy/regex.hpp"

#include <re2/re2.h>

namespace outpost::policy {

Expected<Regex> Regex::compile(std::string_view pattern) {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingUTF8);
    options.set_max_mem(static_cast<std::int64_t>(kRegexMaxMemory));
    options.set_log_errors(false);  // the error goes into our message instead
    auto re =
        std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!re->ok()) {
        return fail(re->error().empty() ? std::string("cannot compile") : re->error());
    }
    return Regex(std::move(re), std::string(pattern));
}

bool Regex::full_match(std::string_view text) const {
    return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace outpost::policy
