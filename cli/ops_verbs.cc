// The operator's verbs: node init, store verify|stats|backup|restore, audit list|verify.
#include <sys/stat.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/cli.h"
#include "daemon/rights.h"
#include "daemon/store_restore.h"
#include "daemon/users.h"
#include "eventstore/event_store.h"
#include "eventstore/ids.h"
#include "eventstore/store_files.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace fs = std::filesystem;
namespace {

// An absolute, normal form of a path, without the exceptions std::filesystem would throw.
std::string AbsolutePath(const std::string& path, const std::string& option) {
  std::error_code ec;
  auto absolute = fs::absolute(path, ec);
  if (ec)
    throw CliError{kExitUsage, option + ": cannot make " + path + " absolute: " + ec.message()};
  return absolute.lexically_normal().string();
}

int NodeInit(Context& ctx) {
  NodeConfig c;
  c.node_id = RequiredOption(ctx, "id");
  c.agency = RequiredOption(ctx, "agency");
  c.kind = RequiredOption(ctx, "kind");
  const std::string dir = RequiredOption(ctx, "data-dir");
  if (!IsIdentifier(c.node_id))
    throw CliError{kExitUsage, "--id: a node id is 1-128 characters without spaces"};
  if (!IsIdentifier(c.agency))
    throw CliError{kExitUsage, "--agency: an agency id is 1-128 characters without spaces"};
  bool kind_ok = false;
  for (const auto& k : NodeKinds()) kind_ok = kind_ok || k == c.kind;
  if (!kind_ok) {
    throw CliError{kExitUsage, "--kind: \"" + c.kind +
                                   "\" is not one of probation, provider, police, partnership"};
  }
  c.data_dir = AbsolutePath(dir, "--data-dir");
  c.socket = c.data_dir + "/holdfast.sock";
  if (c.socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw CliError{kExitUsage, "--data-dir: the socket path " + c.socket +
                                   " would be too long for a Unix socket; use a shorter directory"};
  }
  if (ctx.vm.count("listen")) c.listen = ctx.vm["listen"].as<std::string>();
  for (const char* tls : {"ca", "cert", "key"}) {
    if (!ctx.vm.count(tls)) continue;
    std::string path = AbsolutePath(ctx.vm[tls].as<std::string>(), std::string("--") + tls);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      throw CliError{kExitUsage, std::string("--") + tls + ": " + path +
                                     (ec ? " cannot be looked at: " + ec.message()
                                         : std::string(" does not exist"))};
    }
    (std::string(tls) == "ca" ? c.ca : std::string(tls) == "cert" ? c.cert : c.key) = path;
  }
  const std::string conf = c.data_dir + "/holdfast.conf";
  std::error_code conf_ec;
  if (fs::exists(conf, conf_ec)) {
    throw CliError{kExitFailed, conf +
                                    " already exists: this node is initialised (remove the "
                                    "directory to start again)"};
  }
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) throw CliError{kExitFailed, "cannot create " + c.data_dir + ": " + ec.message()};
  ::chmod(c.data_dir.c_str(), 0750);
  StoreOptions options;
  options.node_id = c.node_id;
  // The reserve is the daemon's, kept while it runs: node init writes a few hundred bytes
  // (the first operator) and must not refuse a small disk the daemon will warn about.
  options.reserved_bytes = 0;
  std::string first_operator;
  {
    auto store = EventStore::Open(c.store_dir(), options);
    if (!store.ok()) throw CliError{kExitFailed, store.status().message()};
    // Whoever initialises the node can read its files anyway: they are its first operator.
    auto account = FindUnixAccount(::geteuid());
    if (!account.ok()) throw CliError{kExitFailed, "node init: " + account.status().message()};
    auto added = AddFirstOperator(store->get(), *account);
    if (!added.ok()) throw CliError{kExitFailed, added.status().message()};
    first_operator = *added + " (Unix user " + account->name + ")";
  }
  {
    std::ofstream out(conf);
    out << RenderConfig(c);
    if (!out) throw CliError{kExitFailed, "cannot write " + conf};
  }
  ::chmod(conf.c_str(), 0640);
  std::cout << "initialised node " << c.node_id << " (" << c.kind << ", agency " << c.agency
            << ") in " << c.data_dir << "\nits first operator is " << first_operator
            << "; add the others with holdfast users add\nstart it with: holdfastd --config "
            << conf << "\n";
  return 0;
}

