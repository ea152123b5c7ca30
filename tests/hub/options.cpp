#include "options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <string_view>

namespace outpost::hub {
namespace {

using Setter = std::function<Expected<void>(Options&, std::string_view)>;

struct OptionSpec {
    std::string_view name;
    std::string_view arg;  // empty: a flag
    std::string_view help;
    Setter set;
};

Expected<int64_t> to_int(std::string_view text, int64_t min, int64_t max) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v < min || v > max) {
        return fail(fmt::format("'{}' is not a number in [{}, {}]", text, min, max));
    }
    return v;
}

// Binds an integer member with its range.
Setter int_field(int64_t Options::*field, int64_t min, int64_t max) {
    return [=](Options& o, std::string_view v) -> Expected<void> {
        auto n = to_int(v, min, max);
        if (!n) return std::unexpected(n.error());
        o.*field = *n;
        return {};
    };
}
Setter str_field(std::string Options::*field) {
    return [=](Options& o, std::string_view v) -> Expected<void> {
        o.*field = std::string(v);
        return {};
    };
}
Setter flag(bool Options::*field, bool value = true) {
    return [=](Options& o, std::string_view) -> Expected<void> {
        o.*field = value;
        return {};
    };
}

Expected<void> read_key_file(Options& o, std::string_view path) {
    std::ifstream in{std::string(path)};
    if (!in) return fail(fmt::format("cannot read {}", path));
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty() && line[0] != '#') o.agent_keys.push_back(line);
    }
    return {};
}

const std::vector<OptionSpec>& option_table() {
    static const std::vector<OptionSpec> table = {
        {"--host", "ADDR", "address to listen on (default 127.0.0.1)", str_field(&Options::host)},
        {"--port", "N", "TCP port; 0 = ephemeral (default 0)",
         [](Options& o, std::string_view v) -> Expected<void> {
             auto n = to_int(v, 0, 65535);
             if (!n) return std::unexpected(n.error());
             o.port = static_cast<int>(*n);
             return {};
         }},
        {"--port-file", "PATH", "write the listening port here (atomically)",
         str_field(&Options::port_file)},
        {"--plaintext", "", "serve ws:// instead of wss://", flag(&Options::plaintext)},
        {"--certs-dir", "DIR",
         "use DIR/server.pem, DIR/server.key, DIR/ca.pem; generated if missing",
         str_field(&Options::certs_dir)},
        {"--cert", "FILE", "server certificate chain (PEM)", str_field(&Options::cert_file)},
        {"--key", "FILE", "server private key (PEM)", str_field(&Options::key_file)},
        {"--client-ca", "FILE", "CA that signs client certificates (default DIR/ca.pem)",
         str_field(&Options::client_ca_file)},
        {"--require-client-cert", "", "mTLS: refuse TLS clients without a valid certificate",
         flag(&Options::require_client_cert)},
        {"--no-subprotocol", "", "accept upgrades without selecting a subprotocol",
         flag(&Options::no_subprotocol)},
        {"--select-subprotocol", "NAME",
         "name NAME (at most 15 bytes) in the 101 instead of outpost.v1: another version",
         [](Options& o, std::string_view v) -> Expected<void> {
             if (v.empty() || v.size() > 15) return fail("--select-subprotocol: 1 to 15 bytes");
             o.select_subprotocol = std::string(v);
             return {};
         }},
        {"--agent-key", "[NODE=]KEY", "base64url Ed25519 public key accepted for JWTs (repeat)",
         [](Options& o, std::string_view v) -> Expected<void> {
             o.agent_keys.emplace_back(v);
             return {};
         }},
        {"--agent-key-file", "FILE", "file with one [NODE=]KEY per line", read_key_file},
        {"--static-token", "SECRET", "bearer secret accepted as is (repeat)",
         [](Options& o, std::string_view v) -> Expected<void> {
             o.static_tokens.emplace_back(v);
             return {};
         }},
        {"--no-auth", "", "accept any upgrade without checking credentials",
         flag(&Options::no_auth)},
        {"--audience", "AUD", "required JWT aud (default: not checked)",
         str_field(&Options::audience)},
        {"--leeway", "S", "clock skew allowed for exp/nbf (default 0)",
         int_field(&Options::leeway_s, 0, 3600)},
        {"--token-ttl", "S", "expires_in of issued access tokens (default 300)",
         int_field(&Options::token_ttl_s, 1, 86400 * 30)},
        {"--heartbeat", "S", "welcome.heartbeat_s (default 30)",
         int_field(&Options::heartbeat_s, 1, 86400)},
        {"--telemetry", "S", "welcome.telemetry_s (default: omitted)",
         [](Options& o, std::string_view v) -> Expected<void> {
             auto n = to_int(v, 1, 86400);
             if (!n) return std::unexpected(n.error());
             o.telemetry_s = *n;
             return {};
         }},
        {"--reconnect-spread-s", "N",
         "welcome.reconnect_spread_s (default: omitted; the codec allows 0..3600, any N "
         "is sent so out-of-range values can be tested)",
         [](Options& o, std::string_view v) -> Expected<void> {
             auto n = to_int(v, -1'000'000, 1'000'000);
             if (!n) return std::unexpected(n.error());
             o.reconnect_spread_s = *n;
             return {};
         }},
        {"--hello-timeout", "S", "close 4002 when no hello arrives in time (default 10)",
         int_field(&Options::hello_timeout_s, 1, 3600)},
        {"--max-message-bytes", "N", "close 1009 above this (default 1048576)",
         int_field(&Options::max_message_bytes, 64, int64_t{1} << 30)},
        {"--no-auto-ack", "", "do not answer command_result with result_ack",
         flag(&Options::auto_ack, false)},
        {"--no-stdin", "", "do not read control commands from stdin",
         flag(&Options::read_stdin, false)},
        {"--human", "", "readable event lines instead of JSON (demo)",
         [](Options& o, std::string_view) -> Expected<void> {
             o.output = OutputMode::human;
             return {};
         }},
        {"--quiet-events", "", "print only the listening and error events",
         [](Options& o, std::string_view) -> Expected<void> {
             o.output = OutputMode::quiet;
             return {};
         }},
        {"--seal-key", "FILE",
         "seal every message after hello (protocol.md §8) with this X25519 private key "
         "(outpost-hub gen-seal-key); agents must send hello.seal",
         str_field(&Options::seal_key_file)},
        {"--verbose", "", "libwebsockets notices on stderr", flag(&Options::verbose)},
        {"--help", "", "this text", flag(&Options::help)},
    };
    return table;
}

