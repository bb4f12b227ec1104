// Users and identity (SPEC "Users, roles and rights"): the node knows each CLI caller by
// its Unix account (SO_PEERCRED) or by an API token, never by what the client says. These
// tests make real Unix accounts (useradd), run the CLI as them, and remove them after; they
// need root, as CI has (elsewhere they say so and check nothing).
#include "daemon/users.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <grp.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "daemon/digest.h"
#include "daemon/users.capnp.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "eventstore/side_table.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// A Unix account made for one test (useradd, with a group of its own), removed after.
class UnixAccount {
 public:
  UnixAccount() {
    std::random_device random;
    name_ = "hft" + std::to_string(random() % 1000000);
    auto r = Run({"/usr/sbin/useradd", "--system", "--no-create-home", "--user-group", "--shell",
                  "/usr/sbin/nologin", name_});
    if (r.exit != 0) throw std::runtime_error("useradd " + name_ + " failed: " + r.Describe());
    const passwd* pw = ::getpwnam(name_.c_str());
    if (pw == nullptr) throw std::runtime_error("useradd made no " + name_);
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  ~UnixAccount() { Run({"/usr/sbin/userdel", name_}); }
  UnixAccount(const UnixAccount&) = delete;
  UnixAccount& operator=(const UnixAccount&) = delete;

  const std::string& name() const { return name_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

  // `holdfast ARGS` run as this account against `node` (its socket opened to the account's
  // group first, as an operator would by adding them to the node's group).
  RunResult Cli(const Node& node, const std::vector<std::string>& args, Env env = {}) const {
    ::chmod(ParentOf(node.data_dir()).c_str(), 0755);
    ::chown(node.data_dir().c_str(), 0, gid_);
    ::chown(node.socket().c_str(), 0, gid_);
    ::chown(node.config().c_str(), 0, gid_);
    env["HOLDFAST_CONFIG"] = node.config();
    RunOptions options;
    options.as_uid = uid_;
    return Holdfast(args, env, options);
  }

 private:
  static RunResult Run(const std::vector<std::string>& args) { return Child::Start(args)->Wait(); }
  static std::string ParentOf(const std::string& path) {
    return path.substr(0, path.find_last_of('/'));
  }
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

bool IsRoot() {
  if (::geteuid() == 0) return true;
  WARN("not root: these tests make Unix accounts with useradd, so they run only as root (CI)");
  return false;
}

std::string UnixName() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "?";
}

const std::vector<std::string> kOpenC1 = {"case",      "open", "--case",        "C-1",
                                          "--subject", "P-1",  "--order",       "licence",
                                          "--risk",    "high", "--lead-agency", "probation-ce"};

}  // namespace

TEST_CASE("node init makes the Unix user who ran it the node's first operator", "[users]") {
  StartedNode n;
  auto list = Ok(n.node, {"users", "list", "--format", "csv"}, "");
  INFO(list.out);
  CHECK(Contains(list.out, UnixName() + ",operator," + UnixName() + ",,enabled,no,no,"));
}

TEST_CASE(
    "the CLI is known by its Unix account: unmapped is refused and audited, mapped acts as its "
    "user, disabled is refused at once",
    "[users][unix]") {
  if (!IsRoot()) return;
  StartedNode n;
  UnixAccount u;

  auto unmapped = u.Cli(n.node, {"case", "list"});
  INFO(unmapped.Describe());
  CHECK(IsOneLineFailure(unmapped));
  CHECK(Contains(unmapped.err, "Unix user " + u.name() + " (uid " + std::to_string(u.uid()) +
                                   ") is not a user of this node"));
  CHECK(Contains(unmapped.err, "holdfast users add --id ID --role ROLE --unix-user " + u.name()));
  auto audit = Ok(n.node, {"audit", "list", "--format", "csv"}, "");
  INFO(audit.out);
  CHECK(Contains(audit.out, ",,,case-list,,permission denied"));

  Ok(n.node, {"users", "add", "--id", "po-u", "--role", "probation", "--unix-user", u.name()}, "");
  auto opened = u.Cli(n.node, kOpenC1);
  INFO(opened.Describe());
  REQUIRE(opened.exit == 0);
  const auto exported = n.node.Export();
  REQUIRE(exported.size() == 1);
  CHECK(Contains(exported[0],
                 R"("author":{"user":"po-u","role":"probation","agency":"probation-ce"})"));

  Ok(n.node, {"users", "disable", "--id", "po-u"}, "");
  auto disabled = u.Cli(n.node, {"case", "list"});
  INFO(disabled.Describe());
  CHECK(IsOneLineFailure(disabled));
  CHECK(Contains(disabled.err, "user po-u is disabled on this node"));
  Ok(n.node, {"users", "enable", "--id", "po-u"}, "");
  CHECK(u.Cli(n.node, {"case", "list"}).exit == 0);

  // A new role takes effect on the next request: police may not open cases.
  Ok(n.node, {"users", "role", "--id", "po-u", "--role", "police"}, "");
  auto as_police = u.Cli(n.node, {"case", "open", "--case", "C-2", "--subject", "P-2", "--order",
                                  "licence", "--risk", "high", "--lead-agency", "probation-ce"});
  INFO(as_police.Describe());
  CHECK(IsOneLineFailure(as_police));
  CHECK(Contains(as_police.err, "police"));
  CHECK(n.node.Export().size() == 1);
}

TEST_CASE("no flag or variable chooses a role or a user", "[users][unix]") {
  if (!IsRoot()) return;
  StartedNode n;
  UnixAccount u;
  Ok(n.node, {"users", "add", "--id", "po-u", "--role", "probation", "--unix-user", u.name()}, "");
  for (const auto& flag : std::vector<std::string>{"--role", "--user"}) {
    auto r = u.Cli(n.node, {"export", flag, "operator"});
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "unrecognised option '" + flag + "'"));
  }
  // The old variables are ignored, and said to be.
  auto r = u.Cli(n.node, {"export"}, {{"HOLDFAST_ROLE", "operator"}, {"HOLDFAST_USER", "root"}});
  INFO(r.Describe());
  CHECK(r.exit != 0);
  CHECK(Contains(r.err, "HOLDFAST_ROLE is ignored"));
  CHECK(Contains(r.err, "export is for the operator role, not probation"));
  // A config with the old [client] identity is refused, naming the fix.
  WriteFile(n.dir / "old.conf", ReadFile(n.node.config()) + "\n[client]\nrole = operator\n");
  auto old = Holdfast({"users", "list", "--config", n.dir / "old.conf"});
  INFO(old.Describe());
  CHECK(IsOneLineFailure(old));
  CHECK(Contains(old.err, "client.role is no longer read"));
  // Empty, as node init wrote them before users existed, they claim nothing: read as nothing.
  WriteFile(n.dir / "empty.conf", ReadFile(n.node.config()) + "\n[client]\nuser =\nrole =\n");
  CHECK(Holdfast({"users", "list", "--config", n.dir / "empty.conf"}).exit == 0);
}

