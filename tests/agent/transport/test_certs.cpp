#include "test_certs.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace outpost::transport::test {
namespace {

void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

std::string read_output(const std::string& command) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed");
    char buf[256];
    while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

struct OwnedPki : TestPki {
    OwnedPki() {
        char templ[] = "/tmp/outpost-transport-pki-XXXXXX";
        if (mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir = templ;
        const std::string d = dir.string();
        const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        for (const std::string name : {"ca", "other"}) {
            run("openssl req -x509 " + ec + " -keyout " + d + "/" + name + ".key -out " + d + "/" +
                name + ".pem -days 2 -subj '/CN=Outpost test " + name +
                "' -addext basicConstraints=critical,CA:TRUE"
                " -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null");
        }
        std::ofstream(d + "/server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                            "basicConstraints=CA:FALSE\n"
                                            "extendedKeyUsage=serverAuth\n";
        run("openssl req " + ec + " -keyout " + d + "/server.key -out " + d +
            "/server.csr -subj /CN=localhost 2>/dev/null");
        run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
            "/ca.key -CAcreateserial -out " + d + "/server.pem -days 2 -extfile " + d +
            "/server.ext 2>/dev/null");
        ca_cert = d + "/ca.pem";
        other_ca_cert = d + "/other.pem";
        server_cert = d + "/server.pem";
        server_key = d + "/server.key";
        const auto pin_of = [](const std::string& cert) {
            return read_output("openssl x509 -in " + cert +
                               " -pubkey -noout | openssl pkey -pubin -outform der |"
                               " openssl dgst -sha256 -binary | base64");
        };
        server_pin = pin_of(server_cert);
        ca_pin = pin_of(ca_cert);
        other_ca_pin = pin_of(other_ca_cert);
    }
    ~OwnedPki() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

}  // namespace

const TestPki& test_pki() {
    static const OwnedPki pki;
    return pki;
}

}  // namespace outpost::transport::test
