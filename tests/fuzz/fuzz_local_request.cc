// The local socket's request path on arbitrary bytes, as holdfastd runs it for a client:
// the byte stream is cut into frames (FrameDecoder), and each frame is answered by
// AnswerRequestFrame (daemon/local_server.h): decoded as an api::Request with bounded
// traversal, checked and carried out by the RequestHandler against a real store in a
// scratch directory (deriving alerts; a fresh one every 1,000 inputs), and answered with a
// frame.
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - every answer is one well-formed frame holding an api::Response;
// - an error answer's message is one line.
// Not carried out: `store backup`, which would write a copy of the store to whatever
// directory the input names, and `projections rebuild`, which takes no input but the
// caller's identity and costs 200 ms (ingesting table files) where other requests take
// well under one (the incremental fold reads every event the target stores all the same).
// Sync is not configured on this node (as on a node without [sync] keys), so peer verbs are
// answered as such a node answers them.
#include <capnp/serialize.h>

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "daemon/audit.h"
#include "daemon/handler.h"
#include "daemon/local_server.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/sync_not_configured.h"
#include "wire/frame.h"

using namespace holdfast;

namespace {

using holdfast::testing::SyncNotConfigured;

// Checks each frame the handler sends: interim ones (progress) and the final answer.
void CheckResponseFrame(const std::string& bytes, const char* which) {
  FrameDecoder decoder;
  Status s = decoder.Feed(bytes.data(), bytes.size());
  fuzz::Require(s.ok(), std::string(which) + " is not a frame: " + s.ToString());
  auto words = decoder.Next();
  fuzz::Require(words.size() > 0 && decoder.buffered() == 0 && decoder.Next().size() == 0,
                std::string(which) + " is not exactly one frame");
  auto frame = Frame::Parse(std::move(words));
  fuzz::Require(frame.ok(), std::string(which) + " does not decode: " + frame.status().ToString());
  try {
    auto response = (*frame)->root<api::Response>();
    if (response.isError()) {
      const std::string message = response.getError().getMessage();
      fuzz::Require(fuzz::IsOneLineMessage(message),
                    std::string(which) + "'s error is not one line: " + message);
    }
  } catch (const kj::Exception& ex) {
    fuzz::Broken(std::string(which) + " is not a Response: " + ex.getDescription().cStr());
  }
}

class CheckingChannel : public ResponseChannel {
 public:
  void SendInterim(capnp::MessageBuilder& message) override {
    CheckResponseFrame(EncodeFrame(message), "an interim response");
  }
  bool SendPage(capnp::MessageBuilder& message) override {
    CheckResponseFrame(EncodeFrame(message), "a page of a listing");
    return true;  // a client that reads every page
  }
};

constexpr int64_t kOperatorUid = 0, kProbationUid = 1;

struct Node {
  fuzz::ScratchDir dir{fuzz::kScratchPrefix};
  std::unique_ptr<EventStore> store;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Users> users;
  std::unique_ptr<Projector> projector;
  SyncNotConfigured sync;
  std::unique_ptr<RequestHandler> handler;

  Node() {
    StoreOptions options;
    options.node_id = "probation-1";
    options.sync = false;  // nothing here needs to survive a power cut; speed does
    auto s = EventStore::Open(dir.path() + "/store", options);
    fuzz::Require(s.ok(), "cannot open the store: " + s.status().ToString());
    store = std::move(s).value();
    auto a = AuditLog::Open(store.get());
    fuzz::Require(a.ok(), "cannot open the audit log: " + a.status().ToString());
    audit = std::move(a).value();
    RuleConfig rules;
    rules.derive = true;
    auto p = Projector::Open(store.get(), rules);
    fuzz::Require(p.ok(), "cannot open the projector: " + p.status().ToString());
    projector = std::move(p).value();
    auto u = Users::Open(store.get());
    fuzz::Require(u.ok(), "cannot open the users: " + u.status().ToString());
    users = std::move(u).value();
    // Two callers, by uid, so inputs reach both the operator's verbs and case work.
    for (const auto& [id, role, uid] : {std::tuple{"op", schema::Role::OPERATOR, kOperatorUid},
                                        std::tuple{"po", schema::Role::PROBATION, kProbationUid}}) {
      User user;
      user.id = id;
      user.role = role;
      user.unix_uid = uid;
      fuzz::Require(users->Add(user).ok(), "cannot add the fuzzer's users");
    }
    handler = std::make_unique<RequestHandler>(
        store.get(), audit.get(), users.get(), projector.get(), &sync,
        NodeIdentity{"probation-1", "probation-ce", "probation", "Europe/London"});
  }
};

bool NotCarriedOut(const kj::Array<capnp::word>& words) {
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr(), ApiReaderOptions());
    auto request = reader.getRoot<api::Request>();
    // A password is hashed with Argon2id on purpose slowly: it would slow the fuzzer to a crawl.
    return request.isStoreBackup() || request.isRebuildProjections() || request.isUsersPassword();
  } catch (const kj::Exception&) {
    return false;  // not a request at all: AnswerRequestFrame says so
  }
}

}  // namespace

// Every this many inputs the node starts again from an empty store: its audit log and log
// grow with every input, and listings that read them whole would slow the target to a crawl.
constexpr int kInputsPerNode = 1000;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Deleted only here, never at exit: RocksDB's own statics may be gone by then, and a store
  // closing after them crashes (ops/fuzz removes the scratch directories).
  static Node* current = nullptr;
  static int inputs = 0;
  if (current == nullptr || ++inputs % kInputsPerNode == 0) {
    delete current;  // the old store closes and its directory goes before the new one opens
    current = new Node();
  }
  Node& node = *current;
  CheckingChannel channel;
  FrameDecoder decoder;
  // The server reads in pieces of up to 64 KiB; feed in two pieces to cross a boundary.
  const size_t half = size / 2;
  Status fed = decoder.Feed(reinterpret_cast<const char*>(data), half);
  if (fed.ok()) fed = decoder.Feed(reinterpret_cast<const char*>(data) + half, size - half);
  // On a framing error the server answers what it has cut so far, then closes.
  for (auto words = decoder.Next(); words.size() > 0; words = decoder.Next()) {
    if (NotCarriedOut(words)) continue;
    const int64_t uid = (inputs % 2 == 0) ? kOperatorUid : kProbationUid;
    CheckResponseFrame(AnswerRequestFrame(node.handler.get(), std::move(words), &channel, uid),
                       "the answer");
  }
  if (!fed.ok()) {
    fuzz::Require(fuzz::IsOneLineMessage(fed.message()),
                  "a framing error is not one line: " + fed.message());
  }
  return 0;
}
