#include "daemon/users.h"

#include <argon2.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>

#include "daemon/digest.h"
#include "daemon/users.capnp.h"
#include "eventstore/keys.h"
#include "eventstore/validate.h"

namespace holdfast {
namespace {

constexpr std::string_view kRowPrefix = "u/";
constexpr size_t kTokenBytes = 32;
constexpr const char* kTokenPrefix = "hft_";
constexpr size_t kMinPassword = 12;
constexpr size_t kMaxPassword = 1024;
// Argon2id's cost: OWASP's minimum for it (Password Storage Cheat Sheet: m=19 MiB, t=2,
// p=1), a hash in some tens of milliseconds and 19 MiB while it runs. 16-byte salt from
// RAND_bytes, 32-byte key, kept in the PHC string form libargon2 writes:
// "$argon2id$v=19$m=19456,t=2,p=1$SALT$KEY" (base64, no padding).
constexpr uint32_t kArgon2TimeCost = 2, kArgon2MemoryKiB = 19456, kArgon2Lanes = 1;
constexpr size_t kArgon2SaltBytes = 16, kArgon2KeyBytes = 32;
constexpr std::string_view kArgon2Prefix = "$argon2id$";
// Stores made before Argon2id hold scrypt hashes, "scrypt$LOGN$R$P$SALT$KEY" (salt and key
// in hex; OpenSSL's EVP_PBE_scrypt, N=2^15, r=8, p=1). They are still checked, so nobody is
// locked out; new passwords are never hashed so.

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Status::Unavailable("the system's random number generator failed");
  }
  return out;
}

