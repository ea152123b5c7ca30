// Alert rules against a live hub (protocol.md §3.2 `alert`, §3.3
// config_update `alerts`; docs/alerts.md): a config_update's rules are
// checked like the file's, applied, and persisted across a restart.
#include <catch2/catch.hpp>

#include "command_events.hpp"
#include "rig.hpp"

using namespace outpost::integration;

TEST_CASE(
    "config_update alerts: refused with the file's message, accepted, kept across a "
    "restart",
    "[integration][alerts]") {
    Rig rig;
    rig.start_online();

    std::size_t from = rig.hub.mark();
    rig.hub.command(
        R"(send-type config_update {"request_id":"cu-bad","config":{"alerts":[)"
        R"({"name":"load","metric":"system.lod.load1","operator":">","threshold":4}]}})");
    const Event& refused = rig.hub.expect_event(ack_for("cu-bad"), kEventLimit, from, "refusal");
    CHECK(refused.str("/msg/data/state") == "rejected");
    CHECK_THAT(refused.str("/msg/data/reason").value_or(""),
               Catch::Contains("`alerts[load].metric`: expected a metric path") &&
                   Catch::Contains("`system` has no field `lod`"));

    from = rig.hub.mark();
    std::size_t log_from = rig.agent.mark();
    rig.hub.command(
        R"(send-type config_update {"request_id":"cu-ok","config":{"alerts":[)"
        R"({"name":"load","metric":"system.load.load1","operator":">","threshold":4,"for":"1m"}]}})");
    const Event& accepted = rig.hub.expect_event(ack_for("cu-ok"), kEventLimit, from, "accept");
    CHECK(accepted.str("/msg/data/state") == "accepted");
    CHECK(rig.agent.wait_log("1 alert rule(s) in force", kEventLimit, log_from));

    // After a restart the persisted rules apply over the file's defaults.
    rig.agent.stop();
    log_from = rig.agent.mark();
    rig.start_online();
    CHECK(rig.agent.wait_log("\"alerts\":[{\"name\":\"load\"", kEventLimit, log_from));
}

TEST_CASE("an alert rule fires once through the pipeline, survives a restart, and resolves",
          "[integration][alerts]") {
    Rig rig;
    rig.agent.set("telemetry", "interval", "1s");  // the schema's minimum
    rig.start_online();

    // `agent.uptime_s >= 0` holds on every sample: it fires at the first.
    std::size_t from = rig.hub.mark();
    rig.hub.command(R"(send-type config_update {"request_id":"cu-up","config":{"alerts":[)"
                    R"({"name":"up","metric":"agent.uptime_s","operator":">=","threshold":0,)"
                    R"("severity":"critical","message":"up for {value} s"}]}})");
    CHECK(rig.hub.expect_event(ack_for("cu-up"), kEventLimit, from, "accept")
              .str("/msg/data/state") == "accepted");
    const auto alert_in = [](std::string state) {
        return [state](const Event& e) {
            return e.is_message("alert") && e.str("/msg/data/rule") == "up" &&
                   e.str("/msg/data/state") == state;
        };
    };
    const Event& fired = rig.hub.expect_event(alert_in("firing"), kEventLimit, from, "firing");
    const std::string alert_id = fired.str("/msg/data/alert_id").value_or("");
    CHECK(alert_id.size() == 18);  // a- + 16 hex digits (docs/alerts.md)
    CHECK(fired.str("/msg/data/severity") == "critical");
    CHECK(fired.num("/msg/data/threshold") == 0);  // a JSON number (§3.2)
    CHECK(fired.num("/msg/data/value").has_value());
    CHECK(fired.str("/msg/data/since").has_value());
    CHECK_THAT(fired.str("/msg/data/message").value_or(""), Catch::StartsWith("up for "));
    const Event& degraded = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("status") && e.str("/msg/data/status") == "degraded";
        },
        kEventLimit, from, "status degraded");
    CHECK_THAT(degraded.str("/msg/data/reason").value_or(""),
               Catch::Contains("critical alert up firing"));

    // Several samples later, and across a restart: still the one `firing`.
    rig.hub.idle(std::chrono::seconds(3));
    rig.agent.stop();
    rig.start_online();
    rig.hub.idle(std::chrono::seconds(3));
    CHECK(rig.hub.events(alert_in("firing"), from).size() == 1);

    // The rule removed: resolved once, same id, and the node is online again.
    from = rig.hub.mark();
    rig.hub.command(R"(send-type config_update {"request_id":"cu-off","config":{"alerts":[]}})");
    const Event& resolved =
        rig.hub.expect_event(alert_in("resolved"), kEventLimit, from, "resolved");
    CHECK(resolved.str("/msg/data/alert_id") == alert_id);
    CHECK_THAT(resolved.str("/msg/data/message").value_or(""),
               Catch::Contains("the rule was removed"));
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("status") && e.str("/msg/data/status") == "online";
        },
        kEventLimit, from, "status online");
}
