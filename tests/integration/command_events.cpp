#include "command_events.hpp"

#include "agent.hpp"

namespace outpost::integration {

std::string execute_line(const std::string& request_id, const std::string& command,
                         const std::vector<std::string>& args) {
    std::string line = "send-type execute {\"request_id\":" + json_quote(request_id) +
                       ",\"command\":" + json_quote(command) + ",\"args\":[";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) line += ",";
        line += json_quote(args[i]);
    }
    return line + "]}";
}

EventPredicate ack_for(const std::string& request_id) {
    return [request_id](const Event& e) {
        return e.is_message("command_ack") && e.str("/msg/data/request_id") == request_id;
    };
}

EventPredicate result_for(const std::string& request_id) {
    return [request_id](const Event& e) {
        return e.is_message("command_result") && e.str("/msg/data/request_id") == request_id;
    };
}

EventPredicate in_session(EventPredicate pred, std::string session) {
    return [pred = std::move(pred), session = std::move(session)](const Event& e) {
        return e.str("/session") == session && pred(e);
    };
}

}  // namespace outpost::integration