Result<std::string> HashPassword(std::string_view password) {
  auto salt = RandomBytes(kArgon2SaltBytes);
  if (!salt.ok()) return salt.status();
  std::string encoded(argon2_encodedlen(kArgon2TimeCost, kArgon2MemoryKiB, kArgon2Lanes,
                                        kArgon2SaltBytes, kArgon2KeyBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(kArgon2TimeCost, kArgon2MemoryKiB, kArgon2Lanes,
                                       password.data(), password.size(), salt->data(), salt->size(),
                                       kArgon2KeyBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Status::Unavailable(std::string("argon2id failed: ") + argon2_error_message(rc));
  }
  encoded.resize(strlen(encoded.c_str()));  // argon2_encodedlen counts the final NUL
  return encoded;
}

// A stored Argon2id hash whose cost is not beyond what this node would ever have written
// many times over: a damaged row must not make one check take gigabytes or minutes.
bool Argon2CostIsSane(const std::string& stored) {
  unsigned version = 0, memory = 0, time = 0, lanes = 0;
  if (sscanf(stored.c_str(), "$argon2id$v=%u$m=%u,t=%u,p=%u$", &version, &memory, &time, &lanes) !=
      4) {
    return false;
  }
  return memory <= (1u << 20) && time <= 16 && lanes <= 8;
}

Result<std::string> Scrypt(std::string_view password, std::string_view salt, uint64_t log_n,
                           uint64_t r, uint64_t p) {
  std::string key(32, '\0');
  if (log_n > 20 || r > 16 || p > 4) return Status::Corruption("a password hash of unknown cost");
  const uint64_t n = uint64_t{1} << log_n;
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r, p,
                     256u << 20, reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1) {
    return Status::Unavailable("scrypt failed");
  }
  return key;
}

// An scrypt hash from a store made before Argon2id (verification only).
bool ScryptMatches(const std::string& stored, std::string_view password) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (;;) {
    size_t at = stored.find('$', from);
    parts.push_back(stored.substr(from, at - from));
    if (at == std::string::npos) break;
    from = at + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  uint64_t log_n = 0, r = 0, p = 0;
  try {
    log_n = std::stoull(parts[1]);
    r = std::stoull(parts[2]);
    p = std::stoull(parts[3]);
  } catch (const std::exception&) {
    return false;
  }
  const std::string salt = FromHex(parts[4]).value_or(""), want = FromHex(parts[5]).value_or("");
  if (salt.empty() || want.size() != 32) return false;
  auto key = Scrypt(password, salt, log_n, r, p);
  return key.ok() && CRYPTO_memcmp(key->data(), want.data(), want.size()) == 0;
}

bool PasswordMatches(const std::string& stored, std::string_view password) {
  if (stored.compare(0, kArgon2Prefix.size(), kArgon2Prefix) == 0) {
    // argon2id_verify compares in constant time.
    return Argon2CostIsSane(stored) &&
           argon2id_verify(stored.c_str(), password.data(), password.size()) == ARGON2_OK;
  }
  return ScryptMatches(stored, password);
}

// What CheckPassword compares against when there is nothing to compare (no such user, a
// disabled one, one with no password), so that a check takes as long as a real one and the
// time it takes tells nobody which user ids exist. Made once, of a random password.
const std::string& DummyHash() {
  static const std::string hash = [] {
    auto random = RandomBytes(kArgon2SaltBytes);
    auto made = HashPassword(random.ok() ? Hex(*random) : "no such password");
    return made.ok() ? *made : std::string();
  }();
  return hash;
}

std::string Encode(const User& user, const std::string& token_hash,
                   const std::string& password_hash) {
  capnp::MallocMessageBuilder message;
  auto r = message.initRoot<store::UserRecord>();
  r.setId(user.id);
  r.setRole(user.role);
  r.setUnixUid(user.unix_uid);
  r.setUnixName(user.unix_name);
  r.setName(user.name);
  r.setDisabled(user.disabled);
  r.setTokenHash(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(token_hash.data()),
                                     token_hash.size()));
  r.setPasswordHash(password_hash);
  r.setCreatedAt(user.created_at);
  r.setChangedAt(user.changed_at);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsPersonRole(schema::Role role) {
  switch (role) {
    case schema::Role::PROBATION:
    case schema::Role::FACILITATOR:
    case schema::Role::POLICE:
    case schema::Role::ANALYST:
    case schema::Role::OPERATOR:
      return true;
    case schema::Role::SYSTEM:
      return false;
  }
  return false;
}

// An operator who can get in: enabled, with a Unix account or a token.
bool CanManage(const User& user) {
  return user.role == schema::Role::OPERATOR && !user.disabled &&
         (user.unix_uid >= 0 || user.has_token);
}

Status NoSuchUser(std::string_view id) {
  return Status::NotFound("no user " + std::string(id) +
                          " on this node; holdfast users list shows who there is");
}

}  // namespace

Result<UnixAccount> FindUnixAccount(std::string_view name) {
  std::string n(name);
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  const int rc = getpwnam_r(n.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return Status::NotFound("there is no Unix user " + n +
                            " on this machine (create it first, e.g. adduser " + n + ")");
  }
  return UnixAccount{found->pw_uid, found->pw_name};
}

Result<UnixAccount> FindUnixAccount(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  const int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return Status::NotFound("uid " + std::to_string(uid) + " has no name on this machine");
  }
  return UnixAccount{found->pw_uid, found->pw_name};
}

std::string TokenCredential(std::string_view token) {
  return "token " + Hex(Sha256({token})).substr(0, 8);
}

