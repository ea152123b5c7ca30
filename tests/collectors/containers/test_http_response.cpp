// The HTTP response reader as pure functions: framing, incomplete input, and
// the malformed shapes a broken peer sends. The real responses are saved
// from podman (tests/collectors/testdata/containers/*.http).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "collectors/containers/http_response.hpp"
#include "testdata.hpp"

using outpost::ErrorKind;
using outpost::collectors::containers::BodyFraming;
using outpost::collectors::containers::parse_http_response;

using outpost::collectors::containers::test::testdata;

TEST_CASE("a saved podman answer with Content-Length reads whole, and not before its last byte") {
    const std::string bytes = testdata("list.http");
    auto response = parse_http_response(bytes, false);
    REQUIRE(response.has_value());
    REQUIRE(response->has_value());
    CHECK((*response)->head.status == 200);
    CHECK((*response)->head.reason == "OK");
    CHECK((*response)->head.framing == BodyFraming::content_length);
    CHECK((*response)->body == testdata("list.json"));
    // Every strict prefix is incomplete while the peer may send more …
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
        auto partial = parse_http_response(std::string_view(bytes).substr(0, cut), false);
        REQUIRE(partial.has_value());
        CHECK_FALSE(partial->has_value());
        // … and an error once it has closed.
        auto closed = parse_http_response(std::string_view(bytes).substr(0, cut), true);
        REQUIRE_FALSE(closed.has_value());
        CHECK(closed.error().kind() == ErrorKind::io);
    }
}

TEST_CASE("a saved podman answer with a chunked body is decoded") {
    const std::string bytes = testdata("stats-web.http");
    auto response = parse_http_response(bytes, false);
    REQUIRE(response.has_value());
    REQUIRE(response->has_value());
    CHECK((*response)->head.framing == BodyFraming::chunked);
    CHECK((*response)->body.starts_with("{\"read\":"));
    CHECK((*response)->body.find("\"cpu_stats\"") != std::string::npos);
    auto partial = parse_http_response(std::string_view(bytes).substr(0, bytes.size() - 2), false);
    REQUIRE(partial.has_value());
    CHECK_FALSE(partial->has_value());
}

TEST_CASE("chunk extensions and trailers are read and dropped") {
    auto response = parse_http_response(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
        "Chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\n"
        "Expires: never\r\n\r\n",
        false);
    REQUIRE(response.has_value());
    REQUIRE(response->has_value());
    CHECK((*response)->body == "abc0123456789");
}

TEST_CASE("a body without a length ends when the peer closes") {
    const std::string_view bytes = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[]";
    auto open = parse_http_response(bytes, false);
    REQUIRE(open.has_value());
    CHECK_FALSE(open->has_value());
    auto closed = parse_http_response(bytes, true);
    REQUIRE(closed.has_value());
    REQUIRE(closed->has_value());
    CHECK((*closed)->body == "[]");
}

TEST_CASE("a 204 has no body and a 404 keeps its body") {
    auto none = parse_http_response("HTTP/1.1 204 No Content\r\n\r\n", false);
    REQUIRE(none.has_value());
    REQUIRE(none->has_value());
    CHECK((*none)->body.empty());
    auto missing = parse_http_response(testdata("inspect-missing.http"), false);
    REQUIRE(missing.has_value());
    REQUIRE(missing->has_value());
    CHECK((*missing)->head.status == 404);
    CHECK((*missing)->body.find("no such container") != std::string::npos);
}

TEST_CASE("replies that are not HTTP or break its framing are errors") {
    const char* const cases[] = {
        "SSH-2.0-OpenSSH_9.2p1\r\n\r\n",                                    // not HTTP
        "HTTP/2 200 OK\r\n\r\n",                                            // wrong version
        "HTTP/1.1 2x0 OK\r\n\r\n",                                          // status not digits
        "HTTP/1.1 100 Continue\r\n\r\n",                                    // interim
        "HTTP/1.1 200OK\r\n\r\n",                                           // no space
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",                         // field
        "HTTP/1.1 200 OK\r\n folded: value\r\n\r\n",                        // obs-fold
        "HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n",                             // control char
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",                    // length
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",  // overflow
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",  // conflict
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",                    // coding
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{}]  \r\n0\r\n\r\n",  // wrong
                                                                                          // size
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",     // not hex
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",     // too big
    };
    for (const char* bytes : cases) {
        INFO(bytes);
        auto response = parse_http_response(bytes, false);
        REQUIRE_FALSE(response.has_value());
        CHECK(response.error().kind() == ErrorKind::invalid_input);
        CHECK(response.error().message().starts_with("malformed HTTP response: "));
    }
}

TEST_CASE("a chunk size that says less than the data names the likely cause") {
    auto response = parse_http_response(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{}]  \r\n0\r\n\r\n", false);
    REQUIRE_FALSE(response.has_value());
    CHECK(response.error().message().find("wrong chunk size") != std::string::npos);
}

TEST_CASE("a head or chunk line that never ends is refused at its limit, not buffered forever") {
    const std::string endless_head = "HTTP/1.1 200 OK\r\nX: " + std::string(70 * 1024, 'a');
    auto head = parse_http_response(endless_head, false);
    REQUIRE_FALSE(head.has_value());
    CHECK(head.error().message().find("header section longer than") != std::string::npos);

    const std::string endless_chunk_line =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1" + std::string(8 * 1024, '0');
    auto chunk = parse_http_response(endless_chunk_line, false);
    REQUIRE_FALSE(chunk.has_value());
    CHECK(chunk.error().message().find("line longer than") != std::string::npos);
}

TEST_CASE("a peer that closes mid-body or mid-chunk is an io error saying so") {
    auto short_body =
        parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n[{\"Id\":", true);
    REQUIRE_FALSE(short_body.has_value());
    CHECK(short_body.error().kind() == ErrorKind::io);
    CHECK(short_body.error().message() == "connection closed after 7 of 1000 body bytes");

    auto short_chunk =
        parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", true);
    REQUIRE_FALSE(short_chunk.has_value());
    CHECK(short_chunk.error().kind() == ErrorKind::io);
    CHECK(short_chunk.error().message().find("middle of the chunked body") != std::string::npos);

    auto nothing = parse_http_response("", true);
    REQUIRE_FALSE(nothing.has_value());
    CHECK(nothing.error().message() == "connection closed without a response");
}
