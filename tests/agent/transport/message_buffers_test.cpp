#include <catch2/catch.hpp>

#include "agent/transport/inbound_message.hpp"
#include "agent/transport/outbound_queue.hpp"

using namespace outpost::transport;
using Kind = InboundAssembler::Kind;

TEST_CASE("inbound fragments are reassembled") {
    InboundAssembler in(100);
    CHECK(in.feed("hel", false, false).kind == Kind::kIncomplete);
    CHECK(in.feed("lo", true, false).kind == Kind::kText);
    CHECK(in.take() == "hello");
    CHECK(in.feed("x", true, false).kind == Kind::kText);
    CHECK(in.take() == "x");
}

TEST_CASE("an oversized inbound message is discarded to its end, then reported") {
    InboundAssembler in(10);
    CHECK(in.feed("123456", false, false).kind == Kind::kIncomplete);
    CHECK(in.feed("789012", false, false).kind == Kind::kIncomplete);
    const auto end = in.feed("345", true, false);
    CHECK(end.kind == Kind::kTooLarge);
    CHECK(end.size == 15);
    // The next message is unaffected.
    CHECK(in.feed("ok", true, false).kind == Kind::kText);
    CHECK(in.take() == "ok");
    // Exactly the limit is allowed.
    CHECK(in.feed("1234567890", true, false).kind == Kind::kText);
}

TEST_CASE("binary inbound messages are reported, not delivered") {
    InboundAssembler in(100);
    CHECK(in.feed("\x01", false, true).kind == Kind::kIncomplete);
    const auto end = in.feed("\x02", true, false);  // continuation inherits binary
    CHECK(end.kind == Kind::kBinary);
    CHECK(end.size == 2);
}

TEST_CASE("outbound messages are cut into fragments and counted") {
    OutboundQueue q(4);
    q.push("abcdefghij");
    q.push("");
    CHECK(q.messages() == 2);
    CHECK(q.bytes() == 10);
    std::string seen;
    int fragments = 0;
    while (q.messages() == 2) {
        const auto f = q.next();
        CHECK(f.first == (fragments == 0));
        seen += f.payload;
        ++fragments;
        const bool last = f.last;
        q.consume();
        if (last) break;
    }
    CHECK(seen == "abcdefghij");
    CHECK(fragments == 3);
    CHECK(q.messages() == 1);
    CHECK(q.bytes() == 0);
    const auto empty = q.next();
    CHECK((empty.first && empty.last && empty.payload.empty()));
    q.consume();
    CHECK(q.empty());
}

TEST_CASE("outbound fragments never split a UTF-8 character") {
    // "aé€😀" = 61 | C3 A9 | E2 82 AC | F0 9F 98 80
    const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    for (size_t fragment = 4; fragment <= 8; ++fragment) {
        INFO("fragment size " << fragment);
        OutboundQueue q(fragment);
        q.push(text);
        std::string seen;
        for (int guard = 0; guard < 20 && !q.empty(); ++guard) {
            const auto f = q.next();
            REQUIRE_FALSE(f.payload.empty());
            // Each fragment starts at a character: never a continuation byte.
            CHECK((static_cast<unsigned char>(f.payload.front()) & 0xC0) != 0x80);
            seen += f.payload;
            q.consume();
        }
        CHECK(seen == text);
    }
    // Smaller than a character: cut anyway (no fragment may be empty).
    OutboundQueue tiny(1);
    tiny.push("\xC3\xA9");
    CHECK(tiny.next().payload.size() == 1);
}
