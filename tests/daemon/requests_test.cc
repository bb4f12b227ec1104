// The daemon's request table (daemon/requests.h): every kind of request in api.capnp has its
// row, and the rights it names are the ones the daemon enforces. The handler is driven
// directly, without a socket, on a real store in a temporary directory, as a transport other
// than the socket would drive it; `store restore`, which the CLI checks itself, through the
// real CLI.
#include "daemon/requests.h"

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/audit.h"
#include "daemon/handler.h"
#include "daemon/rights.h"
#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/daemon/harness.h"
#include "tests/support/sync_not_configured.h"

namespace holdfast::test {
namespace {

using holdfast::testing::SyncNotConfigured;

// A node's request handler over a real store, audit log and projector, with no server.
struct HandlerNode {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Users> users;
  std::unique_ptr<Projector> projector;
  SyncNotConfigured sync;
  std::unique_ptr<RequestHandler> handler;

  HandlerNode() {
    StoreOptions options;
    options.node_id = "probation-1";
    options.sync = false;
    auto s = EventStore::Open(dir / "store", options);
    REQUIRE(s.ok());
    store = std::move(s).value();
    auto a = AuditLog::Open(store.get());
    REQUIRE(a.ok());
    audit = std::move(a).value();
    auto u = Users::Open(store.get());
    REQUIRE(u.ok());
    users = std::move(u).value();
    auto p = Projector::Open(store.get(), RuleConfig{});
    REQUIRE(p.ok());
    projector = std::move(p).value();
    handler = std::make_unique<RequestHandler>(
        store.get(), audit.get(), users.get(), projector.get(), &sync,
        NodeIdentity{"probation-1", "probation-ce", "probation", "Europe/London"});
    // One user of each role, each known by its token.
    for (auto role : {schema::Role::PROBATION, schema::Role::FACILITATOR, schema::Role::POLICE,
                      schema::Role::ANALYST, schema::Role::OPERATOR}) {
      User user;
      user.id = UserOf(role);
      user.role = role;
      REQUIRE(users->Add(user).ok());
      auto token = users->NewToken(user.id);
      REQUIRE(token.ok());
      tokens[role] = *token;
    }
  }

  // The id of the user of `role`: "probation-7".
  static std::string UserOf(schema::Role role) { return RoleName(role) + "-7"; }
  std::map<schema::Role, std::string> tokens;

