#pragma once
// "Did you mean …?" support: edit distance and nearest-candidate lookup.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace outpost::config {

// Optimal-string-alignment distance (insertions, deletions, substitutions and
// swaps of neighbours each cost 1).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` by edit distance, if it is close enough to be
// a likely typo (at most a third of the word's length, at least 1, at most 3).
[[nodiscard]] std::optional<std::string> nearest_by_edits(std::string_view word,
                                                          std::span<const std::string> candidates);

// The candidate closest to `word`, if it is close enough to be a likely typo
// (at most a third of the word's length, at least 1, at most 3 edits), or
// else one that is a prefix of the word or has it as a prefix (3+ chars).
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string> candidates);

}  // namespace outpost::config
