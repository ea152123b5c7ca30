// command_result on the wire: output cut to fit protocol.max_message_bytes
// after JSON escaping, keeping as much as fits (found by an independent
// control plane: 400 000 NUL bytes, 6 bytes each escaped, were sent as an
// empty stdout although most of 1 MiB was free).

#include <catch2/catch.hpp>

#include <string>

#include "agent/dispatch/results.hpp"
#include "agent/protocol/outbound_encoder.hpp"

namespace journal = outpost::journal;
namespace protocol = outpost::protocol;

namespace {

constexpr std::size_t kMax = 1024 * 1024;

journal::CommandRecord finished(std::string out, std::string err) {
    journal::CommandRecord record;
    record.spec.request_id = "r-1";
    record.state = journal::CommandState::succeeded;
    journal::CommandResult result;
    result.state = journal::CommandState::succeeded;
    result.exit_code = 0;
    result.stdout_text = std::move(out);
    result.stderr_text = std::move(err);
    record.result = result;
    return record;
}

std::size_t wire_size(const protocol::outbound::CommandResult& wire) {
    const protocol::OutboundMessage message{"5b0e2a3c-8f2d-4c1e-9a7b-0d6c5e4f3a21",
                                            "2026-11-22T10:00:00.000Z", wire};
    return protocol::encode(message).size();
}

}  // namespace

TEST_CASE("output that escapes to six bytes a byte keeps what fits, not nothing") {
    for (std::size_t nuls : {150'000U, 200'000U, 400'000U, 2'000'000U}) {
        INFO(nuls << " NUL bytes");
        const auto wire = outpost::dispatch::to_wire(finished(std::string(nuls, '\0'), ""), kMax);
        const std::size_t size = wire_size(wire);
        CHECK(size <= kMax);
        const std::size_t fits = (kMax - 2048) / 6;  // most of the message, six bytes each
        CHECK(wire.stdout_text.size() >= std::min(nuls, fits));
        CHECK(wire.stdout_truncated == (wire.stdout_text.size() < nuls));
        CHECK(wire.stdout_text == std::string(wire.stdout_text.size(), '\0'));
    }
}

TEST_CASE("two large streams share the room, a small one is kept whole") {
    const auto both = outpost::dispatch::to_wire(
        finished(std::string(900'000, 'o'), std::string(900'000, 'e')), kMax);
    CHECK(wire_size(both) <= kMax);
    CHECK(both.stdout_truncated);
    CHECK(both.stderr_truncated);
    CHECK(both.stdout_text.size() > 500'000);
    CHECK(both.stderr_text.size() > 500'000);

    const auto small_err =
        outpost::dispatch::to_wire(finished(std::string(2'000'000, 'o'), "oops\n"), kMax);
    CHECK(wire_size(small_err) <= kMax);
    CHECK(small_err.stderr_text == "oops\n");
    CHECK_FALSE(small_err.stderr_truncated);
    CHECK(small_err.stdout_text.size() > kMax - 4096);
}

TEST_CASE("a cut never splits a character, and output that fits is untouched") {
    std::string euros;
    for (int i = 0; i < 400'000; ++i) euros += "\xE2\x82\xAC";  // U+20AC, 3 bytes
    const auto wire = outpost::dispatch::to_wire(finished(euros, ""), kMax);
    CHECK(wire_size(wire) <= kMax);
    CHECK(wire.stdout_truncated);
    CHECK(wire.stdout_text.size() % 3 == 0);
    CHECK(wire.stdout_text.size() > kMax - 4096);

    const auto fits = outpost::dispatch::to_wire(finished("hello\n", "warn\n"), kMax);
    CHECK(fits.stdout_text == "hello\n");
    CHECK(fits.stderr_text == "warn\n");
    CHECK_FALSE(fits.stdout_truncated);
    CHECK_FALSE(fits.stderr_truncated);
}
