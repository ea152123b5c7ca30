// Alert rules against a live hub (protocol.md §3.2 `alert`, §3.3
// config_update `alerts`; docs/alerts.md): a config_update's rules are
// checked like the file's, applied, and persisted across a restart.
#include <catch2/catch.hpp>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

EventPredicate ack_for(const std::string& request_id) {
    return [request_id](const Event& e) {
        return e.is_message("command_ack") && e.str("/msg/data/request_id") == request_id;
    };
}

}  // namespace

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
