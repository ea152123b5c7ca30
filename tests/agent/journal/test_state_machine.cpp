// Every legal and illegal transition of the §3.3 state machine, through the
// journal's operations.

#include <map>
#include <set>
#include <utility>

#include "journal_fixture.hpp"

using namespace journal_test;
using S = j::CommandState;

namespace {

const S kAll[] = {S::awaiting_approval, S::queued,    S::running,  S::succeeded,  S::failed,
                  S::timed_out,         S::cancelled, S::rejected, S::interrupted};

// Written out here, independently of the library's table.
const std::set<std::pair<S, S>> kLegal = {
    {S::awaiting_approval, S::running},
    {S::awaiting_approval, S::queued},
    {S::awaiting_approval, S::cancelled},
    {S::awaiting_approval, S::rejected},
    {S::queued, S::running},
    {S::queued, S::cancelled},
    {S::queued, S::rejected},
    {S::queued, S::interrupted},
    {S::running, S::succeeded},
    {S::running, S::failed},
    {S::running, S::timed_out},
    {S::running, S::cancelled},
    {S::running, S::interrupted},
};

// Puts command `id` into `state` along a legal path.
void bring_to(j::Journal& journal, const std::string& id, S state) {
    switch (state) {
        case S::awaiting_approval:
            REQUIRE_OK(journal.hold_for_approval(spec(id), at()));
            return;
        case S::queued:
            REQUIRE_OK(journal.queue(spec(id), at()));
            return;
        case S::rejected:
            REQUIRE_OK(journal.insert_rejected(spec(id), at(), result(S::rejected)));
            return;
        default:
            REQUIRE_OK(journal.queue(spec(id), at()));
            REQUIRE_OK(journal.mark_running(id, at(1s)));
            if (state != S::running) REQUIRE_OK(journal.finish(id, result(state, 2s)));
    }
}

}  // namespace

TEST_CASE("the transition table is the documented one") {
    for (S from : kAll) {
        for (S to : kAll) {
            INFO(j::to_string(from) << " -> " << j::to_string(to));
            CHECK(j::is_legal_transition(from, to) == (kLegal.count({from, to}) == 1));
        }
    }
    CHECK(j::can_enter(S::awaiting_approval));
    CHECK(j::can_enter(S::queued));
    CHECK(j::can_enter(S::rejected));
    CHECK_FALSE(j::can_enter(S::running));
    CHECK_FALSE(j::can_enter(S::succeeded));
}

TEST_CASE("every transition is allowed or refused by the journal as the table says") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    int n = 0;
    for (S from : kAll) {
        for (S to : kAll) {
            const std::string id = fmt::format("cmd-{}", n++);
            INFO(j::to_string(from) << " -> " << j::to_string(to));
            bring_to(journal, id, from);
            const bool legal = kLegal.count({from, to}) == 1;
            const auto outcome =
                to == S::running  ? journal.mark_running(id, at(5s))
                : to == S::queued ? journal.approve(id)
                : j::is_terminal(to)
                    ? journal.finish(id, result(to, 5s))
                    : outpost::Expected<void>(outpost::fail("no operation enters this state"));
            CHECK(outcome.has_value() == legal);
            auto record = journal.lookup(id);
            REQUIRE(record);
            REQUIRE(record->has_value());
            CHECK((*record)->state == (legal ? to : from));
        }
    }
}

TEST_CASE("state names round-trip") {
    for (S state : kAll) CHECK(j::parse_command_state(j::to_string(state)) == state);
    CHECK_FALSE(j::parse_command_state("done"));
}

TEST_CASE("request ids follow the protocol's charset and length") {
    CHECK(j::is_valid_request_id("a"));
    CHECK(j::is_valid_request_id("A-z_0.9:x"));
    CHECK(j::is_valid_request_id(std::string(128, 'x')));
    CHECK_FALSE(j::is_valid_request_id(""));
    CHECK_FALSE(j::is_valid_request_id(std::string(129, 'x')));
    CHECK_FALSE(j::is_valid_request_id("a b"));
    CHECK_FALSE(j::is_valid_request_id("a/b"));

    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    CHECK_FALSE(journal.queue(spec("bad id"), at()));
    CHECK_FALSE(journal.queue(spec(std::string(129, 'x')), at()));
    CHECK_FALSE(journal.queue(spec("ok", ""), at()));
}

TEST_CASE("approve: a held command becomes queued once, and only a held one") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    REQUIRE_OK(journal.hold_for_approval(spec("held"), at()));
    REQUIRE_OK(journal.approve("held"));
    CHECK(journal.lookup("held")->value().state == S::queued);
    CHECK_FALSE(journal.approve("held"));  // a second approval changes nothing
    // Approved rows no longer expire as unapproved.
    auto expired = journal.expire_held(at(48h));
    REQUIRE(expired);
    CHECK(expired->empty());
    REQUIRE_OK(journal.queue(spec("plain"), at()));
    CHECK_FALSE(journal.approve("plain"));
    CHECK_FALSE(journal.approve("ghost"));
    REQUIRE_OK(journal.mark_running("held", at(1s)));
}

TEST_CASE("next_approval_deadline: the earliest held one, none once approved or expired") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    auto next = [&] {
        auto deadline = journal.next_approval_deadline();
        REQUIRE(deadline);
        return *deadline;
    };
    CHECK_FALSE(next());
    auto early = spec("early");
    early.not_after = at(10min);
    REQUIRE_OK(journal.hold_for_approval(spec("late"), at()));  // 1 h window
    REQUIRE_OK(journal.hold_for_approval(early, at()));
    CHECK(next() == at(10min));
    REQUIRE_OK(journal.approve("early"));
    CHECK(next() == at(1h));
    REQUIRE(journal.expire_held(at(2h)));
    CHECK_FALSE(next());
}
