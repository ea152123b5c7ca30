#pragma once
// Errors as values at module boundaries (see docs/errors.md for the rule of
// what is handled and what aborts).

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace outpost {

// A human-readable failure with optional context prefixes ("loading key: open
// /x: Permission denied"). Modules that need a machine-readable code (protocol
// errors, config issues) carry their own richer types.
class Error {
public:
    explicit Error(std::string message) : message_(std::move(message)) {}

    [[nodiscard]] const std::string& message() const { return message_; }

    // Returns a copy with "context: " in front, for callers adding where/why.
    [[nodiscard]] Error context(std::string_view what) const {
        return Error(std::string(what) + ": " + message_);
    }

private:
    std::string message_;
};

template <class T>
using Expected = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
    return std::unexpected<Error>(Error(std::move(message)));
}

}  // namespace outpost