TEST_CASE(
    "an API token acts for its user, and a replaced token, a disabled user's token and a token "
    "file others can read are refused",
    "[users][token]") {
  StartedNode n;
  Ok(n.node, kOpenC1, "probation");
  Ok(n.node, {"users", "add", "--id", "pc-1", "--role", "police"}, "");
  auto token = Ok(n.node, {"users", "token", "--id", "pc-1"}, "");
  const std::string file = n.dir / "pc-1.token";
  WriteFile(file, token.out);
  ::chmod(file.c_str(), 0600);
  const Env with_token = {{"HOLDFAST_CONFIG", n.node.config()}, {"HOLDFAST_TOKEN_FILE", file}};

  auto list = Holdfast({"case", "list"}, with_token);
  INFO(list.Describe());
  CHECK(list.exit == 0);
  CHECK(Contains(list.out, "C-1"));
  // The same with --token-file; the audit log names the user and how it was known.
  CHECK(Holdfast({"case", "list", "--token-file", file, "--config", n.node.config()}).exit == 0);
  auto audit = Ok(n.node, {"audit", "list", "--format", "csv"}, "");
  CHECK(Contains(audit.out, ",pc-1,police,case-list,,ok"));

  ::chmod(file.c_str(), 0644);
  auto open_file = Holdfast({"case", "list"}, with_token);
  INFO(open_file.Describe());
  CHECK(IsOneLineFailure(open_file));
  CHECK(Contains(open_file.err, "others may read it (mode 0644); make it yours alone: chmod 600"));
  ::chmod(file.c_str(), 0600);

  Ok(n.node, {"users", "disable", "--id", "pc-1"}, "");
  auto disabled = Holdfast({"case", "list"}, with_token);
  CHECK(IsOneLineFailure(disabled));
  CHECK(Contains(disabled.err, "user pc-1 is disabled"));
  Ok(n.node, {"users", "enable", "--id", "pc-1"}, "");

  Ok(n.node, {"users", "token", "--id", "pc-1"}, "");  // a new one: the old stops working
  auto replaced = Holdfast({"case", "list"}, with_token);
  INFO(replaced.Describe());
  CHECK(IsOneLineFailure(replaced));
  CHECK(Contains(replaced.err, "is not one this node knows"));
  CHECK(Contains(replaced.err, "holdfast users token"));
  audit = Ok(n.node, {"audit", "list", "--format", "csv"}, "");
  CHECK(Contains(audit.out, ",,,case-list,,permission denied"));
  CHECK(!Contains(audit.out, "hft_"));  // never the token itself

  // Nothing of the token reaches the daemon's log either.
  CHECK(!Contains(n.node.Log(), "hft_"));
}

