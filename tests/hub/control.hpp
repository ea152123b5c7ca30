#pragma once
// The line protocol tests use to steer the hub (stdin, one command a line);
// see docs/test-hub.md for the commands.

#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::hub {

struct HubState;

class Control {
  public:
    explicit Control(HubState& hub) : hub_(hub) {}

    // Bytes as read from stdin; complete lines are executed.
    void on_input(std::string_view bytes);
    // End of input: a last unterminated line is executed too.
    void on_eof();

    // One command; reports `ok` or `error` on the event stream.
    void execute(std::string_view line);

  private:
    [[nodiscard]] Expected<void> run(std::string_view verb, std::string_view rest);

    HubState& hub_;
    std::string partial_;
};

}  // namespace outpost::hub
