#include "agent/metrics/textfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/log/log.hpp"

namespace outpost::metrics {
namespace {

constexpr std::string_view kLog = "metrics";

std::string errno_text() {
    return std::strerror(errno);
}

}  // namespace

Expected<void> write_textfile(const std::string& path, std::string_view text) {
    // node_exporter reads only `*.prom`: the temp name must not end so, or a
    // scrape could read it half written. Same directory: rename is atomic.
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    const std::string temp = dir + "/.outpost-metrics." + std::to_string(::getpid()) + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return fail(ErrorKind::io, "metrics.textfile: " + temp + ": " + errno_text());
    // The umask may have taken bits away: the collector runs as another user.
    bool ok = ::fchmod(fd, 0644) == 0;
    std::size_t written = 0;
    while (ok && written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        if (n > 0) written += static_cast<std::size_t>(n);
    }
    const std::string why = ok ? "" : errno_text();
    if (::close(fd) != 0 && ok) return fail(ErrorKind::io, "metrics.textfile: " + errno_text());
    if (!ok) {
        ::unlink(temp.c_str());
        return fail(ErrorKind::io, "metrics.textfile: writing " + temp + ": " + why);
    }
    // No fsync: the file is rewritten every interval, and a reader after a
    // crash gets the next one; an fsync per interval would wake the disk.
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string rename_error = errno_text();
        ::unlink(temp.c_str());
        return fail(ErrorKind::io, "metrics.textfile: rename to " + path + ": " + rename_error);
    }
    return {};
}

TextfilePublisher::TextfilePublisher(transport::EventLoop& loop, std::string path,
                                     std::chrono::milliseconds interval, Render render)
    : path_(std::move(path)),
      interval_(interval),
      render_(std::move(render)),
      timer_(loop),
      writer_([this] { write_loop(); }) {
    timer_.schedule(std::chrono::microseconds(0), [this] { tick(); });
}

TextfilePublisher::~TextfilePublisher() {
    timer_.cancel();
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void TextfilePublisher::tick() {
    std::string text = render_();
    {
        std::lock_guard lock(mutex_);
        pending_ = std::move(text);  // a text the writer has not taken yet is stale now
    }
    wake_.notify_one();
    timer_.schedule(interval_, [this] { tick(); });
}

void TextfilePublisher::write_loop() {
    for (;;) {
        std::string text;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stop_ || pending_.has_value(); });
            if (stop_) return;
            text = std::move(*pending_);
            pending_.reset();
        }
        auto written = write_textfile(path_, text);
        // Logged when it starts and stops failing, not every interval.
        if (!written && !last_failed_) log::error(kLog, "{}", written.error().message());
        if (written && last_failed_) log::info(kLog, "metrics.textfile: {} written again", path_);
        last_failed_ = !written;
    }
}

}  // namespace outpost::metrics