TEST_CASE("users add refuses what would make a user ambiguous or the node unmanageable",
          "[users]") {
  StartedNode n;
  auto missing = n.node.Cli(
      {"users", "add", "--id", "x", "--role", "probation", "--unix-user", "no-such-user-hf"}, "");
  CHECK(IsOneLineFailure(missing));
  CHECK(Contains(missing.err, "there is no Unix user no-such-user-hf on this machine"));

  auto twice = n.node.Cli(
      {"users", "add", "--id", "po-root", "--role", "probation", "--unix-user", UnixName()}, "");
  INFO(twice.Describe());
  CHECK(IsOneLineFailure(twice));
  CHECK(Contains(twice.err, "one Unix account is one user"));

  auto role = n.node.Cli({"users", "add", "--id", "x", "--role", "system"}, "");
  CHECK(IsOneLineFailure(role));
  CHECK(Contains(role.err, "--role"));

  Ok(n.node, {"users", "add", "--id", "po-1", "--role", "probation"}, "");
  auto dup = n.node.Cli({"users", "add", "--id", "po-1", "--role", "police"}, "");
  CHECK(IsOneLineFailure(dup));
  CHECK(Contains(dup.err, "user po-1 already exists"));

  // The node's only operator cannot be locked out; one with no Unix account and no token
  // cannot get in, so does not count.
  Ok(n.node, {"users", "add", "--id", "op-nobody", "--role", "operator"}, "");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"users", "disable", "--id", UnixName()},
           {"users", "role", "--id", UnixName(), "--role", "probation"}}) {
    auto r = n.node.Cli(args, "");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "the node's only enabled operator with a Unix account or a token"));
  }
  auto nobody = n.node.Cli({"users", "disable", "--id", "nobody-here"}, "");
  CHECK(IsOneLineFailure(nobody));
  CHECK(Contains(nobody.err, "no user nobody-here"));

  // Every change is audited, with the user changed as its target.
  auto audit = Ok(n.node, {"audit", "list", "--format", "csv"}, "");
  INFO(audit.out);
  CHECK(Contains(audit.out, ",users-add,po-1,ok"));
  CHECK(Contains(audit.out, ",users-change," + UnixName() + " disable,invalid argument"));

  // A person's user survives a restart.
  REQUIRE(n.node.Stop() == 0);
  n.node.Start();
  CHECK(Contains(Ok(n.node, {"users", "list"}, "").out, "po-1"));
}

