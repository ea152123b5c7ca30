// CATCH_CONFIG_EXTERNAL_INTERFACES makes the listener base class visible.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace {

bool g_failed = false;

// Remembers whether the current test case had a failed assertion, so the
// process wrappers know to print what their processes said.
struct FailureListener : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;
    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        g_failed = false;
        TestEventListenerBase::testCaseStarting(info);
    }
    bool assertionEnded(const Catch::AssertionStats& stats) override {
        if (!stats.assertionResult.isOk()) g_failed = true;
        return TestEventListenerBase::assertionEnded(stats);
    }
};

}  // namespace

CATCH_REGISTER_LISTENER(FailureListener)

namespace outpost::integration {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int free_loopback_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(fd);
        throw std::runtime_error("bind/getsockname failed");
    }
    close(fd);
    return ntohs(addr.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    do {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(fd);
        if (ok) return true;
        ChildProcess::pump(50ms);
    } while (Clock::now() < deadline);
    return false;
}

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

bool current_test_failed() {
    return g_failed || std::uncaught_exceptions() > 0;
}

void print_block(const std::string& header, const std::string& text) {
    std::cerr << "----- " << header << " -----\n" << text;
    if (!text.empty() && text.back() != '\n') std::cerr << "\n";
    std::cerr << "----- end of " << header << " -----\n";
}

}  // namespace outpost::integration