Result<std::unique_ptr<Users>> Users::Open(EventStore* store) {
  auto table = store->Table(keys::kUsersFamily);
  if (!table.ok()) return table.status();
  std::unique_ptr<Users> users(new Users(store, *table));
  Status bad;
  Status s = users->table_.Scan(kRowPrefix, [&](std::string_view key, std::string_view value) {
    try {
      if (value.size() % sizeof(capnp::word) != 0) throw std::runtime_error("not whole words");
      kj::Array<capnp::word> words = kj::heapArray<capnp::word>(value.size() / sizeof(capnp::word));
      memcpy(words.begin(), value.data(), value.size());
      capnp::FlatArrayMessageReader message(words);
      auto r = message.getRoot<store::UserRecord>();
      Entry e;
      e.user.id = r.getId();
      e.user.role = r.getRole();
      e.user.unix_uid = r.getUnixUid();
      e.user.unix_name = r.getUnixName();
      e.user.name = r.getName();
      e.user.disabled = r.getDisabled();
      auto hash = r.getTokenHash();
      e.token_hash.assign(reinterpret_cast<const char*>(hash.begin()), hash.size());
      e.password_hash = r.getPasswordHash();
      e.user.has_token = !e.token_hash.empty();
      e.user.has_password = !e.password_hash.empty();
      e.user.created_at = r.getCreatedAt();
      e.user.changed_at = r.getChangedAt();
      if (key.substr(kRowPrefix.size()) != e.user.id) throw std::runtime_error("id differs");
      if (e.user.unix_uid >= 0) users->by_uid_[e.user.unix_uid] = e.user.id;
      if (!e.token_hash.empty()) users->by_token_hash_[e.token_hash] = e.user.id;
      users->by_id_[e.user.id] = std::move(e);
    } catch (const std::exception& ex) {
      bad = Status::Corruption("the users table's row " + std::string(key) +
                               " cannot be read: " + ex.what());
      return false;
    } catch (const kj::Exception& ex) {
      bad = Status::Corruption("the users table's row " + std::string(key) +
                               " cannot be read: " + ex.getDescription().cStr());
      return false;
    }
    return true;
  });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return users;
}

Identification Users::Identify(const Presented& presented) const {
  Identification out;
  std::shared_lock lock(mu_);
  const Entry* entry = nullptr;
  if (!presented.signed_in_user.empty()) {
    out.caller.credential = std::string(presented.signed_in_credential);
    auto it = by_id_.find(presented.signed_in_user);
    if (it == by_id_.end()) {
      out.status = Status::PermissionDenied("your session's user is no longer on this node");
      return out;
    }
    entry = &it->second;
  } else if (!presented.token.empty()) {
    out.caller.credential = TokenCredential(presented.token);
    auto it = by_token_hash_.find(Sha256({presented.token}));
    if (it == by_token_hash_.end()) {
      out.status = Status::PermissionDenied(
          "the API token in your token file is not one this node knows (mistyped, replaced by "
          "a newer one, or from another node); ask an operator for a new one: holdfast users "
          "token --id YOUR-ID");
      return out;
    }
    entry = &by_id_.find(it->second)->second;
  } else if (presented.uid >= 0) {
    out.caller.credential = "uid " + std::to_string(presented.uid);
    auto it = by_uid_.find(presented.uid);
    if (it == by_uid_.end()) {
      auto account = FindUnixAccount(static_cast<uid_t>(presented.uid));
      const std::string name = account.ok() ? account->name : "NAME";
      out.status = Status::PermissionDenied(
          "Unix user " + (account.ok() ? account->name + " (uid " : "(uid ") +
          std::to_string(presented.uid) +
          ") is not a user of this node; an operator can add you with: holdfast users add --id "
          "ID --role ROLE --unix-user " +
          name + " (or give you a token file: holdfast users token)");
      return out;
    }
    entry = &by_id_.find(it->second)->second;
  } else {
    out.caller.credential = "none";
    out.status = Status::PermissionDenied(
        "this connection carries no identity: present an API token (--token-file)");
    return out;
  }
  out.caller.user = entry->user.id;
  out.caller.role = entry->user.role;
  if (entry->user.disabled) {
    out.status = Status::PermissionDenied("user " + entry->user.id +
                                          " is disabled on this node; an operator can enable it "
                                          "(holdfast users enable --id " +
                                          entry->user.id + ")");
  }
  return out;
}

std::vector<User> Users::List() const {
  std::shared_lock lock(mu_);
  std::vector<User> out;
  for (const auto& [id, e] : by_id_) out.push_back(e.user);
  return out;
}

