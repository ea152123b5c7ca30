#include "agent/runtime/run.hpp"

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "agent/auth/identity.hpp"
#include "agent/common/version.hpp"
#include "agent/config/runtime_overrides.hpp"
#include "agent/dispatch/dispatcher.hpp"
#include "agent/journal/journal.hpp"
#include "agent/log/log.hpp"
#include "agent/runtime/allow_list_policy.hpp"
#include "agent/runtime/connection_settings.hpp"
#include "agent/runtime/exec_helper.hpp"
#include "agent/runtime/hello.hpp"
#include "agent/runtime/journal_sync.hpp"
#include "agent/runtime/outbox_sender.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/runtime/status_source.hpp"
#include "agent/status/status_server.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"
#include "executors/runner/runner.hpp"
#include "executors/sandbox/probe.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";
// How long a graceful stop waits for `status{offline}` and the close frame.
constexpr std::chrono::seconds kDrainLimit{3};
// A journal sync this slow (a good disk takes well under 1 ms; SD cards,
// eMMC and disks busy with writeback take tens of ms to seconds) moves the
// group commit's syncs off the loop, until the disk is fast again
// (Dispatcher::enable_group_commit).
constexpr std::chrono::milliseconds kSlowJournalSync{10};
// Held-command expiry and journal retention run this often.
constexpr std::chrono::seconds kMaintenanceEvery{30};
// lws's fd table: the connection, an HTTPS token refresh, the watch set and
// headroom. Commands' pipes and pidfds are not in it (they live in the loop's
// epoll set), so it does not grow with executor.max_concurrent.
constexpr unsigned kLwsFds = 64;

log::Level log_level(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::trace: return log::Level::trace;
        case config::LogLevel::debug: return log::Level::debug;
        case config::LogLevel::info: return log::Level::info;
        case config::LogLevel::warn: return log::Level::warn;
        case config::LogLevel::error: return log::Level::error;
    }
    return log::Level::info;
}

void configure_logging(const config::LoggingConfig& logging) {
    log::configure(log_level(logging.level), logging.format == config::LogFormat::json
                                                 ? log::Format::json
                                                 : log::Format::text);
}

// What earlier config_updates persisted (docs/configuration.md, "Runtime
// changes"). Nothing when there is no journal or no blob; a blob that cannot
// be read or no longer validates is logged and ignored: it never stops the
// agent, and the next accepted config_update replaces it.
config::RuntimeOverrides persisted_overrides(journal::Journal* journal) {
    if (journal == nullptr) return {};
    auto blob = journal->get(config::kRuntimeOverridesKey);
    if (!blob) {
        log::error(kLog,
                   "cannot read the runtime config changes (journal key `{}`), ignoring them: {}",
                   config::kRuntimeOverridesKey, blob.error().message());
        return {};
    }
    if (!*blob) return {};
    auto parsed = config::parse_runtime_overrides(**blob);
    if (!parsed) {
        log::error(kLog, "ignoring the persisted runtime config changes {} (journal key `{}`): {}",
                   **blob, config::kRuntimeOverridesKey, parsed.error());
        return {};
    }
    return *parsed;
}

journal::Options journal_options(const config::Config& config) {
    journal::Options options;
    options.sync = config.journal.sync == config::JournalSync::full ? journal::SyncMode::full
                                                                    : journal::SyncMode::normal;
    options.outbox.max_messages = config.outbox.max_messages;
    options.outbox.max_bytes = config.outbox.max_bytes;
    options.max_message_bytes = config.protocol.max_message_bytes;
    return options;
}

// What hello advertises: only what this build handles.
std::vector<std::string> capabilities(const config::Config& config) {
    std::vector<std::string> caps{"execute", "cancel", "approval", "health", "config_update"};
    if (config.security.command_public_key) caps.emplace_back("signed_commands");
    for (const auto& entry : config.executor.commands) {
        if (entry.name == "deploy") caps.emplace_back("deploy");
        if (entry.name == "update_agent") caps.emplace_back("update_agent");
    }
    return caps;
}

