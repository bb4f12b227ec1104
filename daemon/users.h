// The node's users (SPEC "Users, roles and rights"): who may use this node, in which one
// role, identified by their Unix account on the local socket (SO_PEERCRED) or by an API
// token. Kept in the store's "users" family (eventstore/keys.h lists the families); users
// are this node's own and never sync. docs/users.md is the operator's guide.
//
//   key:   "u/" user id
//   value: one unpacked Cap'n Proto message, store::UserRecord (daemon/users.capnp)
//
// Users loads every row when it opens (a node has tens of users, not millions), answers
// Identify from memory, and writes each change to the store (synced) before it changes its
// memory, so what it answers is what a restart reads back. Thread-safe.
//
// Secrets: an API token is shown once, when it is made, and only its SHA-256 is kept; a
// password only as an Argon2id hash (libargon2: t=2, m=19 MiB, p=1, OWASP's minimum;
// 16-byte salt), in the PHC string form "$argon2id$v=19$m=19456,t=2,p=1$SALT$KEY". Stores
// made before Argon2id hold scrypt hashes ("scrypt$15$8$1$SALT$KEY", OpenSSL's
// EVP_PBE_scrypt); those are still checked, so nobody is locked out, and stay as they are
// until the password is next set (docs/web-sign-in.md).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/rights.h"
#include "eventstore/event_store.h"
#include "eventstore/side_table.h"
#include "eventstore/status.h"

namespace holdfast {

struct User {
  std::string id;
  schema::Role role = schema::Role::PROBATION;
  int64_t unix_uid = -1;  // -1: identified by token (or the web) only
  std::string unix_name;  // the account's name when it was mapped
  std::string name;       // the person's name, optional
  bool disabled = false;
  bool has_token = false;
  bool has_password = false;
  int64_t created_at = 0, changed_at = 0;  // unix nanoseconds
};

// What is being asked of Identify: the token the client presented ("" for none) and the
// Unix uid of the socket's other end (-1 when the transport has none).
struct Presented {
  std::string_view token;
  int64_t uid = -1;
  // A web session's user (daemon/web/sessions.h), set only by the daemon's own web front end
  // after a password sign-in; never from anything a client sends. Its credential is what the
  // audit log records ("session 3fa2c1d0").
  std::string_view signed_in_user;
  std::string_view signed_in_credential;
};

// The outcome of identifying a request. `credential` is set either way, for the audit log;
// when `status` is not OK it says why the caller was refused and how to fix it.
struct Identification {
  Status status;
  Caller caller;
};

// A Unix account on this machine, by name or uid (getpwnam_r / getpwuid_r).
struct UnixAccount {
  uid_t uid = 0;
  std::string name;
};
Result<UnixAccount> FindUnixAccount(std::string_view name);
Result<UnixAccount> FindUnixAccount(uid_t uid);

class Users {
 public:
  // The users of `store` (its "users" family, made on first use). Corruption when a row
  // cannot be read back, naming its key.
  static Result<std::unique_ptr<Users>> Open(EventStore* store);

  // Who is asking: the signed-in web user when there is one, else by token when one is given
  // (the uid is then not used), else by uid.
  Identification Identify(const Presented& presented) const;

  // Every user, by id.
  std::vector<User> List() const;
  // Ok while user `id` may act as `role`: enabled, with that role. Else the refusal.
  Status StillActs(std::string_view id, schema::Role role) const;
  // NotFound when there is no such user.
  Result<User> Find(std::string_view id) const;
  // True when the node has no users yet (a store made before users existed).
  bool Empty() const;

  // Adds a user. InvalidArgument for a bad id, a role no person has (system), or a Unix
  // account already mapped to another user (one account is one user; a second role is a
  // second user, reached by token); Conflict when the id is taken.
  Status Add(const User& user);
  // Disables or enables a user: a disabled user's every request is refused at once (the
  // token and sessions stay, and work again when enabled). The node's last enabled operator
  // cannot be disabled.
  Status SetDisabled(std::string_view id, bool disabled);
  // Changes a user's role; not the last enabled operator's.
  Status SetRole(std::string_view id, schema::Role role);
  // A new API token for the user, replacing any it had; returned once, kept only hashed.
  Result<std::string> NewToken(std::string_view id);
  // Sets the user's password (for the web front end): 12 to 1024 bytes of UTF-8.
  Status SetPassword(std::string_view id, std::string_view password);
  // True when `password` is the user's, the user has one and is enabled; constant-time
  // compare. Slow on purpose (a password hash: tens of milliseconds), and as slow when there
  // is no such user, so the time it takes does not say which ids exist. Not for an event
  // loop's thread.
  bool CheckPassword(std::string_view id, std::string_view password) const;

  // Replaces this store's users with `other`'s, in one write (store restore keeps the
  // users of the store it replaces: a restore must not bring back a user since disabled).
  Status AdoptUsers(const Users& other);

 private:
  struct Entry {
    User user;
    std::string token_hash;  // raw 32 bytes; empty: none
    std::string password_hash;
  };
  Users(EventStore* store, SideTable table) : store_(store), table_(std::move(table)) {}
  Status Put(const Entry& entry);  // writes the row, synced; mu_ held exclusively
  Status GuardLastOperator(const Entry& entry, const char* change) const;  // mu_ held
  EventStore* store_;
  SideTable table_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry, std::less<>> by_id_;
  std::map<int64_t, std::string> by_uid_;
  std::map<std::string, std::string, std::less<>> by_token_hash_;
};

// The credential an API token is audited as: "token " and the first 8 hex digits of its
// SHA-256 (the same for the same token; never the token).
std::string TokenCredential(std::string_view token);

// node init: maps the Unix account that runs it as the node's first operator, whose id is
// the account's name (or "operator" when that name is not a valid id). Does nothing when
// the store already has users. Returns the id.
Result<std::string> AddFirstOperator(EventStore* store, const UnixAccount& account);

}  // namespace holdfast