Status Users::StillActs(std::string_view id, schema::Role role) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NoSuchUser(id);
  if (it->second.user.disabled) {
    return Status::PermissionDenied("user " + it->second.user.id +
                                    " is disabled on this node; an operator can enable it "
                                    "(holdfast users enable --id " +
                                    it->second.user.id + ")");
  }
  if (it->second.user.role != role) {
    return Status::PermissionDenied("user " + it->second.user.id + " is now " +
                                    RoleName(it->second.user.role) + ", not " + RoleName(role) +
                                    ": start again to act in the new role");
  }
  return Status::Ok();
}

Result<User> Users::Find(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NoSuchUser(id);
  return it->second.user;
}

bool Users::Empty() const {
  std::shared_lock lock(mu_);
  return by_id_.empty();
}

Status Users::Put(const Entry& entry) {
  SideBatch batch;
  batch.Put(table_, std::string(kRowPrefix) + entry.user.id,
            Encode(entry.user, entry.token_hash, entry.password_hash));
  return store_->Write(batch, /*sync=*/true);
}

Status Users::Add(const User& user) {
  if (!IsIdentifier(user.id) || FindInvalidUtf8(user.id) != std::string_view::npos) {
    return Status::InvalidArgument(
        "--id: not a valid user id (1 to 128 characters of UTF-8, no spaces or control "
        "characters)");
  }
  if (!IsPersonRole(user.role)) {
    return Status::InvalidArgument(
        "--role: a user's role is probation, facilitator, police, analyst or operator");
  }
  if (user.name.size() > 256 || FindInvalidUtf8(user.name) != std::string_view::npos) {
    return Status::InvalidArgument("--name: at most 256 bytes of UTF-8");
  }
  std::unique_lock lock(mu_);
  if (by_id_.count(user.id)) {
    return Status::Conflict("user " + user.id + " already exists; holdfast users role --id " +
                            user.id + " changes its role");
  }
  if (user.unix_uid >= 0) {
    auto it = by_uid_.find(user.unix_uid);
    if (it != by_uid_.end()) {
      return Status::InvalidArgument(
          "--unix-user: " + user.unix_name + " is already user " + it->second +
          "; one Unix account is one user (give a second role its own user, reached by a "
          "token: holdfast users token)");
    }
  }
  Entry e;
  e.user = user;
  e.user.disabled = false;
  e.user.has_token = e.user.has_password = false;
  e.user.created_at = e.user.changed_at = Now();
  HOLDFAST_RETURN_IF_ERROR(Put(e));
  if (e.user.unix_uid >= 0) by_uid_[e.user.unix_uid] = e.user.id;
  by_id_[e.user.id] = std::move(e);
  return Status::Ok();
}

Status Users::GuardLastOperator(const Entry& entry, const char* change) const {
  if (!CanManage(entry.user)) return Status::Ok();
  for (const auto& [id, other] : by_id_) {
    if (id != entry.user.id && CanManage(other.user)) return Status::Ok();
  }
  return Status::InvalidArgument(std::string(change) + " " + entry.user.id +
                                 ": it is the node's only enabled operator with a Unix account "
                                 "or a token, and nobody could manage the node after; add "
                                 "another operator first");
}

Status Users::SetDisabled(std::string_view id, bool disabled) {
  std::unique_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NoSuchUser(id);
  if (it->second.user.disabled == disabled) return Status::Ok();
  if (disabled) HOLDFAST_RETURN_IF_ERROR(GuardLastOperator(it->second, "cannot disable"));
  Entry e = it->second;
  e.user.disabled = disabled;
  e.user.changed_at = Now();
  HOLDFAST_RETURN_IF_ERROR(Put(e));
  it->second = std::move(e);
  return Status::Ok();
}

Status Users::SetRole(std::string_view id, schema::Role role) {
  if (!IsPersonRole(role)) {
    return Status::InvalidArgument(
        "--role: a user's role is probation, facilitator, police, analyst or operator");
  }
  std::unique_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NoSuchUser(id);
  if (it->second.user.role == role) return Status::Ok();
  HOLDFAST_RETURN_IF_ERROR(GuardLastOperator(it->second, "cannot change the role of"));
  Entry e = it->second;
  e.user.role = role;
  e.user.changed_at = Now();
  HOLDFAST_RETURN_IF_ERROR(Put(e));
  it->second = std::move(e);
  return Status::Ok();
}