int StoreVerify(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setStoreVerify();
  auto reply = ctx.Call(message);
  auto v = reply->root<api::Response>().getVerify();
  if (ctx.format != "table") {
    Table t({"events", "problem"}, {true, false});
    for (auto p : v.getProblems()) t.Add({std::to_string(v.getEvents()), p});
    t.Print(ctx.format, std::cout);
  } else if (v.getProblems().size() == 0) {
    std::cout << "store is sound: " << v.getEvents()
              << " events, every index agrees with the log\n";
  } else {
    for (auto p : v.getProblems()) std::cout << p.cStr() << "\n";
  }
  if (v.getProblems().size() > 0) {
    throw CliError{kExitFailed, std::to_string(v.getProblems().size()) +
                                    " problems found: restore from a backup (holdfast store "
                                    "restore) or ask the partnership's holdfast support"};
  }
  return 0;
}

int StoreStats(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setStoreStats();
  auto reply = ctx.Call(message);
  Table t({"name", "value"});
  for (auto s : reply->root<api::Response>().getStats()) t.Add({s.getName(), s.getValue()});
  t.Print(ctx.format, std::cout);
  return 0;
}

std::string PositionalDir(const Context& ctx) {
  if (!ctx.vm.count("dir"))
    throw CliError{kExitUsage, ctx.verb + " needs a directory: holdfast " + ctx.verb + " DIR"};
  return AbsolutePath(ctx.vm["dir"].as<std::string>(), "DIR");
}

int StoreBackup(Context& ctx) {
  const std::string dir = PositionalDir(ctx);
  // holdfastd writes the backup, as its own user, and says what is wrong with the path; this
  // only saves a round trip when the path is plainly taken.
  std::error_code ec;
  if (fs::symlink_status(dir, ec).type() != fs::file_type::not_found && !ec)
    throw CliError{kExitUsage, dir + " already exists: give a new directory"};
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setStoreBackup(dir);
  ctx.Call(message);
  std::cout << "backed up to " << dir << " (restore it with: holdfast store restore " << dir
            << " --config NODE/holdfast.conf, with the daemon stopped)\n";
  return 0;
}

int StoreRestore(Context& ctx) {
  const std::string from = PositionalDir(ctx);
  if (!ctx.config) {
    throw CliError{kExitUsage, "store restore needs the node's config: --config DIR/holdfast.conf"};
  }
  // Restore runs with the daemon stopped: RestoreStore asks the store's users whether this
  // Unix account (or token) is an operator, as the daemon would.
  RestoreRequest request;
  request.token = ctx.token;
  request.uid = ::geteuid();
  request.backup_dir = from;
  request.store_dir = ctx.config->store_dir();
  request.node_id = ctx.config->node_id;
  auto restored = RestoreStore(request);
  if (!restored.ok()) throw CliError{kExitFailed, restored.status().message()};
  for (const auto& line : restored->settled) std::cout << line << "\n";
  std::cout << "restored " << from << " into " << request.store_dir;
  if (!restored->previous_store.empty())
    std::cout << "; the previous store is kept in " << restored->previous_store;
  std::cout << "\nevents recorded here from now on have origin " << restored->origin
            << " (peers may hold later events of this node's that the backup lacks; they "
               "come back when it syncs)\n";
  if (restored->audit_not_carried.empty()) {
    std::cout << "audit log: kept the replaced store's entries (" << restored->audit_entries_carried
              << ") and recorded this restore\n";
  } else {
    std::cout << "audit log: the backup's entries and this restore only: "
              << restored->audit_not_carried << "\n";
  }
  return 0;
}

