#include "agent/journal/stored_output.hpp"

#include <algorithm>

namespace outpost::journal {

namespace {

// At most `allowance` bytes of `text`, not ending inside a UTF-8 sequence
// (backs off at most 3 bytes, so ill-formed text is still cut near there).
std::string_view prefix_between_characters(std::string_view text, std::size_t allowance) {
    if (allowance >= text.size()) return text;
    std::size_t keep = allowance;
    for (int backed = 0; backed < 3 && keep > 0; ++backed) {
        const auto c = static_cast<unsigned char>(text[keep]);
        if ((c & 0xC0) != 0x80) break;  // text[keep] starts a character
        --keep;
    }
    return text.substr(0, keep);
}

}  // namespace

StoredOutput fit_stored_output(const CommandResult& result, std::size_t max_message_bytes) {
    StoredOutput out{result.stdout_text, result.stderr_text, result.stdout_truncated,
                     result.stderr_truncated};
    const std::size_t budget = max_message_bytes;
    if (budget == 0 || out.stdout_text.size() + out.stderr_text.size() <= budget) return out;
    const std::size_t half = budget / 2;
    const std::size_t out_needs = out.stdout_text.size();
    const std::size_t err_needs = out.stderr_text.size();
    std::size_t out_gets = half;
    if (out_needs <= half) {
        out_gets = out_needs;
    } else if (err_needs <= half) {
        out_gets = budget - err_needs;
    }
    const std::size_t err_gets = std::min(err_needs, budget - out_gets);
    const auto cut = [](std::string_view& text, std::size_t allowance, bool& truncated) {
        const std::string_view kept = prefix_between_characters(text, allowance);
        if (kept.size() < text.size()) {
            text = kept;
            truncated = true;
        }
    };
    cut(out.stdout_text, out_gets, out.stdout_truncated);
    cut(out.stderr_text, err_gets, out.stderr_truncated);
    return out;
}

void cut_stored_output(CommandResult& result, std::size_t max_message_bytes) {
    const StoredOutput fitted = fit_stored_output(result, max_message_bytes);
    const std::size_t out_size = fitted.stdout_text.size();
    const std::size_t err_size = fitted.stderr_text.size();
    result.stdout_truncated = fitted.stdout_truncated;
    result.stderr_truncated = fitted.stderr_truncated;
    result.stdout_text.resize(out_size);
    result.stderr_text.resize(err_size);
    // Give the memory back: this is for results held while the disk is full.
    result.stdout_text.shrink_to_fit();
    result.stderr_text.shrink_to_fit();
}

}  // namespace outpost::journal
