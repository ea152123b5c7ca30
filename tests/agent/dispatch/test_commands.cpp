#include "agent/log/log.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using outpost::protocol::outbound::AckState;
using outpost::protocol::outbound::ResultState;

TEST_CASE("an allowed command is acked, run and its result sent once") {
    Fixture f;
    f.deliver(execute_json("r-1", "echo", {"hello", "world"}));
    REQUIRE(f.acks("r-1").size() == 1);
    CHECK(f.acks("r-1")[0]->state == AckState::accepted);
    REQUIRE(f.wait_results("r-1"));
    const auto* result = f.results("r-1")[0];
    CHECK(result->state == ResultState::succeeded);
    CHECK(result->exit_code == 0);
    CHECK(result->stdout_text == "hello world\n");
    CHECK(result->started_at.has_value());
    auto record = f.journal->lookup("r-1");
    REQUIRE(record.has_value());
    REQUIRE(record->has_value());
    CHECK((*record)->state == outpost::journal::CommandState::succeeded);
}

TEST_CASE("a non-zero exit is failed with its exit code") {
    Fixture f;
    f.deliver(execute_json("r-2", "sleep", {"not-a-number"}));
    REQUIRE(f.wait_results("r-2"));
    CHECK(f.results("r-2")[0]->state == ResultState::failed);
    CHECK(f.results("r-2")[0]->exit_code != 0);
}

TEST_CASE("1000 redeliveries of one request_id run it exactly once") {
    Fixture f;
    f.deliver(execute_json("once", "append", {}));
    for (int i = 0; i < 500; ++i) f.deliver(execute_json("once", "append", {}));
    REQUIRE(f.wait_results("once"));
    for (int i = 0; i < 500; ++i) f.deliver(execute_json("once", "append", {}));
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(200));
    CHECK(f.append_runs() == 1);
    auto acks = f.acks("once");
    REQUIRE(acks.size() == 1001);
    CHECK(acks[0]->state == AckState::accepted);
    for (size_t i = 1; i < acks.size(); ++i) {
        CHECK((acks[i]->state == AckState::running || acks[i]->state == AckState::duplicate));
    }
    CHECK(acks.back()->state == AckState::duplicate);
    // Every duplicate after the finish is answered with the stored result.
    auto results = f.results("once");
    CHECK(results.size() == 501);
    for (const auto* r : results) CHECK(r->state == ResultState::succeeded);
}

TEST_CASE("a policy refusal is journaled as rejected and never run") {
    Fixture f;
    f.deliver(execute_json("bad-1", "rm", {"-rf", "/"}));
    REQUIRE(f.acks("bad-1").size() == 1);
    CHECK(f.acks("bad-1")[0]->state == AckState::rejected);
    CHECK(f.acks("bad-1")[0]->reason->find("not on the allow-list") != std::string::npos);
    REQUIRE(f.results("bad-1").size() == 1);
    CHECK(f.results("bad-1")[0]->state == ResultState::rejected);
    CHECK_FALSE(f.results("bad-1")[0]->started_at.has_value());
    auto record = f.journal->lookup("bad-1");
    REQUIRE((record && *record));
    CHECK((*record)->state == outpost::journal::CommandState::rejected);

    f.deliver(execute_json("bad-1", "rm", {"-rf", "/"}));
    CHECK(f.acks("bad-1").back()->state == AckState::duplicate);
    CHECK(f.results("bad-1").size() == 2);
}

TEST_CASE("argument injection shapes are refused by the rule, not run") {
    Fixture f;
    f.deliver(execute_json("inj-1", "echo", {"--output=/etc/passwd"}));
    CHECK(f.acks("inj-1")[0]->state == AckState::rejected);
    // A shell metacharacter stays one inert argv element.
    f.deliver(execute_json("inj-2", "echo", {"a;touch /tmp/pwned-outpost", "$(id)", "`id`"}));
    REQUIRE(f.wait_results("inj-2"));
    CHECK(f.results("inj-2")[0]->stdout_text == "a;touch /tmp/pwned-outpost $(id) `id`\n");
    CHECK_FALSE(std::filesystem::exists("/tmp/pwned-outpost"));
}

