#include "agent/config/suggest.hpp"

#include <algorithm>
#include <vector>

namespace outpost::config {
namespace {

// Words longer than this are not typos of a key; skipping them also bounds
// the quadratic work on hostile input.
constexpr std::size_t kMaxWordLength = 128;

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Three rolling rows: the swap rule looks two rows back.
    std::vector<std::size_t> before(b.size() + 1);
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        previous[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                current[j] = std::min(current[j], before[j - 2] + 1);
            }
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::optional<std::string> nearest_by_edits(std::string_view word,
                                            std::span<const std::string> candidates) {
    if (word.empty() || word.size() > kMaxWordLength) {
        return std::nullopt;
    }
    const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        if (candidate.size() > word.size() + limit || word.size() > candidate.size() + limit) {
            continue;
        }
        const std::size_t distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string> candidates) {
    if (auto best = nearest_by_edits(word, candidates)) {
        return best;
    }
    // `warning` for `warn`, `inter` for `interval`: one is a prefix of the other.
    constexpr std::size_t kMinPrefix = 3;
    for (const auto& candidate : candidates) {
        const std::size_t shorter = std::min(candidate.size(), word.size());
        if (shorter >= kMinPrefix && candidate.compare(0, shorter, word.substr(0, shorter)) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

}  // namespace outpost::config
