// config_update → the injected handler → command_ack; and the agent's glue
// (validate, persist in the journal, then apply) surviving a journal reopen.

#include <fmt/format.h>

#include "agent/auth/jws.hpp"
#include "agent/auth/secret_key.hpp"
#include "agent/config/runtime_overrides.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using namespace std::chrono_literals;
using outpost::dispatch::ConfigUpdateHandler;
using outpost::dispatch::Dispatcher;
using outpost::dispatch::DispatcherSettings;
using outpost::protocol::outbound::AckState;
namespace config = outpost::config;
namespace journal = outpost::journal;

namespace {

using HandlerResult = outpost::Expected<void>;

// Replaces the fixture's dispatcher with one that has `handler`.
void install(Fixture& f, ConfigUpdateHandler handler,
             std::optional<outpost::auth::PublicKey> command_key = std::nullopt) {
    f.dispatcher.reset();
    f.dispatcher = std::make_unique<Dispatcher>(
        DispatcherSettings{.node_id = "node-1",
                           .max_message_bytes = 1024 * 1024,
                           .max_concurrent = 2,
                           .command_public_key = command_key,
                           .state_dir = f.dir.path().string(),
                           .on_config_update = std::move(handler)},
        f.journal ? &*f.journal : nullptr, f.journal ? "" : "journal.db: file is not a database",
        test_policy(f.append_file), *f.runner,
        [&f](out::Body body) {
            if (!f.online) return false;
            f.sent.push_back(std::move(body));
            return true;
        },
        [] { return std::chrono::system_clock::now(); });
}

std::string config_update(const std::string& request_id, const std::string& config_json) {
    return fmt::format(
        R"({{"type":"config_update","id":"m-{}","ts":"2026-11-22T10:00:00Z","data":{{"request_id":"{}","config":{}}}}})",
        request_id, request_id, config_json);
}

std::string signed_config_update(const outpost::auth::SecretKey& key, const std::string& request_id,
                                 const std::string& config_json) {
    const long exp = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()) +
                     300;
    const std::string payload = fmt::format(
        R"({{"type":"config_update","id":"inner-{}","ts":"2026-11-22T10:00:00Z","data":{{"request_id":"{}","config":{}}},"node_id":"node-1","exp":{}}})",
        request_id, request_id, config_json, exp);
    const std::string jws =
        outpost::auth::sign_compact_jws(R"({"alg":"EdDSA","kid":"cp-1"})", payload, key);
    return R"({"type":"signed","id":"s-)" + request_id +
           R"(","ts":"2026-11-22T10:00:00Z","data":{"jws":")" + jws + "\"}}";
}

const out::CommandAck& only_ack(const Fixture& f, const std::string& request_id) {
    const auto acks = f.acks(request_id);
    REQUIRE(acks.size() == 1);
    return *acks[0];
}

// The agent's handler (agent/runtime/run.cpp): validate, merge, persist the
// merged set under the journal key, then apply.
struct JournaledOverrides {
    journal::Journal* journal = nullptr;
    config::RuntimeOverrides current;
    int applied = 0;

    ConfigUpdateHandler handler() {
        return [this](std::string_view request_id, std::string_view config_json) -> HandlerResult {
            auto next = config::accept_config_update(
                current, config_json,
                [this, request_id](std::string_view blob) -> outpost::Expected<void> {
                    if (journal == nullptr) {
                        return outpost::fail(
                            "cannot persist runtime config changes, the journal is unavailable");
                    }
                    if (auto put = journal->apply_config_update(request_id,
                                                                std::chrono::system_clock::now(),
                                                                config::kRuntimeOverridesKey, blob);
                        !put) {
                        return std::unexpected(put.error());
                    }
                    return {};
                });
            if (!next) return std::unexpected(next.error());
            current = *next;
            ++applied;
            return {};
        };
    }
};

}  // namespace