  // The newest audit entry.
  AuditRecord LastAudit() const {
    auto recent = audit->Recent(1);
    REQUIRE(recent.ok());
    REQUIRE(recent->size() == 1);
    return recent->front();
  }
};

capnp::StructSchema::Field UnionFieldOf(api::Request::Which which) {
  for (auto field : capnp::Schema::from<api::Request>().getUnionFields()) {
    if (field.getProto().getDiscriminantValue() == static_cast<uint16_t>(which)) return field;
  }
  FAIL("api::Request has no union field for kind " << static_cast<int>(which));
  throw std::logic_error("unreachable");
}

// A request of this kind as `role`, with a body of the field's type: a text "x", one empty
// event, an empty struct, or nothing.
void FillRequest(const HandlerNode& n, api::Request::Builder request, api::Request::Which which,
                 schema::Role role) {
  request.initIdentity().setToken(n.tokens.at(role));
  auto field = UnionFieldOf(which);
  capnp::DynamicStruct::Builder dynamic = request;
  switch (field.getType().which()) {
    case capnp::schema::Type::VOID:
      dynamic.set(field, capnp::VOID);
      break;
    case capnp::schema::Type::TEXT:
      dynamic.set(field, "x");
      break;
    case capnp::schema::Type::LIST:
      dynamic.init(field, 1);
      break;
    default:
      dynamic.init(field);
  }
  REQUIRE(request.which() == which);
}

std::string FieldName(api::Request::Which which) {
  return UnionFieldOf(which).getProto().getName();
}

const std::vector<schema::Role> kNonOperatorRoles = {schema::Role::PROBATION,
                                                     schema::Role::FACILITATOR,
                                                     schema::Role::POLICE, schema::Role::ANALYST};

}  // namespace

TEST_CASE("every kind of request has exactly one row in the request table, with a verb and a right",
          "[requests]") {
  const auto fields = capnp::Schema::from<api::Request>().getUnionFields();
  CHECK(RequestKinds().size() == fields.size());
  std::set<std::string> verbs, commands;
  for (auto field : fields) {
    const auto which = static_cast<api::Request::Which>(field.getProto().getDiscriminantValue());
    INFO("api::Request." << field.getProto().getName().cStr());
    size_t rows = 0;
    for (const auto& kind : RequestKinds()) rows += kind.which == which ? 1 : 0;
    CHECK(rows == 1);
    const RequestKind* kind = FindRequestKind(which);
    REQUIRE(kind != nullptr);
    CHECK(kind->which == which);
    REQUIRE(kind->verb != nullptr);
    REQUIRE(kind->command != nullptr);
    CHECK(!std::string(kind->verb).empty());
    CHECK(!std::string(kind->command).empty());
    CHECK(verbs.insert(kind->verb).second);  // the audit log tells verbs apart
    CHECK(commands.insert(kind->command).second);
    CHECK((kind->right == Right::kAnyRole || kind->right == Right::kReadCases ||
           kind->right == Right::kReports || kind->right == Right::kQuality ||
           kind->right == Right::kCaseWork || kind->right == Right::kOperator));
    CHECK((kind->audit == AuditTarget::kNotAudited || kind->audit == AuditTarget::kNone ||
           kind->audit == AuditTarget::kRequest || kind->audit == AuditTarget::kHandler));
    // A row reads its target from the request exactly when it says so.
    CHECK((kind->audit == AuditTarget::kRequest) == (kind->target != nullptr));
    CHECK(kind->handle != nullptr);
  }
  // A discriminant past the schema's (a newer client's request) has no row.
  CHECK(FindRequestKind(static_cast<api::Request::Which>(fields.size())) == nullptr);
}

TEST_CASE("the audit log names each kind of request as it always has", "[requests][audit]") {
  // Audit entries are kept for years and read by scripts: a renamed verb would split them.
  const std::map<std::string, std::string> verb_of_field = {
      {"ping", "ping"},
      {"append", "append"},
      {"import", "import"},
      {"readLog", "export"},
      {"readStream", "read-stream"},
      {"listCases", "case-list"},
      {"storeVerify", "store-verify"},
      {"storeStats", "store-stats"},
      {"storeBackup", "store-backup"},
      {"auditList", "audit-list"},
      {"listAlerts", "alerts-list"},
      {"watchAlerts", "alerts-watch"},
      {"indicators", "report-indicators"},
      {"rebuildProjections", "projections-rebuild"},
      {"peersList", "peers-list"},
      {"peersAdd", "peers-add"},
      {"peersRemove", "peers-remove"},
      {"syncStatus", "sync-status"},
      {"syncNow", "sync-now"},
      {"usersList", "users-list"},
      {"usersAdd", "users-add"},
      {"usersChange", "users-change"},
      {"usersToken", "users-token"},
      {"usersPassword", "users-password"},
      {"auditVerify", "audit-verify"},
      {"qualityReport", "report-quality"},
      {"caseShow", "case-show"},
      {"subjectShow", "subject-show"},
      {"sessionRoster", "session-roster"},
      {"watchFeed", "alerts-feed"},
      {"resolveAlert", "alert-id"},
      {"hooksAdd", "hooks-add"},
      {"hooksList", "hooks-list"},
      {"hooksRemove", "hooks-remove"},
      {"hooksStatus", "hooks-status"},
      {"hooksRetry", "hooks-retry"},
  };
  std::map<std::string, std::string> table;
  for (const auto& kind : RequestKinds()) table[FieldName(kind.which)] = kind.verb;
  CHECK(table == verb_of_field);
}

TEST_CASE("the operator's verbs are the ones they always were, but sync status",
          "[requests][roles]") {
  // Every role may see sync status (counts only): a facilitator on a laptop can tell
  // whether their records have gone.
  const std::set<std::string> expected = {"import",
                                          "export",
                                          "store verify",
                                          "store stats",
                                          "store backup",
                                          "audit list",
                                          "projections rebuild",
                                          "peers list",
                                          "peers add",
                                          "peers remove",
                                          "sync now",
                                          "users list",
                                          "users add",
                                          "users disable|enable|role",
                                          "users token",
                                          "users password",
                                          "audit verify",
                                          "hooks add",
                                          "hooks list",
                                          "hooks remove",
                                          "hooks status",
                                          "hooks retry"};
  std::set<std::string> operator_commands;
  for (const auto& kind : RequestKinds()) {
    if (kind.right == Right::kOperator) operator_commands.insert(kind.command);
  }
  CHECK(operator_commands == expected);
}

TEST_CASE("a non-operator gets the same refusal for every operator verb, audited, writing nothing",
          "[requests][roles]") {
  HandlerNode n;
  size_t operator_rows = 0;
  for (const auto& kind : RequestKinds()) {
    if (kind.right != Right::kOperator) continue;
    ++operator_rows;
    for (auto role : kNonOperatorRoles) {
      INFO(kind.command << " as " << RoleName(role));
      capnp::MallocMessageBuilder request_message, response_message;
      auto request = request_message.initRoot<api::Request>();
      FillRequest(n, request, kind.which, role);
      auto response = response_message.initRoot<api::Response>();
      n.handler->Handle(request.asReader(), response);
      REQUIRE(response.isError());
      CHECK(response.getError().getCode() == api::Error::Code::PERMISSION_DENIED);
      CHECK(std::string(response.getError().getMessage().cStr()) ==
            std::string(kind.command) + " is for the operator role, not " + RoleName(role) +
                "; ask an operator of this node to act, or for a user of that role (holdfast "
                "users add)");
      const AuditRecord entry = n.LastAudit();
      CHECK(entry.user == HandlerNode::UserOf(role));
      CHECK(entry.role == RoleName(role));
      CHECK(entry.verb == kind.verb);
      CHECK(entry.outcome == "permission denied");
      CHECK(entry.target == (kind.audit == AuditTarget::kRequest ? kind.target(request.asReader())
                                                                 : std::string()));
    }
  }
  CHECK(operator_rows == 22);
  CHECK(n.store->LastPosition() == 0);
  CHECK(n.sync.ListPeers()->empty());
}

TEST_CASE("the operator is not refused any operator verb for its role", "[requests][roles]") {
  HandlerNode n;
  for (const auto& kind : RequestKinds()) {
    if (kind.right != Right::kOperator) continue;
    INFO(kind.command);
    capnp::MallocMessageBuilder request_message, response_message;
    auto request = request_message.initRoot<api::Request>();
    FillRequest(n, request, kind.which, schema::Role::OPERATOR);
    auto response = response_message.initRoot<api::Response>();
    n.handler->Handle(request.asReader(), response);
    // Some of these bodies are not requests that can succeed ("x" is no backup directory);
    // what matters is that the role was let through to them.
    if (response.isError()) {
      INFO(response.getError().getMessage().cStr());
      CHECK(response.getError().getCode() != api::Error::Code::PERMISSION_DENIED);
    }
    CHECK(n.LastAudit().verb == kind.verb);
  }
}

TEST_CASE("the daemon itself refuses an imported alert.raised unless the request is with derived",
          "[requests][import][derived]") {
  // A client need not be the CLI: the refusal is the daemon's, and so is the audit entry.
  HandlerNode n;
  const std::string id = "7f0c2a4e-5d1b-4c8e-9a51-00000000000b";
  auto raised = EventFromJson(
      "{\"id\":\"" + id +
      "\",\"type\":\"alert.raised\",\"occurred_at\":\"2025-03-07T10:00:00Z\",\"author\":{"
      "\"user\":\"holdfastd\",\"role\":\"system\",\"agency\":\"holdfast\"},\"data\":{\"alert\":"
      "\"0b5a3c1e-0000-5000-8000-000000000001\",\"rule\":\"dropout\",\"case\":\"C-1\","
      "\"subject\":\"P-1\",\"intervention\":\"I-1\",\"severity\":\"high\",\"trigger\":"
      "\"7f0c2a4e-5d1b-4c8e-9a51-000000000009\",\"reason\":\"left I-1 early: non_compliance\"}}");
  REQUIRE(raised.ok());
  for (const bool with_derived : {false, true}) {
    INFO("importWithDerived " << with_derived);
    capnp::MallocMessageBuilder request_message, response_message;
    auto request = request_message.initRoot<api::Request>();
    request.initIdentity().setToken(n.tokens.at(schema::Role::OPERATOR));
    request.setImportWithDerived(with_derived);
    request.initImport(1).setWithCaveats(0, raised->reader());
    auto response = response_message.initRoot<api::Response>();
    n.handler->Handle(request.asReader(), response);
    REQUIRE(response.isAppended());
    REQUIRE(response.getAppended().size() == 1);
    const std::string refused = response.getAppended()[0].getRefused().cStr();
    const AuditRecord entry = n.LastAudit();
    CHECK(entry.user == "operator-7");
    CHECK(entry.credential.rfind("token ", 0) == 0);
    if (!with_derived) {
      CHECK(refused == "alert.raised " + id +
                           " is derived: only a node's own alert rules write alert.raised and "
                           "alert.withdrawn; import them only from an export you trust, with "
                           "--with-derived");
      CHECK(n.store->LastPosition() == 0);
      CHECK(entry.verb == "import");
      CHECK(entry.target == "alert.raised " + id);
      CHECK(entry.outcome == "permission denied");
    } else {
      CHECK(refused.empty());
      CHECK(n.store->LastPosition() == 1);
      CHECK(entry.verb == "import-with-derived");
      CHECK(entry.target.empty());
      CHECK(entry.outcome == "ok");
    }
  }
}

TEST_CASE("store restore, which runs with the daemon stopped, needs the operator's right too",
          "[requests][roles][restore]") {
  TempDir dir;
  Node node(dir / "n1");
  node.Start();
  std::map<schema::Role, Env> env;
  for (auto role : kNonOperatorRoles) env[role] = node.ClientEnv(RoleName(role), RoleName(role));
  REQUIRE(node.Stop() == 0);  // restore runs with the daemon stopped
  const std::string backup = dir / "no-such-backup";
  for (auto role : kNonOperatorRoles) {
    // The CLI asks the store's users, as the daemon would: a token of a user of this role.
    auto r = Holdfast({"store", "restore", backup}, env[role]);
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "store restore is for the operator role, not " + RoleName(role)));
  }
  // The operator (the Unix account that ran node init) gets past the role, to the backup.
  auto r = node.Cli({"store", "restore", backup}, "operator");
  INFO(r.Describe());
  CHECK(r.exit != 0);
  CHECK(!Contains(r.err, "operator role"));
  CHECK(Contains(r.err, "no-such-backup"));
}

}  // namespace holdfast::test
