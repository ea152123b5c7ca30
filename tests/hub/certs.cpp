#include "certs.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "b64.hpp"

namespace outpost::hub {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const { BIO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;

struct Issuer {
    X509* cert;  // nullptr: self-signed
    EVP_PKEY* key;
};

enum class Role { ca, server, client };

Expected<Pkey> new_key() {
    Pkey key(EVP_EC_gen("P-256"));
    if (!key) return fail("EVP_EC_gen(P-256) failed");
    return key;
}

Expected<void> add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) return fail(std::string("bad extension ") + value);
    const int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok) return fail(std::string("cannot add extension ") + value);
    return {};
}

Expected<void> add_extensions(X509* cert, X509* issuer, Role role) {
    struct Ext {
        int nid;
        const char* value;
    };
    std::vector<Ext> exts = {{NID_subject_key_identifier, "hash"}};
    if (cert != issuer) exts.push_back({NID_authority_key_identifier, "keyid:always"});
    switch (role) {
        case Role::ca:
            exts.push_back({NID_basic_constraints, "critical,CA:TRUE,pathlen:0"});
            exts.push_back({NID_key_usage, "critical,keyCertSign,cRLSign"});
            break;
        case Role::server:
            exts.push_back({NID_basic_constraints, "critical,CA:FALSE"});
            exts.push_back({NID_key_usage, "critical,digitalSignature"});
            exts.push_back({NID_ext_key_usage, "serverAuth"});
            exts.push_back({NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"});
            break;
        case Role::client:
            exts.push_back({NID_basic_constraints, "critical,CA:FALSE"});
            exts.push_back({NID_key_usage, "critical,digitalSignature"});
            exts.push_back({NID_ext_key_usage, "clientAuth"});
            break;
    }
    for (const auto& e : exts) {
        if (auto ok = add_ext(cert, issuer, e.nid, e.value); !ok) return ok;
    }
    return {};
}

Expected<Cert> make_cert(EVP_PKEY* key, const char* common_name, Role role, Issuer issuer) {
    Cert cert(X509_new());
    if (!cert) return fail("X509_new failed");
    std::array<unsigned char, 16> serial{};
    if (RAND_bytes_ex(nullptr, serial.data(), serial.size(), 0) != 1) return fail("RAND failed");
    serial[0] &= 0x7F;  // a positive INTEGER
    BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
    ASN1_INTEGER* sn = BN_to_ASN1_INTEGER(bn, nullptr);
    BN_free(bn);
    const bool ok_serial = sn && X509_set_serialNumber(cert.get(), sn);
    ASN1_INTEGER_free(sn);
    if (!ok_serial) return fail("cannot set serial number");

    X509_set_version(cert.get(), 2);  // v3
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 86400);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Outpost test"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509* issuer_cert = issuer.cert ? issuer.cert : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert));
    if (!X509_set_pubkey(cert.get(), key)) return fail("cannot set public key");
    if (auto ok = add_extensions(cert.get(), issuer_cert, role); !ok) {
        return std::unexpected(ok.error());
    }
    if (X509_sign(cert.get(), issuer.key, EVP_sha256()) <= 0) return fail("X509_sign failed");
    return cert;
}

// Writes `data` to `path` with `mode`, replacing the file atomically.
Expected<void> write_file(const std::filesystem::path& path, std::string_view data, mode_t mode) {
    const auto tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return fail("open " + tmp + ": " + std::strerror(errno));
    bool ok = ::fchmod(fd, mode) == 0;
    for (size_t off = 0; ok && off < data.size();) {
        const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        off += ok ? static_cast<size_t>(n) : 0;
    }
    ok = (::close(fd) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        return fail("write " + path.string() + ": " + std::strerror(errno));
    }
    return {};
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(len));
}

Expected<void> write_cert(const std::filesystem::path& path, X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509(bio.get(), cert)) return fail("PEM encoding failed");
    return write_file(path, bio_text(bio.get()), 0644);
}

Expected<void> write_key(const std::filesystem::path& path, EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
        return fail("PEM encoding failed");
    }
    return write_file(path, bio_text(bio.get()), 0600);
}

Expected<std::string> spki_sha256(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key, &der);
    if (len <= 0) return fail("i2d_PUBKEY failed");
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    const int ok =
        EVP_Digest(der, static_cast<size_t>(len), md.data(), &md_len, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    if (!ok) return fail("SHA-256 failed");
    return b64_encode(std::span<const uint8_t>(md.data(), md_len));
}

struct Made {
    Pkey key;
    Cert cert;
};

Expected<Made> make(const char* cn, Role role, Issuer issuer) {
    auto key = new_key();
    if (!key) return std::unexpected(key.error());
    Issuer signer = issuer.key ? issuer : Issuer{nullptr, key->get()};
    auto cert = make_cert(key->get(), cn, role, signer);
    if (!cert) return std::unexpected(cert.error());
    return Made{std::move(*key), std::move(*cert)};
}

Expected<void> save(const std::filesystem::path& dir, const char* stem, const Made& m) {
    if (auto ok = write_cert(dir / (std::string(stem) + ".pem"), m.cert.get()); !ok) return ok;
    return write_key(dir / (std::string(stem) + ".key"), m.key.get());
}

Expected<void> generate(const std::filesystem::path& dir) {
    auto ca = make("Outpost test CA", Role::ca, {nullptr, nullptr});
    if (!ca) return std::unexpected(ca.error());
    auto server = make("localhost", Role::server, {ca->cert.get(), ca->key.get()});
    if (!server) return std::unexpected(server.error());
    auto client = make("outpost test client", Role::client, {ca->cert.get(), ca->key.get()});
    if (!client) return std::unexpected(client.error());
    auto other = make("Unrelated test CA", Role::ca, {nullptr, nullptr});
    if (!other) return std::unexpected(other.error());
    auto pin = spki_sha256(server->key.get());
    if (!pin) return std::unexpected(pin.error());

    for (auto [stem, made] : {std::pair{"ca", &*ca}, std::pair{"server", &*server},
                              std::pair{"client", &*client}, std::pair{"other-ca", &*other}}) {
        if (auto ok = save(dir, stem, *made); !ok) return ok;
    }
    return write_file(dir / "server.spki-sha256", *pin + "\n", 0644);
}

}  // namespace

Expected<void> generate_test_pki(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail("create " + dir + ": " + ec.message());
    if (auto ok = generate(dir); !ok) return std::unexpected(ok.error().context("gen-certs"));
    return {};
}

bool test_pki_present(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    return fs::exists(fs::path(dir) / "server.pem", ec) &&
           fs::exists(fs::path(dir) / "server.key", ec) && fs::exists(fs::path(dir) / "ca.pem", ec);
}

}  // namespace outpost::hub