Expected<void> check(const Options& o) {
    if (o.plaintext && o.require_client_cert) return fail("--require-client-cert needs TLS");
    if (!o.plaintext && o.certs_dir.empty() && (o.cert_file.empty() || o.key_file.empty())) {
        return fail("TLS needs --certs-dir DIR or --cert and --key (or use --plaintext)");
    }
    if (o.require_client_cert && o.certs_dir.empty() && o.client_ca_file.empty()) {
        return fail("--require-client-cert needs --client-ca or --certs-dir");
    }
    return {};
}

}  // namespace

Expected<Options> parse_options(std::span<char* const> args) {
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view name = args[i];
        std::string_view inline_value;
        bool has_inline = false;
        if (auto eq = name.find('='); name.starts_with("--") && eq != std::string_view::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_inline = true;
        }
        const auto& table = option_table();
        auto spec = std::find_if(table.begin(), table.end(),
                                 [&](const OptionSpec& s) { return s.name == name; });
        if (spec == table.end()) return fail(fmt::format("unknown option '{}'", args[i]));
        std::string_view value = inline_value;
        if (!spec->arg.empty() && !has_inline) {
            if (i + 1 >= args.size()) return fail(fmt::format("{} needs {}", name, spec->arg));
            value = args[++i];
        }
        if (auto ok = spec->set(o, value); !ok) {
            return std::unexpected(ok.error().context(std::string(name)));
        }
    }
    if (o.help) return o;
    if (auto ok = check(o); !ok) return std::unexpected(ok.error());
    return o;
}

Expected<GenCertsOptions> parse_gen_certs_options(std::span<char* const> args) {
    GenCertsOptions o;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--help") {
            o.help = true;
        } else if (a == "--dir" && i + 1 < args.size()) {
            o.dir = args[++i];
        } else if (a.starts_with("--dir=")) {
            o.dir = std::string(a.substr(6));
        } else {
            return fail(fmt::format("gen-certs: unexpected argument '{}'", a));
        }
    }
    if (o.dir.empty() && !o.help) return fail("gen-certs needs --dir DIR");
    return o;
}

Expected<GenSealKeyOptions> parse_gen_seal_key_options(std::span<char* const> args) {
    GenSealKeyOptions o;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--help") {
            o.help = true;
        } else if (a == "--out" && i + 1 < args.size()) {
            o.out = args[++i];
        } else if (a.starts_with("--out=")) {
            o.out = std::string(a.substr(6));
        } else {
            return fail(fmt::format("gen-seal-key: unexpected argument '{}'", a));
        }
    }
    if (o.out.empty() && !o.help) return fail("gen-seal-key needs --out FILE");
    return o;
}

std::string usage() {
    std::string out =
        "usage: outpost-hub [options]          serve protocol.md's control plane side\n"
        "       outpost-hub gen-certs --dir D  create test CA, server and client certs\n"
        "       outpost-hub gen-seal-key --out F\n"
        "                                      an X25519 seal key (0600); prints the public\n"
        "                                      key for security.server_seal_key\n\n"
        "options:\n";
    for (const auto& s : option_table()) {
        out += fmt::format("  {:<34} {}\n", fmt::format("{} {}", s.name, s.arg), s.help);
    }
    out += "\nControl commands on stdin and events on stdout: see docs/test-hub.md.\n";
    return out;
}

}  // namespace outpost::hub
