// The operator's sync verbs: peers list|add|remove, sync status|now.
#include <iostream>

#include "cli/cli.h"

namespace holdfast::cli {
namespace {

std::string Ago(const Context& ctx, int64_t at) {
  if (at == 0) return "never";
  return ShowTime(ctx, at - at % 1000000000LL);
}

api::Response::Reader PeersOf(Context& ctx, std::unique_ptr<Frame>* keep, bool status) {
  capnp::MallocMessageBuilder message;
  auto request = NewRequest(message, ctx);
  if (status) {
    request.setSyncStatus();
  } else {
    request.setPeersList();
  }
  *keep = ctx.Call(message);
  return (*keep)->root<api::Response>();
}

// A table's notes under its rows: "police-1: NOTE", one a line.
void PrintNotes(const std::vector<std::string>& notes) {
  if (notes.empty()) return;
  std::cout << "\n";
  for (const auto& n : notes) std::cout << "note: " << n << "\n";
}

int PeersList(Context& ctx) {
  std::unique_ptr<Frame> reply;
  Table t({"peer", "address", "agreement", "source", "connected", "note"});
  for (auto p : PeersOf(ctx, &reply, false).getPeers()) {
    t.Add({p.getId(), p.getAddress().size() ? p.getAddress().cStr() : "(accepts only)", p.getSend(),
           p.getSource(), p.getConnected() ? "yes" : "no", p.getNote()});
  }
  t.Print(ctx.format, std::cout);
  return 0;
}

// What a role other than operator sees: the counts, never addresses, errors or agreements.
int SyncStatusCounts(Context& ctx, api::Response::Reader response) {
  Table t({"peer", "connected", "last_contact", "behind_in", "behind_out"},
          {false, false, false, true, true});
  for (auto p : response.getPeers()) {
    t.Add({p.getId(), p.getConnected() ? "yes" : "no", Ago(ctx, p.getLastContact()),
           std::to_string(p.getBehindIn()), std::to_string(p.getBehindOut())});
  }
  t.Print(ctx.format, std::cout);
  return 0;
}

int SyncStatus(Context& ctx) {
  std::unique_ptr<Frame> reply;
  auto response = PeersOf(ctx, &reply, true);
  for (auto p : response.getPeers()) {
    if (p.getCountsOnly()) return SyncStatusCounts(ctx, response);
  }
  // The certificate notice is the node's, the same on every row: a table says it once,
  // under the rows; json and csv carry it as a field of each. A table says each peer's
  // note under the rows too.
  const bool table = ctx.format == "table";
  std::vector<std::string> columns = {"peer",      "agreement",  "connected",  "last_contact",
                                      "behind_in", "behind_out", "events_in",  "events_out",
                                      "bytes_in",  "bytes_out",  "last_error", "conflict"};
  std::vector<bool> numeric = {false, false, false, false, true,  true,
                               true,  true,  true,  true,  false, false};
  if (!table) {
    columns.push_back("certificate");
    numeric.push_back(false);
    columns.push_back("note");
    numeric.push_back(false);
  }
  Table t(columns, numeric);
  std::string certificate;
  std::vector<std::string> notes;
  for (auto p : response.getPeers()) {
    certificate = p.getCertificate();
    if (p.getNote().size() > 0) notes.push_back(std::string(p.getId()) + ": " + p.getNote().cStr());
    // "behind 0" says nothing of the origins no longer taken from a peer whose log split
    // from ours: the conflict column names them.
    std::string conflict;
    for (auto c : p.getConflicts()) conflict += (conflict.empty() ? "" : "; ") + std::string(c);
    std::vector<std::string> row = {p.getId(),
                                    p.getSend(),
                                    p.getConnected() ? "yes" : "no",
                                    Ago(ctx, p.getLastContact()),
                                    std::to_string(p.getBehindIn()),
                                    std::to_string(p.getBehindOut()),
                                    std::to_string(p.getEventsIn()),
                                    std::to_string(p.getEventsOut()),
                                    std::to_string(p.getBytesIn()),
                                    std::to_string(p.getBytesOut()),
                                    p.getLastError(),
                                    conflict};
    if (!table) {
      row.push_back(certificate);
      row.push_back(p.getNote());
    }
    t.Add(std::move(row));
  }
  t.Print(ctx.format, std::cout);
  if (table && !certificate.empty()) std::cout << "\ncertificate: " << certificate << "\n";
  if (table) PrintNotes(notes);
  return 0;
}

int PeersAdd(Context& ctx) {
  if (!ctx.vm.count("id"))
    throw CliError{kExitUsage, "--id is required (see holdfast help peers add)"};
  // Nothing is shared by default: the operator says what the peer may receive.
  if (!ctx.vm.count("send")) {
    throw CliError{kExitUsage,
                   "--send is required: name what the peer may receive: all, police, provider, "
                   "probation, partnership, or event type prefixes such as alert.,breach."};
  }
  const std::string id = ctx.vm["id"].as<std::string>();
  {
    capnp::MallocMessageBuilder message;
    auto info = NewRequest(message, ctx).initPeersAdd();
    info.setId(id);
    if (ctx.vm.count("address")) info.setAddress(ctx.vm["address"].as<std::string>());
    info.setSend(ctx.vm["send"].as<std::string>());
    ctx.Call(message);
  }
  std::cout << "peer " << id << " added; the daemon is linking to it\n";
  // Its agreement may keep alert acknowledgements made here from it: say so now.
  std::unique_ptr<Frame> reply;
  for (auto p : PeersOf(ctx, &reply, false).getPeers()) {
    if (p.getId() == id && p.getNote().size() > 0) {
      std::cerr << "warning: " << id << ": " << p.getNote().cStr() << "\n";
    }
  }
  return 0;
}

int PeersRemove(Context& ctx) {
  if (!ctx.vm.count("id"))
    throw CliError{kExitUsage, "--id is required (see holdfast help peers remove)"};
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setPeersRemove(ctx.vm["id"].as<std::string>());
  ctx.Call(message);
  std::cout << "peer " << ctx.vm["id"].as<std::string>() << " removed\n";
  return 0;
}

// One line per peer: what happened on stdout, why it was not reached on stderr (and the
// exit status is then 1).
int SyncNow(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setSyncNow(ctx.vm.count("peer") ? ctx.vm["peer"].as<std::string>() : "");
  auto reply = ctx.Call(message);
  auto response = reply->root<api::Response>();
  if (!response.isPeers()) {  // a daemon from before sync now waited
    std::cout << "sync started; see `holdfast sync status`\n";
    return 0;
  }
  int status = 0;
  if (response.getPeers().size() == 0) std::cout << "no peers: see holdfast peers add\n";
  for (auto p : response.getPeers()) {
    const std::string id = p.getId();
    if (!p.getConnected()) {
      std::cerr << "holdfast: sync now: " << id << ": " << p.getLastError().cStr() << "\n";
      status = kExitFailed;
      continue;
    }
    const std::string moved = std::to_string(p.getEventsOut()) + " events sent, " +
                              std::to_string(p.getEventsIn()) + " received";
    if (std::string(p.getNote()) == "caught up") {
      std::cout << id << ": in step: " << moved << "\n";
    } else {
      std::cout << id << ": linked, still syncing after 10 s: " << moved
                << " so far; see holdfast sync status\n";
    }
  }
  return status;
}

}  // namespace

void AddSyncVerbs(std::vector<Verb>* verbs) {
  auto none = [](po::options_description&) {};
  verbs->push_back(MakeVerb("peers list", "List this node's peers and what each may receive",
                            "peers list", "holdfast peers list", none, PeersList));
  verbs->push_back(MakeVerb(
      "peers add", "Add a peer (kept in the store; the daemon links at once)",
      "peers add --id NODE [--address HOST:PORT] --send AGREEMENT",
      "holdfast peers add --id police-1 --address 10.0.0.7:7400 --send police",
      [](po::options_description& d) {
        d.add_options()("id", po::value<std::string>(),
                        "the peer's node id (its certificate's name)")(
            "address", po::value<std::string>(), "HOST:PORT to dial (omit to only accept from it)")(
            "send", po::value<std::string>(),
            "what it may receive (required): all, police, provider, probation, partnership, or "
            "event type prefixes, comma separated");
      },
      PeersAdd));
  verbs->push_back(MakeVerb(
      "peers remove", "Remove a peer added with peers add", "peers remove --id NODE",
      "holdfast peers remove --id police-1",
      [](po::options_description& d) {
        d.add_options()("id", po::value<std::string>(), "the peer's node id");
      },
      PeersRemove));
  verbs->push_back(MakeVerb(
      "sync status",
      "Per peer: agreement, connected, last contact, events behind each way, traffic, last "
      "error (every role: counts only but for operators)",
      "sync status", "holdfast sync status", none, SyncStatus));
  verbs->push_back(MakeVerb(
      "sync now", "Link with peers now and wait (up to 10 s) until each is in step or says why not",
      "sync now [--peer NODE]", "holdfast sync now --peer provider-1",
      [](po::options_description& d) {
        d.add_options()("peer", po::value<std::string>(), "only this peer");
      },
      SyncNow));
}

}  // namespace holdfast::cli
