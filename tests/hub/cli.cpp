#include "cli.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <cstdio>
#include <span>
#include <string_view>

#include "b64.hpp"
#include "certs.hpp"
#include "control.hpp"
#include "hub.hpp"
#include "options.hpp"
#include "seal.hpp"
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

// A fresh server seal key (§8): the private key into `--out` (0600), the
// public key on stdout for the agent's security.server_seal_key.
int gen_seal_key(std::span<char* const> args) {
    auto opts = parse_gen_seal_key_options(args);
    if (!opts) {
        fmt::print(stderr, "outpost-hub: {}\n", opts.error().message());
        return 2;
    }
    if (opts->help) {
        fmt::print("usage: outpost-hub gen-seal-key --out FILE\n");
        return 0;
    }
    seal::Key secret{};
    randombytes_buf(secret.data(), secret.size());
    auto pub = seal::public_of(secret);
    auto ok = pub ? seal::write_private_key_file(opts->out, secret) : Expected<void>{};
    sodium_memzero(secret.data(), secret.size());
    if (!pub || !ok) {
        fmt::print(stderr, "outpost-hub: {}\n", (!pub ? pub.error() : ok.error()).message());
        return 1;
    }
    fmt::print("{}\n", b64url_encode(*pub));
    return 0;
}

// --seal-key: the private key and its public half into the hub's state.
Expected<void> load_seal_key(const Options& o, HubState& hub) {
    if (o.seal_key_file.empty()) return {};
    auto secret = seal::read_private_key_file(o.seal_key_file);
    if (!secret) return std::unexpected(secret.error().context("--seal-key"));
    auto pub = seal::public_of(*secret);
    if (!pub) return std::unexpected(pub.error().context("--seal-key"));
    hub.seal_private = *secret;
    hub.seal_public = *pub;
    sodium_memzero(secret->data(), secret->size());
    return {};
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
    if (auto ok = load_seal_key(*opts, hub); !ok) {
        fmt::print(stderr, "outpost-hub: {}\n", ok.error().message());
        return 2;
    }
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
    if (!args.empty() && std::string_view(args[0]) == "gen-seal-key")
        return gen_seal_key(args.subspan(1));
    return serve(args);
}

}  // namespace outpost::hub