int AuditList(Context& ctx) {
  capnp::MallocMessageBuilder message;
  auto list = NewRequest(message, ctx).initAuditList();
  list.setLimit(ctx.vm["limit"].as<uint32_t>());
  if (ctx.vm.count("after")) list.setAfter(ctx.vm["after"].as<std::string>());
  // The daemon filters (and says what is wrong with a value); the CLI only parses times.
  if (ctx.vm.count("user")) list.setUser(ctx.vm["user"].as<std::string>());
  if (ctx.vm.count("case")) list.setCaseId(ctx.vm["case"].as<std::string>());
  if (ctx.vm.count("verb")) list.setVerb(ctx.vm["verb"].as<std::string>());
  if (ctx.vm.count("outcome")) list.setOutcome(ctx.vm["outcome"].as<std::string>());
  if (ctx.vm.count("since")) list.setSince(TimeOption(ctx, "since"));
  if (ctx.vm.count("until")) list.setUntil(TimeOption(ctx, "until"));
  RowWriter t({"at", "user", "role", "verb", "target", "outcome", "credential"}, {}, ctx.format,
              std::cout);
  const std::string next = ctx.List(message, [&](api::Page::Reader page, std::unique_ptr<Frame>&) {
    for (auto e : page.getAudit()) {
      t.Add({ShowTime(ctx, e.getAt()), e.getUser(), e.getRole(), e.getVerb(), e.getTarget(),
             e.getOutcome(), e.getCredential()});
    }
  });
  t.Finish();
  PrintNextPage("--after", next);
  return 0;
}

int AuditVerify(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setAuditVerify();
  auto reply = ctx.Call(message);
  auto v = reply->root<api::Response>().getAuditVerify();
  const std::string head =
      std::to_string(v.getHeadCount()) + " entries, newest sha256 " + v.getHeadHash().cStr();
  if (ctx.format != "table") {
    // One row per break, or one row of kind "intact"; every row carries the totals.
    Table t({"checked", "unchained", "head_count", "head_hash", "kind", "position", "count", "at",
             "detail"},
            {true, true, true, false, false, true, true, false, false});
    auto row = [&](const std::string& kind, uint64_t position, uint64_t count, int64_t at,
                   const std::string& detail) {
      t.Add({std::to_string(v.getChecked()), std::to_string(v.getUnchained()),
             std::to_string(v.getHeadCount()), v.getHeadHash(), kind, std::to_string(position),
             std::to_string(count), at != 0 ? FormatRfc3339(at) : "", detail});
    };
    for (auto b : v.getBreaks())
      row(b.getKind(), b.getPosition(), b.getCount(), b.getAt(), b.getDetail());
    if (v.getBreakCount() == 0) row("intact", 0, 0, 0, "");
    t.Print(ctx.format, std::cout);
  } else if (v.getBreakCount() == 0) {
    std::cout << "audit log is intact: " << v.getChecked() << " chained entries checked";
    if (v.getUnchained() > 0) {
      std::cout << ", after " << v.getUnchained()
                << " older entries written before the chain began (those cannot be checked)";
    }
    std::cout << "\nchain head: " << head
              << " (compare with the heads holdfastd logged at start and stop)\n";
  } else {
    for (auto b : v.getBreaks()) std::cout << b.getDetail().cStr() << "\n";
    if (v.getBreakCount() > v.getBreaks().size()) {
      std::cout << "... and " << v.getBreakCount() - v.getBreaks().size() << " more breaks\n";
    }
    std::cout << v.getChecked() << " chained entries checked; chain head as stored: " << head
              << "\n";
  }
  if (v.getBreakCount() > 0) {
    throw CliError{kExitFailed,
                   "the audit log was changed after it was written (" +
                       std::to_string(v.getBreakCount()) +
                       (v.getBreakCount() == 1 ? " break" : " breaks") +
                       " in its chain): keep a copy of the data directory as evidence and tell "
                       "your data protection officer (docs/audit.md, \"When verify fails\")"};
  }
  return 0;
}