TEST_CASE("an expired not_after is rejected") {
    Fixture f;
    f.deliver(execute_json("late-1", "echo", {"x"}, R"(,"not_after":"2020-01-01T00:00:00Z")"));
    CHECK(f.acks("late-1")[0]->state == AckState::rejected);
    CHECK(f.acks("late-1")[0]->reason->find("not_after") != std::string::npos);
    // Within the 60 s skew it still runs.
    auto soon = outpost::protocol::format_rfc3339(std::chrono::system_clock::now() -
                                                  std::chrono::seconds(30));
    f.deliver(execute_json("late-2", "echo", {"x"}, R"(,"not_after":")" + soon + "\""));
    CHECK(f.acks("late-2")[0]->state == AckState::accepted);
    CHECK(f.wait_results("late-2"));
}

namespace {
std::vector<std::string> g_log_lines;
void capture_log(std::string_view line) {
    g_log_lines.emplace_back(line);
}
}  // namespace

TEST_CASE("an exec failure of an idempotent entry is retried a bounded number of times") {
    Fixture f;
    g_log_lines.clear();
    outpost::log::set_sink(capture_log);
    f.deliver(execute_json("miss-1", "missing", {}));
    bool done = f.wait_results("miss-1");
    outpost::log::set_sink(nullptr);
    REQUIRE(done);
    // exec_retries is 2 for `missing`: exactly two retries, then the result.
    std::size_t retries = 0;
    for (const auto& line : g_log_lines) {
        if (line.find("miss-1: running missing (retry") != std::string::npos) ++retries;
    }
    CHECK(retries == 2);
    const auto* result = f.results("miss-1")[0];
    CHECK(result->state == ResultState::failed);
    CHECK_FALSE(result->exit_code.has_value());
    CHECK(result->reason->find("exec failed") != std::string::npos);
    CHECK(f.results("miss-1").size() == 1);
}

TEST_CASE("a result too large for one message is truncated to fit") {
    Fixture f(true, std::nullopt, 64 * 1024);
    f.deliver(execute_json("big-1", "big", {}));
    REQUIRE(f.wait_results("big-1"));
    const auto* result = f.results("big-1")[0];
    CHECK(result->stdout_truncated);
    outpost::protocol::OutboundMessage message{"id", "2026-11-22T10:00:00.000Z", *result};
    CHECK(outpost::protocol::encode(message).size() <= 64 * 1024);
}

TEST_CASE("without a journal nothing runs and health says why") {
    Fixture f(false);
    f.deliver(execute_json("nj-1", "append", {}));
    CHECK(f.acks("nj-1")[0]->state == AckState::rejected);
    CHECK(f.acks("nj-1")[0]->reason->find("journal unavailable") != std::string::npos);
    CHECK(f.results("nj-1")[0]->state == ResultState::rejected);
    CHECK(f.append_runs() == 0);

    f.deliver(
        R"({"type":"health_check","id":"h1","ts":"2026-11-22T10:00:00Z","data":{"request_id":"hc-1"}})");
    const auto* health = std::get_if<outpost::protocol::outbound::Health>(&f.sent.back());
    REQUIRE(health != nullptr);
    CHECK(health->ref == "hc-1");
    CHECK(health->checks.database == outpost::protocol::outbound::CheckResult::fail);
    CHECK(health->details.at("database").find("not a database") != std::string::npos);
}

TEST_CASE("config_update is refused without changing anything") {
    Fixture f;
    f.deliver(
        R"({"type":"config_update","id":"c1","ts":"2026-11-22T10:00:00Z","data":{"request_id":"cu-1","config":{"telemetry":{"interval":"30s"}}}})");
    REQUIRE(f.acks("cu-1").size() == 1);
    CHECK(f.acks("cu-1")[0]->state == AckState::rejected);
}
