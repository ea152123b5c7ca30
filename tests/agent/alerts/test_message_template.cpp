// Alert message templates: known placeholders only, nothing interpreted.

#include <catch2/catch.hpp>

#include "agent/alerts/message_template.hpp"

namespace outpost::alerts {

TEST_CASE("message templates fill their placeholders", "[alerts][message]") {
    const MessageFields fields{.rule = "disk_full",
                               .metric = "system.disks[*].used_percent",
                               .subject = "mount=/data",
                               .value = 91.256,
                               .threshold = 80};
    CHECK(render_message("Disk{subject} at {value}% (over {threshold}%) {{rule}}", fields) ==
          "Disk (mount=/data) at 91.26% (over 80%) {rule}");
    CHECK(render_message(kDefaultMessage, fields) ==
          "disk_full: system.disks[*].used_percent (mount=/data) is 91.26 (threshold 80)");
    // A subject that looks like a template is data, written as it is.
    MessageFields tricky = fields;
    tricky.subject = "name={value}";
    CHECK(render_message("{subject}", tricky) == " (name={value})");
}

TEST_CASE("message template errors name the problem", "[alerts][message]") {
    CHECK(check_message_template("plain text"));
    CHECK(check_message_template("{rule} {metric}{subject} {value} {threshold} {{ }}"));
    const auto error = [](std::string_view text) {
        auto checked = check_message_template(text);
        REQUIRE_FALSE(checked);
        return checked.error().message();
    };
    CHECK_THAT(error("{valeu}"), Catch::Contains("unknown placeholder `{valeu}`"));
    CHECK_THAT(error("{value:%x}"), Catch::Contains("unknown placeholder"));
    CHECK_THAT(error("50% {"), Catch::Contains("is not closed"));
    CHECK_THAT(error("a } b"), Catch::Contains("closes nothing"));
    CHECK_THAT(error("line\nbreak"), Catch::Contains("control character at byte 5"));
    CHECK_THAT(error(std::string(600, 'x')), Catch::Contains("over 512"));
}

TEST_CASE("numbers are shown short", "[alerts][message]") {
    CHECK(format_number(90) == "90");
    CHECK(format_number(91.5) == "91.5");
    CHECK(format_number(0.126) == "0.13");
    CHECK(format_number(-3.10) == "-3.1");
    CHECK(format_number(1e12) == "1000000000000");
}

}  // namespace outpost::alerts
