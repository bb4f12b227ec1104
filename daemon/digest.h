// SHA-256 and hex, for the daemon's secrets and records: the audit log's chain
// (daemon/audit.h) and the users' token hashes and password salts (daemon/users.h).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast {

// The 32-byte SHA-256 of the parts, one after the other (OpenSSL's EVP).
std::string Sha256(std::initializer_list<std::string_view> parts);
// Lowercase hex of the bytes.
std::string Hex(std::string_view bytes);
// The bytes of lowercase hex; nullopt for an odd length or a character that is not one.
std::optional<std::string> FromHex(std::string_view hex);

}  // namespace holdfast
