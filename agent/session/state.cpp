#include "agent/session/state.hpp"

namespace outpost::session {

std::string_view to_string(State state) {
    switch (state) {
        case State::connecting:
            return "connecting";
        case State::awaiting_welcome:
            return "awaiting_welcome";
        case State::online:
            return "online";
        case State::backoff:
            return "backoff";
        case State::revoked:
            return "revoked";
        case State::incompatible:
            return "incompatible";
        case State::unauthorized:
            return "unauthorized";
        case State::shutting_down:
            return "shutting_down";
    }
    return "unknown";
}

bool has_connection(State state) {
    return state == State::connecting || state == State::awaiting_welcome || state == State::online;
}

}  // namespace outpost::session
