#include "agent/logs/streams/open_source.hpp"

#include "agent/logs/file/file_source.hpp"

namespace outpost::logs::streams {

Expected<std::unique_ptr<LogSource>> open_source(const config::LogSourceEntry& entry,
                                                 const config::LogsConfig& logs) {
    switch (entry.kind) {
        case config::LogSourceKind::file:
            return std::make_unique<file::FileSource>(
                file::FileSourceOptions{.path = entry.path,
                                        .max_line_bytes = entry.max_line_bytes,
                                        .partial_line_timeout = logs.partial_line_timeout});
        case config::LogSourceKind::journal:
            break;
    }
    return fail(ErrorKind::unsupported, "journald sources are not built into this agent yet");
}

}  // namespace outpost::logs::streams