TEST_CASE("a password is kept only hashed, and a short one is refused", "[users][password]") {
  StartedNode n;
  Ok(n.node, {"users", "add", "--id", "po-1", "--role", "probation"}, "");
  RunOptions short_one;
  short_one.stdin_data = "hunter2\n";
  auto r = n.node.Cli({"users", "password", "--id", "po-1"}, "", Node::kDefaultUser, short_one);
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "12 to 1024 characters"));
  RunOptions good;
  good.stdin_data = "correct horse battery staple\n";
  CHECK(n.node.Cli({"users", "password", "--id", "po-1"}, "", Node::kDefaultUser, good).exit == 0);
  CHECK(Contains(Ok(n.node, {"users", "list", "--format", "csv"}, "").out,
                 "po-1,probation,,,enabled,no,yes,"));
  REQUIRE(n.node.Stop() == 0);
  // The store holds an scrypt hash, never the password.
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(n.node.data_dir())) {
    if (entry.is_regular_file()) all += ReadFile(entry.path());
  }
  CHECK(!Contains(all, "correct horse battery staple"));
  // Argon2id at OWASP's minimum cost, in the PHC string form (daemon/users.h).
  CHECK(Contains(all, "$argon2id$v=19$m=19456,t=2,p=1$"));
  CHECK(!Contains(all, "scrypt$"));
  // The password from the pipe is the line without its newline (nor a \r before it).
  StoreOptions options;
  options.node_id = "probation-1";
  options.reserved_bytes = 0;
  auto store = EventStore::Open(n.node.data_dir() + "/store", options);
  REQUIRE(store.ok());
  auto users = Users::Open(store->get());
  REQUIRE(users.ok());
  CHECK((*users)->CheckPassword("po-1", "correct horse battery staple"));
  CHECK(!(*users)->CheckPassword("po-1", "correct horse battery staple\n"));
  CHECK(!(*users)->CheckPassword("po-1", "correct horse battery stapl"));
  CHECK(!(*users)->CheckPassword("po-2", "correct horse battery staple"));
}

TEST_CASE("a password piped with a CRLF line end is the line without it", "[users][password]") {
  StartedNode n;
  Ok(n.node, {"users", "add", "--id", "po-1", "--role", "probation"}, "");
  RunOptions crlf;
  crlf.stdin_data = "a phrase from windows\r\n";
  auto r = n.node.Cli({"users", "password", "--id", "po-1"}, "", Node::kDefaultUser, crlf);
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  REQUIRE(n.node.Stop() == 0);
  StoreOptions options;
  options.node_id = "probation-1";
  options.reserved_bytes = 0;
  auto store = EventStore::Open(n.node.data_dir() + "/store", options);
  REQUIRE(store.ok());
  auto users = Users::Open(store->get());
  REQUIRE(users.ok());
  CHECK((*users)->CheckPassword("po-1", "a phrase from windows"));
  CHECK(!(*users)->CheckPassword("po-1", "a phrase from windows\r"));
}

