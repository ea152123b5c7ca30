#include "cli.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <cstdio>
#include <span>
#include <string_view>

#include "certs.hpp"
#include "control.hpp"
#include "hub.hpp"
#include "options.hpp"
#include "server.hpp"

namespace outpost::hub {

HubState::HubState(const Options& o, JwtPolicy policy)
    : opts(o),
      events(o.output),
      auth(std::move(policy), o.static_tokens, o.no_auth),
      tokens(auth, o.token_ttl_s),
      auto_ack(o.auto_ack) {}

namespace {

int gen_certs(std::span<char* const> args) {
    auto opts = parse_gen_certs_options(args);
    if (!opts) {
        fmt::print(stderr, "outpost-hub: {}\n", opts.error().message());
        return 2;
    }
    if (opts->help) {
        fmt::print("usage: outpost-hub gen-certs --dir DIR\n");
        return 0;
    }
    if (auto ok = generate_test_pki(opts->dir); !ok) {
        fmt::print(stderr, "outpost-hub: {}\n", ok.error().message());
        return 1;
    }
    return 0;
}

Expected<JwtPolicy> jwt_policy(const Options& o) {
    JwtPolicy policy{.keys = {}, .audience = o.audience, .leeway_s = o.leeway_s};
    for (const auto& spec : o.agent_keys) {
        auto key = parse_agent_key(spec);
        if (!key) return std::unexpected(key.error().context("--agent-key " + spec));
        policy.keys.push_back(*key);
    }
    return policy;
}

int serve(std::span<char* const> args) {
    auto opts = parse_options(args);
    if (!opts) {
        fmt::print(stderr, "outpost-hub: {}\n\n{}", opts.error().message(), usage());
        return 2;
    }
    if (opts->help) {
        fmt::print("{}", usage());
        return 0;
    }
    auto policy = jwt_policy(*opts);
    if (!policy) {
        fmt::print(stderr, "outpost-hub: {}\n", policy.error().message());
        return 2;
    }
    if (!opts->plaintext && !opts->certs_dir.empty() && !test_pki_present(opts->certs_dir)) {
        if (auto ok = generate_test_pki(opts->certs_dir); !ok) {
            fmt::print(stderr, "outpost-hub: {}\n", ok.error().message());
            return 1;
        }
    }
    HubState hub(*opts, std::move(*policy));
    Control control(hub);
    Server server(hub, control);
    if (auto ok = server.start(); !ok) {
        hub.events.error(ok.error().message());
        fmt::print(stderr, "outpost-hub: {}\n", ok.error().message());
        return 1;
    }
    return server.run();
}

}  // namespace

int Main(int argc, char** argv) {
    if (sodium_init() < 0) {
        std::fputs("outpost-hub: libsodium failed to initialise\n", stderr);
        return 1;
    }
    std::span<char* const> args(argv + 1, static_cast<size_t>(argc > 0 ? argc - 1 : 0));
    if (!args.empty() && std::string_view(args[0]) == "gen-certs")
        return gen_certs(args.subspan(1));
    return serve(args);
}

}  // namespace outpost::hub
