#include "agent/config/rules.hpp"

#include <fmt/format.h>

#include "agent/config/value_parsers.hpp"

namespace outpost::config {
namespace {

bool has_scheme(const std::optional<std::string>& url, std::string_view scheme) {
    if (!url) {
        return false;
    }
    auto parsed = parse_url(*url);
    return parsed && parsed->scheme == scheme;
}

// A URL that may only use its plain-text scheme with insecure_plaintext.
Rule tls_required(std::string path, std::optional<std::string> (*get)(const Config&),
                  std::string plain, std::string secure) {
    return Rule{
        {path, "server.insecure_plaintext"},
        [path, get, plain, secure](Config& config, RuleSink& sink) {
            if (!config.server.insecure_plaintext && has_scheme(get(config), plain)) {
                sink.fail(path, fmt::format("{}:// sends everything unencrypted; use {}:// or set "
                                            "server.insecure_plaintext: true (tests and local "
                                            "demos only)",
                                            plain, secure));
            }
        }};
}

Rule required_by_mode(AuthMode mode, std::string mode_name, std::string path,
                      std::optional<std::string> AuthConfig::*member) {
    return Rule{{"auth.mode", path}, [=](Config& config, RuleSink& sink) {
                    if (config.auth.mode == mode && !(config.auth.*member)) {
                        sink.fail(sink.was_given("auth.mode") ? "auth.mode" : path,
                                  fmt::format("auth.mode `{}` needs {}, which is not set",
                                              mode_name, path));
                    }
                }};
}

// The shape of one argument rule (an arg_rules item or the variadic tail):
// exactly one kind, flags only with their kind, a well-formed int_range.
template <class R>
void check_arg_rule(const R& rule, const std::string& path, RuleSink& sink) {
    const int kinds = int(rule.literal.has_value()) + int(!rule.one_of.empty()) +
                      int(rule.regex.has_value()) + int(!rule.int_range.empty()) +
                      int(!rule.path_under.empty());
    if (kinds != 1) {
        sink.fail(path, fmt::format("{} rule kinds given; exactly one of literal, one_of, regex, "
                                    "int_range, path_under (non-empty) is needed",
                                    kinds));
        return;
    }
    if (rule.allow_newline && !rule.regex) {
        sink.fail(path + ".allow_newline", "allow_newline only applies to a regex rule");
    }
    if (rule.allow_missing && rule.path_under.empty()) {
        sink.fail(path + ".allow_missing", "allow_missing only applies to a path_under rule");
    }
    if (!rule.int_range.empty()) {
        if (rule.int_range.size() != 2) {
            sink.fail(path + ".int_range",
                      fmt::format("expected [min, max], found {} values", rule.int_range.size()));
        } else if (rule.int_range[0] > rule.int_range[1]) {
            sink.fail(path + ".int_range", fmt::format("min ({}) is greater than max ({})",
                                                       rule.int_range[0], rule.int_range[1]));
        }
    }
}

std::vector<Rule> build_rules() {
    return {
        tls_required(
            "server.url", [](const Config& c) { return std::optional<std::string>(c.server.url); },
            "ws", "wss"),
        tls_required(
            "server.poll_url", [](const Config& c) { return c.server.poll_url; }, "http", "https"),
        tls_required(
            "auth.token_url", [](const Config& c) { return c.auth.token_url; }, "http", "https"),
        Rule{{"server.client_cert", "server.client_key"},
             [](Config& config, RuleSink& sink) {
                 const auto& server = config.server;
                 if (server.client_cert.has_value() != server.client_key.has_value()) {
                     const bool cert = server.client_cert.has_value();
                     sink.fail(cert ? "server.client_cert" : "server.client_key",
                               fmt::format("{} is set but {} is not; give both or neither",
                                           cert ? "client_cert" : "client_key",
                                           cert ? "client_key" : "client_cert"));
                 }
             }},
        Rule{{"server.transport", "server.poll_url"},
             [](Config& config, RuleSink& sink) {
                 if (config.server.transport == Transport::poll && !config.server.poll_url) {
                     sink.fail("server.transport", "transport `poll` needs server.poll_url");
                 }
             }},
        required_by_mode(AuthMode::exchange, "exchange", "auth.token_url", &AuthConfig::token_url),
        required_by_mode(AuthMode::static_token, "static", "auth.token_file",
                         &AuthConfig::token_file),
        Rule{{"auth.audience", "server.url"},
             [](Config& config, RuleSink&) {
                 if (config.auth.audience.empty()) {
                     config.auth.audience = config.server.url;
                 }
             }},
        Rule{{"reconnect.initial", "reconnect.max"},
             [](Config& config, RuleSink& sink) {
                 const auto& r = config.reconnect;
                 if (r.max < r.initial) {
                     sink.fail(
                         sink.was_given("reconnect.max") ? "reconnect.max" : "reconnect.initial",
                         fmt::format("reconnect.max ({}) is less than reconnect.initial ({})",
                                     format_duration(r.max), format_duration(r.initial)));
                 }
             }},
        Rule{{"outbox.max_bytes", "protocol.max_message_bytes"},
             [](Config& config, RuleSink& sink) {
                 if (config.outbox.max_bytes < config.protocol.max_message_bytes) {
                     sink.fail(sink.was_given("outbox.max_bytes") ? "outbox.max_bytes"
                                                                  : "protocol.max_message_bytes",
                               fmt::format("outbox.max_bytes ({}) cannot hold one message of "
                                           "protocol.max_message_bytes ({})",
                                           format_size(config.outbox.max_bytes),
                                           format_size(config.protocol.max_message_bytes)));
                 }
             }},
        Rule{{"executor.commands"},
             [](Config& config, RuleSink& sink) {
                 const auto& commands = config.executor.commands;
                 for (std::size_t i = 0; i < commands.size(); ++i) {
                     for (std::size_t j = 0; j < i; ++j) {
                         if (commands[i].name == commands[j].name) {
                             sink.fail(fmt::format("executor.commands[{}].name", i),
                                       fmt::format("duplicate command name `{}` (also "
                                                   "executor.commands[{}])",
                                                   commands[i].name, j));
                             break;
                         }
                     }
                 }
             }},
        Rule{{"executor.commands"},
             [](Config& config, RuleSink& sink) {
                 std::size_t index = 0;
                 for (auto& command : config.executor.commands) {
                     if (command.max_timeout == Duration::zero()) {
                         command.max_timeout = command.timeout;
                     } else if (command.max_timeout < command.timeout) {
                         sink.fail(fmt::format("executor.commands[{}].max_timeout", index),
                                   fmt::format("max_timeout ({}) is less than timeout ({})",
                                               format_duration(command.max_timeout),
                                               format_duration(command.timeout)));
                     }
                     ++index;
                 }
             }},
        Rule{{"executor.commands"},
             [](Config& config, RuleSink& sink) {
                 const auto& commands = config.executor.commands;
                 for (std::size_t i = 0; i < commands.size(); ++i) {
                     const auto& command = commands[i];
                     const auto entry = fmt::format("executor.commands[{}]", i);
                     for (std::size_t r = 0; r < command.arg_rules.size(); ++r) {
                         check_arg_rule(command.arg_rules[r],
                                        fmt::format("{}.arg_rules[{}]", entry, r), sink);
                     }
                     const auto& tail = command.variadic;
                     const bool tail_kind = tail.literal || !tail.one_of.empty() || tail.regex ||
                                            !tail.int_range.empty() || !tail.path_under.empty();
                     if (tail.max > 0 || tail_kind) {
                         check_arg_rule(tail, entry + ".variadic", sink);
                     }
                     if (tail.max == 0 && tail_kind) {
                         sink.fail(entry + ".variadic.max",
                                   "variadic.max is 0, so its rule never applies; set max");
                     }
                     if (command.retries > 0 && !command.idempotent) {
                         sink.fail(entry + ".retries",
                                   "retries need idempotent: true (a non-idempotent command "
                                   "must not run twice)");
                     }
                 }
             }},
    };
}

}  // namespace

const std::vector<Rule>& cross_field_rules() {
    static const std::vector<Rule> rules = build_rules();
    return rules;
}

void apply_rules(Config& config, IssueSink& sink) {
    // Decided before any rule runs, so one rule's finding does not hide another's.
    const auto& rules = cross_field_rules();
    std::vector<bool> inputs_ok;
    for (const auto& rule : rules) {
        bool ok = true;
        for (const auto& path : rule.reads) {
            ok = ok && !sink.has_issue_under(path);
        }
        inputs_ok.push_back(ok);
    }
    RuleSink rule_sink(sink);
    for (std::size_t i = 0; i < rules.size(); ++i) {
        if (inputs_ok[i]) {
            rules[i].apply(config, rule_sink);
        }
    }
}

}  // namespace outpost::config
