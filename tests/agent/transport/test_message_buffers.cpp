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

TEST_CASE("outbound messages are queued whole, in order, and counted") {
    OutboundQueue q;
    q.push("abcdefghij");
    q.push("");
    q.push("\xE2\x82\xAC");
    CHECK(q.messages() == 3);
    CHECK(q.bytes() == 13);
    CHECK(q.front() == "abcdefghij");
    q.pop();
    CHECK(q.messages() == 2);
    CHECK(q.bytes() == 3);
    CHECK(q.front().empty());
    q.pop();
    CHECK(q.front() == "\xE2\x82\xAC");
    q.clear();
    CHECK(q.empty());
    CHECK(q.bytes() == 0);
}