TEST_CASE("a password hashed with scrypt, before Argon2id, still signs in", "[users][password]") {
  TempDir dir;
  StoreOptions options;
  options.node_id = "probation-1";
  options.sync = false;
  options.reserved_bytes = 0;
  auto store = EventStore::Open(dir / "store", options);
  REQUIRE(store.ok());
  {
    auto users = Users::Open(store->get());
    REQUIRE(users.ok());
    User user;
    user.id = "po-1";
    user.role = schema::Role::PROBATION;
    REQUIRE((*users)->Add(user).ok());
  }
  // The row as holdfast wrote it before: "scrypt$LOGN$R$P$SALT$KEY" (hex), EVP_PBE_scrypt
  // with N=2^15, r=8, p=1, a 16-byte salt and a 32-byte key.
  const std::string password = "an old pass phrase";
  const std::string salt = "0123456789abcdef";
  std::string key(32, '\0');
  REQUIRE(EVP_PBE_scrypt(password.data(), password.size(),
                         reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                         uint64_t{1} << 15, 8, 1, 256u << 20,
                         reinterpret_cast<unsigned char*>(key.data()), key.size()) == 1);
  const std::string hash = "scrypt$15$8$1$" + Hex(salt) + "$" + Hex(key);
  {
    capnp::MallocMessageBuilder message;
    auto r = message.initRoot<store::UserRecord>();
    r.setId("po-1");
    r.setRole(schema::Role::PROBATION);
    r.setUnixUid(-1);
    r.setPasswordHash(hash);
    auto words = capnp::messageToFlatArray(message);
    auto bytes = words.asBytes();
    auto table = (*store)->Table(keys::kUsersFamily);
    REQUIRE(table.ok());
    SideBatch batch;
    batch.Put(*table, "u/po-1",
              std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
    REQUIRE((*store)->Write(batch, true).ok());
  }
  auto users = Users::Open(store->get());
  REQUIRE(users.ok());
  CHECK((*users)->Find("po-1")->has_password);
  CHECK((*users)->CheckPassword("po-1", password));
  CHECK(!(*users)->CheckPassword("po-1", "an old pass phrasE"));
  // Setting the password again hashes it with Argon2id; the old one no longer works.
  REQUIRE((*users)->SetPassword("po-1", "a new pass phrase").ok());
  CHECK((*users)->CheckPassword("po-1", "a new pass phrase"));
  CHECK(!(*users)->CheckPassword("po-1", password));
}

TEST_CASE("store restore by a Unix account the node does not know is refused", "[users][restore]") {
  if (!IsRoot()) return;
  StartedNode n;
  UnixAccount u;
  Ok(n.node, {"store", "backup", n.dir / "backup"}, "");
  REQUIRE(n.node.Stop() == 0);
  // The account may open the store's files (the node's group, as a careless operator might
  // set it up): what refuses it is who it is.
  for (const auto& e : std::filesystem::recursive_directory_iterator(n.node.data_dir())) {
    ::chown(e.path().c_str(), 0, u.gid());
    ::chmod(e.path().c_str(), e.is_directory() ? 0770 : 0660);
  }
  ::chmod(n.dir.path().c_str(), 0755);
  ::chmod(n.node.data_dir().c_str(), 0770);
  auto r = u.Cli(n.node, {"store", "restore", n.dir / "backup"});
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "Unix user " + u.name() + " (uid " + std::to_string(u.uid()) +
                            ") is not a user of this node"));
  ::chmod(n.dir.path().c_str(), 0700);
}

}  // namespace holdfast::test

namespace holdfast::test {

TEST_CASE("a disabled user's alerts watch ends at the next alert, saying why", "[users][alerts]") {
  StartedNode n;
  Ok(n.node, kOpenC1, "probation");
  int next = 0;
  auto breach = [&] {
    Ok(n.node,
       {"breach", "report", "--case", "C-1", "--kind", "recall", "--at",
        "2025-05-" + std::to_string(10 + (++next % 18)) + "T12:00:00Z"},
       "probation");
  };
  RunOptions options;
  options.stdout_path = n.dir / "watch.out";
  options.stderr_path = n.dir / "watch.err";
  auto watch = Child::Start({HoldfastPath(), "alerts", "watch", "--format", "json"},
                            n.node.ClientEnv("police", "pc-1"), options);
  // Subscribed once it has printed an alert (a watch prints only alerts raised after it asked).
  const auto patience = Scaled(milliseconds(20000));
  REQUIRE(WaitUntil(patience, [&] {
    breach();
    return WaitUntil(milliseconds(300),
                     [&] { return Contains(ReadFile(n.dir / "watch.out"), "\"breach\""); });
  }));
  Ok(n.node, {"users", "disable", "--id", "pc-1"}, "");
  const std::string seen = ReadFile(n.dir / "watch.out");
  breach();
  auto ended = watch->Wait(patience);
  INFO(ended.Describe() << "\nstderr: " << ReadFile(n.dir / "watch.err"));
  CHECK(ended.exit == 1);
  CHECK(Contains(ReadFile(n.dir / "watch.err"), "user pc-1 is disabled on this node"));
  CHECK(ReadFile(n.dir / "watch.out") == seen);  // nothing more reached them
}

}  // namespace holdfast::test
