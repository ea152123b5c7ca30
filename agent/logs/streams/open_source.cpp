#include "agent/logs/streams/open_source.hpp"

#include "agent/logs/file/file_source.hpp"
#include "agent/logs/journal/journal_source.hpp"

namespace outpost::logs::streams {

Expected<std::unique_ptr<LogSource>> open_source(const config::LogSourceEntry& entry,
                                                 const config::LogsConfig& logs) {
    switch (entry.kind) {
        case config::LogSourceKind::file:
            return std::make_unique<file::FileSource>(
                file::FileSourceOptions{.path = entry.path,
                                        .max_line_bytes = entry.max_line_bytes,
                                        .partial_line_timeout = logs.partial_line_timeout});
        case config::LogSourceKind::journal: {
            auto opened = JournalSource::open(entry);
            if (!opened) return std::unexpected(std::move(opened.error()));
            return std::unique_ptr<LogSource>(std::move(*opened));
        }
    }
    return fail(ErrorKind::invalid_input, "a log source of an unknown kind");
}

}  // namespace outpost::logs::streams
