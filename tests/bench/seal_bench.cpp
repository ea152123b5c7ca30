// CPU per sealed message (protocol.md §8, docs/sealing.md), against a
// same-run baseline: the same messages encoded or parsed without sealing.
//
//   out: baseline = encode a command_result (JSON);
//        sealed   = the same + SealChannel::seal (ChaCha20-Poly1305, base64url,
//                   the outer envelope).
//   in:  baseline = InboundParser::parse of an `execute`;
//        sealed   = SealChannel::open (outer parse, base64url, Poly1305
//                   check, the inner type check) + the same parse.
//
// Sizes are of the inner message: 200 B, 4 KiB, 64 KiB by default. CPU time
// of this process (CLOCK_PROCESS_CPUTIME_ID) over --iterations messages, in
// µs per message; one JSON line per size and direction. Built with the main
// tree (it links the agent's libraries); run a Release build for figures.
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "agent/auth/base64url.hpp"
#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/seal/channel.hpp"
#include "agent/seal/envelope.hpp"
#include "agent/seal/keys.hpp"
#include "tests/bench/bench_util.hpp"

using namespace outpost;

namespace {

double cpu_micros() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

template <class F>
double per_message(long iterations, F&& one) {
    for (long i = 0; i < iterations / 10 + 1; ++i) one();  // warm up
    const double start = cpu_micros();
    for (long i = 0; i < iterations; ++i) one();
    return (cpu_micros() - start) / static_cast<double>(iterations);
}

template <class T>
T need(Expected<T> value, const char* what) {
    if (!value) {
        std::fprintf(stderr, "%s: %s\n", what, value.error().message().c_str());
        std::exit(1);
    }
    return std::move(*value);
}

// Printable filler, as command output mostly is.
std::string filler(std::size_t bytes) {
    std::string text;
    text.reserve(bytes);
    while (text.size() < bytes) text += "load average: 0.42 0.37 0.31, 3 users\n";
    text.resize(bytes);
    return text;
}

// A command_result whose JSON is about `bytes` long.
protocol::OutboundMessage result_of(std::size_t bytes) {
    protocol::outbound::CommandResult result;
    result.request_id = "r-1";
    result.exit_code = 0;
    result.finished_at = "2026-12-07T00:00:00.000Z";
    result.started_at = "2026-12-07T00:00:00.000Z";
    protocol::OutboundMessage message{"00000000-0000-4000-8000-000000000000",
                                      "2026-12-07T00:00:00.000Z", result};
    const std::size_t empty = protocol::encode(message).size();
    std::get<protocol::outbound::CommandResult>(message.body).stdout_text =
        filler(bytes > empty + 8 ? bytes - empty - 8 : 0);
    return message;
}

// An execute whose JSON is `bytes` long (its stdin pads it).
std::string execute_of(std::size_t bytes) {
    const std::string head =
        R"({"type":"execute","id":"44444444-4444-4444-8444-444444444444","ts":"2026-12-07T00:00:00.000Z","data":{"request_id":"r-1","command":"uptime","args":[],"stdin":")";
    const std::string tail = R"("}})";
    const std::size_t pad =
        bytes > head.size() + tail.size() ? bytes - head.size() - tail.size() : 0;
    std::string text = head;
    for (std::size_t i = 0; i < pad; ++i) text += static_cast<char>('a' + i % 26);
    return text + tail;
}

}  // namespace

int main(int argc, char** argv) {
    const long iterations = bench::arg_int(argc, argv, "--iterations", 20000);
    const std::size_t max_message = 1024 * 1024;

    const seal::KeyPair agent = need(seal::ephemeral_key_pair(), "agent key");
    const seal::KeyPair server = need(seal::ephemeral_key_pair(), "server key");
    seal::SealChannel channel =
        need(seal::SealChannel::create(agent, server.public_key), "channel");
    // The server's key for its direction, computed the server's way.
    auto dh1 = need(seal::x25519(server.secret, channel.ephemeral_public()), "dh1");
    auto dh2 = need(seal::x25519(server.secret, agent.public_key), "dh2");
    auto okm = need(seal::key_schedule(dh1, dh2, channel.ephemeral_public(), agent.public_key,
                                       server.public_key),
                    "okm");
    seal::SecretKey32 to_agent = need(seal::SecretKey32::allocate(), "key");
    std::copy_n(okm.data() + seal::kX25519Bytes, seal::kX25519Bytes, to_agent.data());

    protocol::InboundParser parser;
    std::uint64_t server_n = 0;
    for (std::size_t size : {std::size_t{200}, std::size_t{4096}, std::size_t{65536}}) {
        const protocol::OutboundMessage result = result_of(size);
        const double out_plain = per_message(iterations, [&] {
            auto text = protocol::encode(result);
            if (text.empty()) std::abort();
        });
        const double out_sealed = per_message(iterations, [&] {
            auto sealed = channel.seal(protocol::encode(result));
            if (!sealed) std::abort();
        });

        const std::string execute = execute_of(size);
        if (!parser.parse(execute, max_message)) std::abort();
        // Sealed ahead, one per iteration (n must grow), outside the timing.
        std::vector<std::string> inbound;
        const long total = iterations + iterations / 10 + 1;
        inbound.reserve(static_cast<std::size_t>(total));
        for (long i = 0; i < total; ++i) {
            const std::uint64_t n = server_n++;
            const auto c =
                seal::encrypt(to_agent, n, "22222222-2222-4222-8222-222222222222", execute);
            inbound.push_back(seal::encode_outer("22222222-2222-4222-8222-222222222222",
                                                 "2026-12-07T00:00:00.000Z", n,
                                                 auth::base64url_encode(c)));
        }
        const double in_plain = per_message(iterations, [&] {
            if (!parser.parse(execute, max_message)) std::abort();
        });
        std::size_t next = 0;
        const double in_sealed = per_message(iterations, [&] {
            auto opened = channel.open(inbound[next++]);
            if (!opened || !parser.parse(opened->text, max_message)) std::abort();
        });

        bench::JsonLine()
            .str("bench", "seal")
            .integer("inner_bytes", static_cast<long long>(protocol::encode(result).size()))
            .integer("outer_bytes",
                     static_cast<long long>(channel.seal(protocol::encode(result))->size()))
            .integer("iterations", iterations)
            .num("out_plain_us", out_plain)
            .num("out_sealed_us", out_sealed)
            .num("out_overhead_us", out_sealed - out_plain)
            .num("in_plain_us", in_plain)
            .num("in_sealed_us", in_sealed)
            .num("in_overhead_us", in_sealed - in_plain)
            .print();
    }
    return 0;
}
