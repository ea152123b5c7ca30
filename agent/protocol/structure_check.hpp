#pragma once
// Whole-document checks that do not depend on the message type: nesting depth
// (protocol.md §3: deeper than 32 is a schema error) and duplicate object
// member names (refused so that no two readers of one message, e.g. a
// signature check and a handler, can see different values).

#include <optional>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "agent/protocol/errors.hpp"

namespace outpost::protocol {

class StructureChecker {
  public:
    // nullopt when the document is fine; otherwise a schema error whose path
    // names the first container that is too deep or the repeated member.
    [[nodiscard]] std::optional<ProtocolError> check(simdjson::dom::element root);

  private:
    std::vector<std::string_view> keys_;  // scratch space reused across objects
};

}  // namespace outpost::protocol