TEST_CASE("config_update without a handler is rejected as not supported") {
    Fixture f;
    f.deliver(config_update("cu-0", R"({"telemetry":{"interval":"30s"}})"));
    const auto& ack = only_ack(f, "cu-0");
    CHECK(ack.state == AckState::rejected);
    CHECK(ack.reason.value_or("").find("not supported") != std::string::npos);
}

TEST_CASE("config_update accepted by the handler is acked accepted") {
    Fixture f;
    std::vector<std::string> seen;
    install(f, [&](std::string_view, std::string_view json) -> HandlerResult {
        seen.emplace_back(json);
        return {};
    });
    f.deliver(config_update("cu-1", R"({"telemetry": {"interval": "30s"}})"));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == R"({"telemetry":{"interval":"30s"}})");  // minified `config` only
    const auto& ack = only_ack(f, "cu-1");
    CHECK(ack.state == AckState::accepted);
    CHECK_FALSE(ack.reason.has_value());
    CHECK(f.errors().empty());
}

TEST_CASE("config_update refused by the handler is acked rejected with its reason") {
    Fixture f;
    install(f, [](std::string_view, std::string_view) -> HandlerResult {
        return outpost::fail(outpost::ErrorKind::invalid_input,
                             "`server.url` cannot be changed at runtime");
    });
    f.deliver(config_update("cu-2", R"({"server":{"url":"wss://x.example.com/v1"}})"));
    const auto& ack = only_ack(f, "cu-2");
    CHECK(ack.state == AckState::rejected);
    CHECK(ack.reason == "`server.url` cannot be changed at runtime");
}

TEST_CASE("with a command key, config_update must be signed before the handler sees it") {
    auto key = outpost::auth::SecretKey::generate();
    REQUIRE(key.has_value());
    Fixture f(true, key->public_key());
    int calls = 0;
    install(
        f,
        [&](std::string_view, std::string_view) -> HandlerResult {
            ++calls;
            return {};
        },
        key->public_key());
    f.deliver(config_update("cu-3", R"({"logging":{"level":"debug"}})"));
    CHECK(calls == 0);
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "bad_signature");
    CHECK(f.acks("cu-3").empty());

    f.deliver(signed_config_update(*key, "cu-4", R"({"logging":{"level":"debug"}})"));
    CHECK(calls == 1);
    CHECK(only_ack(f, "cu-4").state == AckState::accepted);
}

TEST_CASE("config_update persisted in the journal survives a reopen, refused ones change nothing") {
    Fixture f;
    JournaledOverrides state{&*f.journal, {}, 0};
    install(f, state.handler());

    f.deliver(config_update("cu-10", R"({"logging":{"level":"debug"}})"));
    f.deliver(config_update("cu-11", R"({"telemetry":{"interval":"15s"}})"));
    CHECK(only_ack(f, "cu-10").state == AckState::accepted);
    CHECK(only_ack(f, "cu-11").state == AckState::accepted);

    // All-or-nothing: the valid health.interval is not applied either.
    f.deliver(config_update("cu-12", R"({"health":{"interval":"1m"},"logging":{"level":"loud"}})"));
    const auto& refused = only_ack(f, "cu-12");
    CHECK(refused.state == AckState::rejected);
    CHECK(refused.reason.value_or("").starts_with("`logging.level`: expected one of"));
    CHECK(state.applied == 2);
    CHECK_FALSE(state.current.health_interval);

    // Restart: close and reopen the journal, read what the agent reads.
    f.dispatcher.reset();
    const auto path = f.journal->path();
    f.journal.reset();
    auto reopened = journal::Journal::open(path, journal::SyncMode::normal);
    REQUIRE(reopened.has_value());
    auto blob = reopened->get(config::kRuntimeOverridesKey);
    REQUIRE(blob.has_value());
    REQUIRE(blob->has_value());
    CHECK(**blob == R"({"telemetry":{"interval":"15s"},"logging":{"level":"debug"}})");
    auto persisted = config::parse_runtime_overrides(**blob);
    REQUIRE(persisted.has_value());
    CHECK(*persisted == state.current);
    CHECK(persisted->telemetry_interval == 15s);
    CHECK(persisted->logging_level == config::LogLevel::debug);
    CHECK_FALSE(persisted->health_interval);
    const config::Config effective = config::apply(config::Config{}, *persisted);
    CHECK(effective.telemetry.interval == 15s);
    CHECK(effective.logging.level == config::LogLevel::debug);
}

TEST_CASE("config_update without a journal is rejected: it could not be persisted") {
    Fixture f(false);
    JournaledOverrides state;  // no journal
    install(f, state.handler());
    f.deliver(config_update("cu-20", R"({"telemetry":{"interval":"30s"}})"));
    const auto& ack = only_ack(f, "cu-20");
    CHECK(ack.state == AckState::rejected);
    CHECK(ack.reason.value_or("").find("journal is unavailable") != std::string::npos);
    CHECK(state.applied == 0);
    CHECK(state.current.empty());
}

TEST_CASE("a redelivered config_update is not applied again, also after a restart") {
    // Applied again after a newer update, a redelivery (or a replay of a
    // signed one within its exp) would roll the settings back. §3.3 knows
    // only accepted/rejected for config_update: a redelivery of an applied
    // one is `accepted` again, with a reason, and changes nothing.
    Fixture f;
    JournaledOverrides state{&*f.journal, {}, 0};
    install(f, state.handler());
    f.deliver(config_update("cu-30", R"({"telemetry":{"interval":"30s"}})"));
    f.deliver(config_update("cu-31", R"({"telemetry":{"interval":"45s"}})"));
    f.deliver(config_update("cu-32", R"({"telemetry":{"interval":"soon"}})"));
    REQUIRE(state.applied == 2);

    f.deliver(config_update("cu-30", R"({"telemetry":{"interval":"30s"}})"));  // late redelivery
    auto acks = f.acks("cu-30");
    REQUIRE(acks.size() == 2);
    CHECK(acks[0]->state == AckState::accepted);
    CHECK_FALSE(acks[0]->reason.has_value());
    CHECK(acks[1]->state == AckState::accepted);
    CHECK(acks[1]->reason.value_or("") == "already applied when first received; not applied again");
    CHECK(state.applied == 2);
    CHECK(state.current.telemetry_interval == 45s);  // the newer update stays

    // A rejected one was never kept: checked again, rejected again.
    f.deliver(config_update("cu-32", R"({"telemetry":{"interval":"soon"}})"));
    acks = f.acks("cu-32");
    REQUIRE(acks.size() == 2);
    CHECK(acks[1]->state == AckState::rejected);
    CHECK(acks[1]->reason == acks[0]->reason);
    CHECK(state.applied == 2);

    // After a restart, from the journal file.
    f.dispatcher.reset();
    const auto path = f.journal->path();
    f.journal.reset();
    auto reopened = journal::Journal::open(path, journal::SyncMode::normal);
    REQUIRE(reopened.has_value());
    f.journal.emplace(std::move(*reopened));
    state.journal = &*f.journal;
    install(f, state.handler());
    f.sent.clear();
    f.deliver(config_update("cu-31", R"({"telemetry":{"interval":"45s"}})"));
    CHECK(only_ack(f, "cu-31").reason.has_value());
    CHECK(state.applied == 2);

    // Forgotten after journal.retention, like finished commands; the
    // overrides themselves stay.
    auto pruned = f.journal->prune(1h, std::chrono::system_clock::now() + 2h);
    REQUIRE(pruned.has_value());
    auto found = f.journal->config_update_applied("cu-31");
    REQUIRE(found.has_value());
    CHECK_FALSE(found->has_value());
    auto overrides = f.journal->get(config::kRuntimeOverridesKey);
    REQUIRE(overrides.has_value());
    CHECK(overrides->has_value());
}