Result<std::string> Users::NewToken(std::string_view id) {
  auto secret = RandomBytes(kTokenBytes);
  if (!secret.ok()) return secret.status();
  const std::string token = kTokenPrefix + Hex(*secret);
  std::unique_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NoSuchUser(id);
  Entry e = it->second;
  e.token_hash = Sha256({token});
  e.user.has_token = true;
  e.user.changed_at = Now();
  HOLDFAST_RETURN_IF_ERROR(Put(e));
  if (!it->second.token_hash.empty()) by_token_hash_.erase(it->second.token_hash);
  by_token_hash_[e.token_hash] = e.user.id;
  it->second = std::move(e);
  return token;
}

Status Users::SetPassword(std::string_view id, std::string_view password) {
  if (password.size() < kMinPassword || password.size() > kMaxPassword ||
      FindInvalidUtf8(password) != std::string_view::npos) {
    return Status::InvalidArgument(
        "password: give 12 to 1024 characters of UTF-8 (a phrase of "
        "a few words is easy to remember and hard to guess)");
  }
  {
    std::shared_lock lock(mu_);
    if (!by_id_.count(id)) return NoSuchUser(id);
  }
  auto hash = HashPassword(password);  // slow on purpose: not under the lock
  if (!hash.ok()) return hash.status();
  std::unique_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NoSuchUser(id);
  Entry e = it->second;
  e.password_hash = *hash;
  e.user.has_password = true;
  e.user.changed_at = Now();
  HOLDFAST_RETURN_IF_ERROR(Put(e));
  it->second = std::move(e);
  return Status::Ok();
}

bool Users::CheckPassword(std::string_view id, std::string_view password) const {
  std::string stored;
  bool may = false;
  {
    std::shared_lock lock(mu_);
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      stored = it->second.password_hash;
      may = !it->second.user.disabled && !stored.empty();
    }
  }
  if (!may) {
    PasswordMatches(DummyHash(), password);  // the same work, so no id shows by its time
    return false;
  }
  return PasswordMatches(stored, password);
}

Status Users::AdoptUsers(const Users& other) {
  std::vector<Entry> entries;
  {
    std::shared_lock lock(other.mu_);
    for (const auto& [id, e] : other.by_id_) entries.push_back(e);
  }
  std::unique_lock lock(mu_);
  SideBatch batch;
  const std::string from(kRowPrefix), to = std::string(kRowPrefix.substr(0, 1)) + "0";  // "u0"
  batch.DeleteRange(table_, from, to);
  for (const auto& e : entries) {
    batch.Put(table_, std::string(kRowPrefix) + e.user.id,
              Encode(e.user, e.token_hash, e.password_hash));
  }
  HOLDFAST_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  by_id_.clear();
  by_uid_.clear();
  by_token_hash_.clear();
  for (auto& e : entries) {
    if (e.user.unix_uid >= 0) by_uid_[e.user.unix_uid] = e.user.id;
    if (!e.token_hash.empty()) by_token_hash_[e.token_hash] = e.user.id;
    by_id_[e.user.id] = std::move(e);
  }
  return Status::Ok();
}

Result<std::string> AddFirstOperator(EventStore* store, const UnixAccount& account) {
  auto users = Users::Open(store);
  if (!users.ok()) return users.status();
  if (!(*users)->Empty()) return std::string();
  User op;
  op.id = IsIdentifier(account.name) ? account.name : "operator";
  op.role = schema::Role::OPERATOR;
  op.unix_uid = account.uid;
  op.unix_name = account.name;
  op.name = "";
  HOLDFAST_RETURN_IF_ERROR((*users)->Add(op));
  return op.id;
}

}  // namespace holdfast