// A verb with no options of its own.
Verb Simple(std::string name, std::string summary, std::string usage, std::string example,
            std::function<int(Context&)> run) {
  return MakeVerb(
      std::move(name), std::move(summary), std::move(usage), std::move(example),
      [](po::options_description&) {}, std::move(run));
}

}  // namespace

void AddOpsVerbs(std::vector<Verb>* verbs) {
  Verb init = Simple("node init", "Initialise a node: its data directory, config and store",
                     "node init --id ID --agency ID --kind probation|provider|police|partnership "
                     "--data-dir DIR [--listen HOST:PORT] [--ca FILE --cert FILE --key FILE]",
                     "holdfast node init --id probation-1 --agency probation-ce --kind probation "
                     "--data-dir /var/lib/holdfast",
                     NodeInit);
  init.add_options = [](po::options_description& d) {
    d.add_options()("id", po::value<std::string>(), "this node's id (required)")(
        "agency", po::value<std::string>(), "the agency it serves (required)")(
        "kind", po::value<std::string>(), "probation, provider, police or partnership (required)")(
        "data-dir", po::value<std::string>(), "where the store, config and socket live (required)")(
        "listen", po::value<std::string>(), "HOST:PORT for peers")(
        "ca", po::value<std::string>(), "the partnership CA certificate")(
        "cert", po::value<std::string>(), "this node's certificate")(
        "key", po::value<std::string>(), "this node's private key");
  };
  verbs->push_back(std::move(init));
  verbs->push_back(MakeVerb(
      "store verify", "Check every event and index in the store", "store verify",
      "holdfast store verify", [](po::options_description&) {}, StoreVerify));
  verbs->push_back(MakeVerb(
      "store stats", "Show the store's size and per-origin sequence numbers", "store stats",
      "holdfast store stats", [](po::options_description&) {}, StoreStats));
  auto with_dir = [](po::options_description& d) {
    d.add_options()("dir", po::value<std::string>(), "the directory");
  };
  Verb backup =
      Simple("store backup", "Write a consistent copy of the store (daemon running)",
             "store backup DIR", "holdfast store backup /backups/holdfast-2025-03-04", StoreBackup);
  backup.add_options = with_dir;
  backup.positional = "dir";
  verbs->push_back(std::move(backup));
  Verb restore = Simple("store restore", "Restore a backup into a stopped node's data directory",
                        "store restore DIR --config NODE/holdfast.conf",
                        "holdfast store restore /backups/holdfast-2025-03-04 --config "
                        "/var/lib/holdfast/holdfast.conf",
                        StoreRestore);
  restore.add_options = with_dir;
  restore.positional = "dir";
  verbs->push_back(std::move(restore));
  Verb audit =
      Simple("audit list", "Show who read or wrote case data, newest first",
             "audit list [--user ID] [--case ID] [--verb V] [--outcome allowed|refused] "
             "[--since TIME] [--until TIME] [--limit N] [--after CURSOR]",
             "holdfast audit list --case C-0042 --outcome refused --since 2025-03-01", AuditList);
  audit.add_options = [](po::options_description& d) {
    d.add_options()("user", po::value<std::string>(), "only this user's requests")(
        "case", po::value<std::string>(), "only requests about this case")(
        "verb", po::value<std::string>(),
        "only this verb, as listed (read-stream) or as typed (\"case show\")")(
        "outcome", po::value<std::string>(),
        "allowed (ok), refused (any other outcome), or an outcome as listed")(
        "since", po::value<std::string>(),
        "entries at or after this local time or date, or RFC 3339 UTC time")(
        "until", po::value<std::string>(),
        "entries at or before this local time or date, or RFC 3339 UTC time")(
        "limit", po::value<uint32_t>()->default_value(100),
        "how many entries (0: all); the next page's cursor goes to stderr")(
        "after", po::value<std::string>(),
        "entries older than this cursor (printed by an earlier page)");
  };
  verbs->push_back(std::move(audit));
  verbs->push_back(MakeVerb(
      "audit verify", "Check that no audit entry was changed or removed (the hash chain)",
      "audit verify", "holdfast audit verify", [](po::options_description&) {}, AuditVerify));
}

}  // namespace holdfast::cli
