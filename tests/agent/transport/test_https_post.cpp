#include <catch2/catch.hpp>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/https_post.hpp"
#include "agent/transport/spki_pin.hpp"
#include "test_certs.hpp"
#include "test_server.hpp"

using namespace outpost::transport;
using namespace outpost::transport::test;
using namespace std::chrono_literals;

namespace {

struct PostFixture {
    TestServer& server;
    std::unique_ptr<EventLoop> loop;
    std::optional<outpost::Expected<HttpResponse>> result;
    int calls = 0;

    PostFixture() : server(shared_tls_server()) {
        server.reset();
        auto created = EventLoop::create();
        REQUIRE(created);
        loop = std::move(*created);
    }
    TlsSettings tls() const {
        TlsSettings t;
        t.ca_file = test_pki().ca_cert;
        return t;
    }
    PostRequest request(const std::string& path, std::chrono::milliseconds timeout = 5s) const {
        PostRequest r;
        r.url = "https://127.0.0.1:" + std::to_string(server.port()) + path;
        r.body =
            R"({"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":"a.b.c"})";
        r.headers = {{"X-Test", "yes"}};
        r.timeout = timeout;
        return r;
    }
    void run(HttpsPost& post, PostRequest r) {
        REQUIRE(post.post(std::move(r), [this](outpost::Expected<HttpResponse> res) {
            result = std::move(res);
            ++calls;
        }));
        CHECK(loop->run_until([&] { return result.has_value(); }, 10s));
        REQUIRE(result.has_value());
    }
};

}  // namespace

TEST_CASE("HttpsPost: 200 with a JSON body, the server got our body and headers") {
    PostFixture f;
    HttpsPost post(*f.loop, f.tls());
    f.run(post, f.request("/ok"));
    REQUIRE(f.result->has_value());
    CHECK((*f.result)->status == 200);
    CHECK((*f.result)->body == R"({"access_token":"abc","expires_in":60})");
    const Seen seen = f.server.seen();
    CHECK(seen.post_path == "/ok");
    CHECK(seen.post_content_type == "application/json");
    CHECK(seen.post_custom_header == "yes");
    CHECK(seen.post_body == f.request("/ok").body);
    CHECK_FALSE(post.busy());
    f.loop->run_until([] { return false; }, 50ms);
    CHECK(f.calls == 1);
}

TEST_CASE("HttpsPost: a 500 is a response, not an error") {
    PostFixture f;
    HttpsPost post(*f.loop, f.tls());
    f.run(post, f.request("/fail"));
    REQUIRE(f.result->has_value());
    CHECK((*f.result)->status == 500);
    CHECK((*f.result)->body == "oops");
}

TEST_CASE("HttpsPost: a server that never answers times out") {
    PostFixture f;
    HttpsPost post(*f.loop, f.tls());
    const auto start = std::chrono::steady_clock::now();
    f.run(post, f.request("/slow", 500ms));
    REQUIRE_FALSE(f.result->has_value());
    CHECK(f.result->error().message().find("timeout") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    f.loop->run_until([] { return false; }, 50ms);
    CHECK(f.calls == 1);
}

TEST_CASE("HttpsPost: an oversized response body is an error") {
    PostFixture f;
    HttpsPost post(*f.loop, f.tls(), std::nullopt, 64 * 1024);
    f.run(post, f.request("/big"));
    REQUIRE_FALSE(f.result->has_value());
    CHECK(f.result->error().message().find("exceeds") != std::string::npos);
}

TEST_CASE("HttpsPost: TLS rules apply (wrong CA, pin mismatch)") {
    PostFixture f;
    TlsSettings wrong = f.tls();
    wrong.ca_file = test_pki().other_ca_cert;
    HttpsPost post(*f.loop, wrong);
    f.run(post, f.request("/ok"));
    CHECK_FALSE(f.result->has_value());

    f.result.reset();
    TlsSettings pinned = f.tls();
    pinned.spki_pins = {SpkiPin{}};
    HttpsPost pinned_post(*f.loop, pinned);
    f.run(pinned_post, f.request("/ok"));
    REQUIRE_FALSE(f.result->has_value());
    CHECK(f.result->error().message().find("pin mismatch") != std::string::npos);
    CHECK(f.server.seen().http_requests == 0);
}

TEST_CASE("HttpsPost: immediate errors") {
    PostFixture f;
    HttpsPost post(*f.loop, f.tls());
    auto r = f.request("/ok");
    r.url = "http://127.0.0.1:1/";
    CHECK_FALSE(post.post(r, [](auto) {}));
    r = f.request("/ok");
    r.headers = {{"Bad\r\nHeader", "x"}};
    CHECK_FALSE(post.post(r, [](auto) {}));
    REQUIRE(post.post(f.request("/slow", 200ms), [](auto) {}));
    CHECK_FALSE(post.post(f.request("/ok"), [](auto) {}));  // one at a time
}
