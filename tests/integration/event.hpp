#pragma once
// One JSON-lines event from outpost-hub's stdout, with the moment the test
// read it. Fields are looked up by JSON pointer ("/msg/data/node_id") and
// copied out, so an Event is a plain value.

#include <cstdint>
#include <optional>
#include <string>

#include "child_process.hpp"

namespace outpost::integration {

class Event {
  public:
    Event(std::string line, Clock::time_point at, std::size_t index);

    [[nodiscard]] const std::string& line() const { return line_; }
    [[nodiscard]] Clock::time_point at() const { return at_; }
    // Position in the hub's event stream (0 = `listening`).
    [[nodiscard]] std::size_t index() const { return index_; }
    [[nodiscard]] bool valid_json() const { return valid_; }

    // The `event` field ("" when absent).
    [[nodiscard]] std::string name() const { return str("/event").value_or(""); }
    // Shorthands for the hub's `message`/`sent` events.
    [[nodiscard]] bool is(std::string_view event) const { return name() == event; }
    [[nodiscard]] bool is_message(std::string_view type) const;  // agent → hub
    [[nodiscard]] bool is_sent(std::string_view type) const;     // hub → agent

    [[nodiscard]] std::optional<std::string> str(std::string_view pointer) const;
    [[nodiscard]] std::optional<std::int64_t> num(std::string_view pointer) const;
    [[nodiscard]] std::optional<bool> boolean(std::string_view pointer) const;
    [[nodiscard]] bool is_null(std::string_view pointer) const;
    [[nodiscard]] bool has(std::string_view pointer) const;
    // Elements of the array at `pointer` that are strings (nullopt: no array).
    [[nodiscard]] std::optional<std::vector<std::string>> strings(std::string_view pointer) const;

  private:
    std::string line_;
    Clock::time_point at_;
    std::size_t index_;
    bool valid_ = false;
};

}  // namespace outpost::integration
