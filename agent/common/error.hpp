#pragma once
// Errors as values at module boundaries (see docs/errors.md for the rule of
// what is handled and what aborts).

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace outpost {

// What kind of failure an Error is, so that a caller decides by kind, never
// by matching the message text (in the spirit of Mender's
// std::error_condition beside a message). Kinds are few and broad; the
// message says the rest. Add a kind only when some caller branches on it.
enum class ErrorKind {
    unspecified,    // no caller needs to tell this failure apart
    invalid_input,  // a value from outside (config, CLI, network, file) is malformed
    not_found,      // a file, key, entry or request that does not exist
    permission,     // refused by the kernel or by a file's owner or mode
    io,             // a read, write, sync or socket failed
    exec_failed,    // a command's program could not be executed (nothing ran)
    unavailable,    // a resource is not there now (full disk, no slot, offline)
    unsupported,    // this build or this kernel cannot do it
    timed_out,      // a bounded wait ran out
    journal,        // the command journal cannot be trusted or written
};

[[nodiscard]] constexpr std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::unspecified:
            return "unspecified";
        case ErrorKind::invalid_input:
            return "invalid_input";
        case ErrorKind::not_found:
            return "not_found";
        case ErrorKind::permission:
            return "permission";
        case ErrorKind::io:
            return "io";
        case ErrorKind::exec_failed:
            return "exec_failed";
        case ErrorKind::unavailable:
            return "unavailable";
        case ErrorKind::unsupported:
            return "unsupported";
        case ErrorKind::timed_out:
            return "timed_out";
        case ErrorKind::journal:
            return "journal";
    }
    return "unspecified";
}

// A failure: its kind for code, and a human-readable message with optional
// context prefixes ("loading key: open /x: Permission denied") for people.
// Modules whose failures carry more structure than a kind (protocol errors
// with a JSON pointer, config issues with a line and column) keep their own
// richer types.
class Error {
  public:
    explicit Error(std::string message) : message_(std::move(message)) {}
    Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

    [[nodiscard]] ErrorKind kind() const { return kind_; }
    [[nodiscard]] const std::string& message() const { return message_; }

    // Returns a copy with "context: " in front, for callers adding where/why;
    // the kind is kept.
    [[nodiscard]] Error context(std::string_view what) const {
        return Error(kind_, std::string(what) + ": " + message_);
    }

  private:
    ErrorKind kind_ = ErrorKind::unspecified;
    std::string message_;
};

template <class T>
using Expected = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
    return std::unexpected<Error>(Error(std::move(message)));
}

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
    return std::unexpected<Error>(Error(kind, std::move(message)));
}

}  // namespace outpost