// hello.data.sandbox: what the kernel offers, so degraded hosts are visible.
protocol::outbound::SandboxReport sandbox_report(const executors::Capabilities& caps) {
    protocol::outbound::SandboxReport report;
    for (const auto& status : caps.protections) {
        std::string name(executors::protection_name(status.protection));
        if (status.available) {
            report.active.push_back(std::move(name));
        } else {
            report.unavailable.emplace_back(std::move(name), status.detail);
        }
    }
    return report;
}

}  // namespace

int run_agent(const config::Config& config) {
    const auto started_at = std::chrono::system_clock::now();
    configure_logging(config.logging);
    auto identity = auth::load_or_create_identity(config.node.state_dir, config.node.id);
    if (!identity) {
        log::error(kLog, "identity: {}", identity.error().message());
        return 1;
    }
    auto policy = make_allow_list_policy(config);
    if (!policy) {
        log::error(kLog, "allow-list: {}", policy.error().message());
        return 2;
    }
    transport::EventLoop::Options loop_options;
    loop_options.max_fds = kLwsFds;
    auto loop = transport::EventLoop::create(loop_options);
    if (!loop) {
        log::error(kLog, "event loop: {}", loop.error().message());
        return 1;
    }
    log::info(kLog, "outpost {} starting as node {}", kAgentVersion, identity->node_id);

    // A journal that cannot be opened does not stop the agent: it stays
    // connected and honest (commands rejected with the reason, health fails).
    std::filesystem::path journal_path = std::filesystem::path(config.node.state_dir) / "journal.db";
    auto opened = journal::Journal::open(journal_path, journal_options(config));
    std::optional<journal::Journal> journal;
    std::string journal_error;
    if (opened) {
        journal.emplace(std::move(*opened));
    } else {
        journal_error = opened.error().message();
        log::error(kLog, "journal unavailable, no command will run: {}", journal_error);
    }

    // Runtime changes (config_update) persisted earlier, over the file's
    // values. `effective` holds the runtime keys in force (telemetry.interval,
    // health.interval, logging.level); every other key is the file's, so the
    // rest of the agent keeps reading `config`. `effective` is reassigned on
    // each accepted config_update: read it at use, keep no references into it.
    config::RuntimeOverrides overrides = persisted_overrides(journal ? &*journal : nullptr);
    config::Config effective = config::apply(config, overrides);
    if (!overrides.empty()) {
        configure_logging(effective.logging);
        log::info(kLog, "runtime config changes applied over the config file: {}",
                  config::to_json(overrides));
    }
    // Set once the periodic health report exists: re-arms it when a
    // config_update changes health.interval.
    std::function<void()> on_health_interval_changed;
    // config_update: validate, persist the merged set, then apply. Without a
    // journal nothing can be persisted, so the update is refused.
    dispatch::ConfigUpdateHandler on_config_update =
        [&](std::string_view request_id,
            std::string_view config_json) -> std::expected<void, std::string> {
        auto next = config::accept_config_update(
            overrides, config_json,
            [&](std::string_view blob) -> std::expected<void, std::string> {
                if (!journal) {
                    return std::unexpected(
                        "cannot persist runtime config changes, the journal is unavailable: " +
                        journal_error);
                }
                if (auto put = journal->apply_config_update(
                        request_id, std::chrono::system_clock::now(),
                        config::kRuntimeOverridesKey, blob);
                    !put) {
                    return std::unexpected("cannot persist runtime config changes: " +
                                           put.error().message());
                }
                return {};
            });
        if (!next) return std::unexpected(std::move(next.error()));
        overrides = std::move(*next);
        const auto health_interval = effective.health.interval;
        effective = config::apply(config, overrides);
        configure_logging(effective.logging);
        if (effective.health.interval != health_interval && on_health_interval_changed)
            on_health_interval_changed();
        log::info(kLog, "runtime config changes now in force: {}", config::to_json(overrides));
        return {};
    };

    auto caps = executors::probe_capabilities();
    for (const std::string& line : caps.summary()) log::info(kLog, "sandbox: {}", line);
    // Honest about what this version ignores rather than silently skipping
    // it: logged now, and shown by `outpost status` for as long as it holds.
    std::vector<std::string> warnings;
    if (plaintext_server(config)) warnings.push_back(plaintext_warning());
    if (config.server.transport == config::Transport::poll || config.server.poll_url) {
        warnings.emplace_back(
            "server.transport: poll / server.poll_url are set, but the HTTPS polling "
            "fallback (protocol.md §7) is not in this version: using the WebSocket only");
    }
    for (const std::string& warning : warnings) log::warn(kLog, "{}", warning);
    // Shown by `outpost status` under commands, so not repeated as warnings.
    const auto unrunnable = unrunnable_entries(config.executor, caps);
    for (const auto& [name, why] : unrunnable) {
        log::warn(kLog, "allow-list entry {} cannot run on this host: {}", name, why);
    }

    const protocol::outbound::SandboxReport sandbox = sandbox_report(caps);
    ExecHelper helper = ExecHelper::find();
    if (!helper.path().empty()) {
        log::info(kLog, "sandbox: runs as other users start through {}", helper.path());
    } else {
        for (const std::string& why : helper.refused()) log::info(kLog, "sandbox: not using {}", why);
        log::info(kLog, "sandbox: runs as other users fork the agent (slower, same protections)");
    }

    {
        // Held commands expire at their deadline, not at the next
        // maintenance tick: a timer for the earliest one, re-armed when a
        // command is held and after each expiry.
        std::function<void()> arm_approval_expiry;
        executors::Runner runner(**loop, caps,
                                 executors::Runner::Options{
                                     .max_concurrent = config.executor.max_concurrent,
                                     .exec_helper = [&helper] { return helper.for_run(); }});
        SessionDriver driver(**loop, config, *identity);
        // Declared before the dispatcher: it outlives its close_batch().
        const OffLoopSync off_loop_sync = start_off_loop_sync(
            **loop, journal ? &*journal : nullptr, config.journal.sync == config::JournalSync::full);
        dispatch::Dispatcher dispatcher(
            dispatch::DispatcherSettings{
                .node_id = identity->node_id,
                .max_message_bytes = config.protocol.max_message_bytes,
                .max_concurrent = config.executor.max_concurrent,
                .command_public_key = config.security.command_public_key,
                .journal_retention = config.journal.retention,
                .state_dir = config.node.state_dir,
                .on_config_update = on_config_update,
                .on_invalid = [&driver](std::string_view code) {
                    driver.count_invalid_payload(code);
                },
                .on_held = [&arm_approval_expiry] { arm_approval_expiry(); },
                .on_journal_failed = [&driver] { driver.recheck_status(); }},
            journal ? &*journal : nullptr, journal_error, std::move(*policy), runner,
            [&driver](protocol::outbound::Body body) { return driver.send(std::move(body)); },
            [] { return std::chrono::system_clock::now(); });
        dispatcher.recover();
        // Group commit (journal.sync: full): the batch of one loop pass is
        // synced at the start of the next, before poll() waits again; on
        // the loop until one sync takes kSlowJournalSync, then on the sync
        // thread.
        transport::Timer group_commit(**loop);
        dispatcher.enable_group_commit(
            [&group_commit](std::function<void()> flush) {
                group_commit.schedule(std::chrono::microseconds(1), std::move(flush));
            },
            off_loop_sync.thread.get(), kSlowJournalSync);
        // Health goes through the outbox (§3.4): kept first, sent after the
        // results once a welcome arrives, deleted once a pong confirms it.
        OutboxSender outbox(
            **loop, journal ? &*journal : nullptr,
            OutboxSender::Settings{.flush_rate = config.outbox.flush_rate,
                                   .max_message_bytes = config.protocol.max_message_bytes},
            OutboxSender::Link{
                .online = [&driver] { return driver.online(); },
                .send = [&driver](std::string text) { return driver.send_encoded(std::move(text)); },
                .probe = [&driver] { return driver.send_probe(); }});
        driver.set_hooks(SessionDriver::Hooks{
            .on_message = [&](const protocol::InboundMessage& m) { dispatcher.handle(m); },
            .on_online =
                [&] {
                    dispatcher.resend_undelivered();
                    outbox.start_session();
                },
            .backlog =
                [&] {
                    return protocol::outbound::Backlog{dispatcher.backlog_results(),
                                                       outbox.backlog()};
                },
            .capabilities = capabilities(config),
            .sandbox = sandbox,
            .journal = journal_report(journal ? &*journal : nullptr, journal_path),
            .on_pong = [&outbox](std::string_view ref) { outbox.on_pong(ref); },
            .degraded_reason = [&dispatcher]() -> std::optional<std::string> {
                std::string problem = dispatcher.journal_problem();
                if (problem.empty()) return std::nullopt;
                return "no command can run: " + problem;
            },
        });

        // `outpost status`. Without it the agent still does its job, so a
        // socket it cannot serve is an error in the log, not a reason to stop.
        StatusSources status_sources{
            .config = config,
            .identity = *identity,
            .started_at = started_at,
            .driver = driver,
            .dispatcher = dispatcher,
            .sandbox = sandbox,
            .unrunnable = unrunnable,
            .helper = helper,
            .journal_path = journal_path.native(),
            .outbox = outbox,
            .warnings = warnings,
        };
        auto status_server = status::StatusServer::start(
            **loop, config.status.socket,
            [&status_sources] { return status::to_json(collect_status(status_sources)); });
        if (status_server) {
            log::info(kLog, "status: answering `outpost status` on {}", config.status.socket);
        } else {
            log::error(kLog, "status: {}; `outpost status` will not answer",
                       status_server.error().message());
        }

        transport::Timer approval_expiry(**loop);
        arm_approval_expiry = [&] {
            auto next = dispatcher.next_approval_deadline();
            if (!next) {
                approval_expiry.cancel();
                return;
            }
            // The journal expires rows whose deadline is <= now: fire just
            // after. One already due means the last expiry failed (a journal
            // error, logged): try again in a second, not in a tight loop.
            auto delay = std::chrono::duration_cast<std::chrono::microseconds>(
                             *next - std::chrono::system_clock::now()) +
                         std::chrono::milliseconds(1);
            if (delay <= std::chrono::milliseconds(1)) delay = std::chrono::seconds(1);
            approval_expiry.schedule(delay, [&] {
                dispatcher.expire_approvals();
                arm_approval_expiry();
            });
        };
        arm_approval_expiry();

        // protocol.md §3.2: `health` every health.interval (ref null), as
        // well as in answer to health_check; one due while offline is kept
        // in the outbox (§3.4).
        transport::Timer health_report(**loop);
        std::function<void()> report_health = [&] {
            outbox.post(dispatcher.health());
            health_report.schedule(effective.health.interval, report_health);
        };
        health_report.schedule(effective.health.interval, report_health);
        on_health_interval_changed = [&] {
            health_report.schedule(effective.health.interval, report_health);
        };

        transport::Timer maintenance(**loop);
        std::function<void()> maintain = [&] {
            dispatcher.maintain(config.journal.retention);
            driver.recheck_status();  // e.g. degraded once the journal failed
            maintenance.schedule(kMaintenanceEvery, maintain);
        };
        maintain();

        bool stopping = false;
        (*loop)->on_signal([&](int signal) {
            if (signal == SIGHUP) {
                log::info(kLog, "SIGHUP: configuration reload is not supported; restart to apply");
                return;
            }
            if (stopping) return;
            stopping = true;
            log::info(kLog, "{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
            driver.shutdown("agent stopping");
            (*loop)->stop();
        });
        driver.start();
        (*loop)->run();
        maintenance.cancel();
        approval_expiry.cancel();
        health_report.cancel();
        on_health_interval_changed = nullptr;
        // Group commit off and nothing new starts while stopping; what the
        // open batch wrote is made durable.
        group_commit.cancel();
        dispatcher.close_batch();
        // Let the offline status and then the close frame go out, boundedly.
        (*loop)->run_until([&] { return driver.flushed(); }, kDrainLimit);
        driver.close_for_shutdown();
        (*loop)->run_until([&] { return driver.idle(); }, kDrainLimit);
        // Running commands are killed by the runner's destructor; their rows
        // stay `running` and become `interrupted` at the next start.
    }
    // result_ack marks still pending; unwritten, their results would only be
    // re-sent once after the restart (the destructor tries too, silently).
    if (journal) {
        if (auto flushed = journal->flush_delivery_marks(); !flushed) {
            log::warn(kLog, "result_ack marks not written, those results will be re-sent: {}",
                      flushed.error().message());
        }
    }
    log::info(kLog, "stopped");
    return 0;
}

}  // namespace outpost::runtime
