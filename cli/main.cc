// holdfast: the command line of a holdfast node. Each verb is a table entry (cli/*_verbs.cc)
// with its own options; everything else here is shared: identity, config, the daemon
// connection, help, and turning failures into one line and an exit code.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "cli/cli.h"
#include "daemon/rights.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

po::options_description CommonOptions(Context* ctx) {
  po::options_description d("Common options");
  d.add_options()("socket", po::value(&ctx->socket),
                  "the daemon's socket (default: HOLDFAST_SOCKET, or node.socket of the config)")(
      "config", po::value(&ctx->config_path),
      "the node's holdfast.conf (default: HOLDFAST_CONFIG)")(
      "user", po::value(&ctx->user), "who is acting (default: HOLDFAST_USER, or client.user)")(
      "role", po::value(&ctx->role),
      "probation, facilitator, police or operator (default: HOLDFAST_ROLE, or client.role)")(
      "format", po::value(&ctx->format)->default_value("table"),
      "table, json or csv (export: jsonl or capnp)")(
      "timeout", po::value(&ctx->timeout_seconds)->default_value(30),
      "seconds to wait for a silent daemon before giving up (0: for ever); listings, import "
      "and rebuild wait as long as answers keep coming")("help", "show this verb's help");
  return d;
}

void PrintVerbHelp(const Verb& verb, const po::options_description& options) {
  std::cout << "holdfast " << verb.usage << "\n\n"
            << verb.summary << "\n\n"
            << options << "\nExample:\n  " << verb.example << "\n";
}

void PrintOverview(const std::vector<Verb>& verbs) {
  std::cout << "holdfast: the command line of a holdfast node\n\n"
               "Usage: holdfast VERB [options]    holdfast help VERB    holdfast VERB --help\n\n"
               "Verbs:\n";
  size_t width = 0;
  for (const auto& v : verbs) width = std::max(width, v.name.size());
  for (const auto& v : verbs) {
    std::cout << "  " << v.name << std::string(width - v.name.size() + 2, ' ') << v.summary << "\n";
  }
  std::cout << "\nEvery verb takes --socket, --config, --user, --role, --format and --timeout; "
               "see `holdfast help VERB`.\n";
}

// Fills defaults from the environment and the config file.
void ResolveDefaults(Context* ctx) {
  if (ctx->config_path.empty()) ctx->config_path = Env("HOLDFAST_CONFIG");
  // node init writes the config: one named in the environment may not exist yet.
  if (!ctx->config_path.empty() && ctx->verb != "node init") {
    auto config = LoadConfig(ctx->config_path);
    if (!config.ok()) throw CliError{kExitUsage, config.status().message()};
    ctx->config = std::move(config).value();
  }
  if (ctx->socket.empty()) ctx->socket = Env("HOLDFAST_SOCKET");
  if (ctx->socket.empty() && ctx->config) ctx->socket = ctx->config->socket;
  if (ctx->user.empty()) ctx->user = Env("HOLDFAST_USER");
  if (ctx->user.empty() && ctx->config) ctx->user = ctx->config->client_user;
  if (ctx->role.empty()) ctx->role = Env("HOLDFAST_ROLE");
  if (ctx->role.empty() && ctx->config) ctx->role = ctx->config->client_role;
}

int Main(int argc, char** argv) {
  std::vector<Verb> verbs;
  AddEventVerbs(&verbs);
  AddReadVerbs(&verbs);
  AddDataVerbs(&verbs);
  AddOpsVerbs(&verbs);
  AddAlertVerbs(&verbs);
  AddSyncVerbs(&verbs);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      (args[0] == "help" && args.size() == 1)) {
    PrintOverview(verbs);
    return args.empty() ? kExitUsage : 0;
  }
  bool help = false;
  if (args[0] == "help") {
    help = true;
    args.erase(args.begin());
  }
  // Find the verb: the longest table name matching the leading words.
  const Verb* verb = nullptr;
  size_t words = 0;
  for (const auto& v : verbs) {
    size_t n = std::count(v.name.begin(), v.name.end(), ' ') + 1;
    if (args.size() < n) continue;
    std::string candidate;
    for (size_t i = 0; i < n; ++i) candidate += (i ? " " : "") + args[i];
    if (candidate == v.name && n > words) {
      verb = &v;
      words = n;
    }
  }
  if (verb == nullptr) {
    std::string known;
    for (const auto& v : verbs) {
      if (v.name.rfind(args[0] + " ", 0) == 0) known += (known.empty() ? "" : ", ") + v.name;
    }
    throw CliError{kExitUsage, "unknown command \"" + args[0] +
                                   (args.size() > 1 && args[1][0] != '-' ? " " + args[1] : "") +
                                   "\"" + (known.empty() ? "" : "; did you mean: " + known) +
                                   " (see holdfast --help)"};
  }

  Context ctx;
  ctx.verb = verb->name;
  po::options_description options("Options for holdfast " + verb->name);
  verb->add_options(options);
  options.add(CommonOptions(&ctx));
  std::vector<std::string> rest(args.begin() + static_cast<long>(words), args.end());
  if (help || std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
    PrintVerbHelp(*verb, options);
    return 0;
  }
  try {
    po::positional_options_description positional;
    if (!verb->positional.empty()) positional.add(verb->positional.c_str(), 1);
    po::store(po::command_line_parser(rest).options(options).positional(positional).run(), ctx.vm);
    po::notify(ctx.vm);
  } catch (const po::error& e) {
    throw CliError{kExitUsage, e.what() + std::string(" (see holdfast help ") + verb->name + ")"};
  }
  if (!(ctx.timeout_seconds >= 0) || ctx.timeout_seconds > 86400 * 365) {
    throw CliError{kExitUsage,
                   "--timeout: give a number of seconds, e.g. --timeout 30 (0 waits for ever)"};
  }
  ResolveDefaults(&ctx);
  if (ctx.vm["format"].defaulted()) ctx.format = verb->formats.front();
  ctx.RequireFormat(verb->formats);
  return verb->run(ctx);
}

}  // namespace

schema::Role Context::RoleEnum() const {
  auto enumerants = capnp::Schema::from<schema::Role>().getEnumerants();
  for (auto e : enumerants) {
    if (JsonNameOf(e) == role && JsonNameOf(e) != "system") {
      return static_cast<schema::Role>(e.getOrdinal());
    }
  }
  if (role.empty()) {
    throw CliError{kExitUsage,
                   "no role given: pass --role probation|facilitator|police|operator, or set "
                   "HOLDFAST_ROLE (or client.role in the config)"};
  }
  throw CliError{kExitUsage, "--role: unknown role \"" + role +
                                 "\"; allowed: probation, facilitator, police, operator"};
}

void Context::SetIdentity(api::Request::Builder request) const {
  if (user.empty()) {
    throw CliError{kExitUsage,
                   "no user given: pass --user NAME, or set HOLDFAST_USER (or client.user in "
                   "the config)"};
  }
  auto identity = request.initIdentity();
  identity.setObsoleteUser(user);
  identity.setObsoleteRole(RoleEnum());
}

void Context::RequireFormat(const std::vector<std::string>& allowed) const {
  if (std::find(allowed.begin(), allowed.end(), format) != allowed.end()) return;
  std::string list;
  for (const auto& f : allowed) list += (list.empty() ? "" : ", ") + f;
  throw CliError{kExitUsage, "--format: \"" + format + "\" is not offered by " + verb +
                                 "; use one of: " + list};
}

std::unique_ptr<Frame> Context::Call(capnp::MessageBuilder& request) {
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  if (!client_) {
    if (socket.empty()) {
      throw CliError{kExitUsage,
                     "no daemon socket: pass --socket PATH, set HOLDFAST_SOCKET, or give "
                     "--config DIR/holdfast.conf"};
    }
    auto client = Client::Connect(socket, timeout);
    if (!client.ok()) throw CliError{kExitFailed, client.status().message()};
    client_ = std::move(client).value();
  }
  return Checked(client_->Call(request));
}

std::unique_ptr<Frame> Context::Next() { return Checked(client_->Next()); }

std::unique_ptr<Frame> Context::Checked(Result<std::unique_ptr<Frame>> reply) {
  if (!reply.ok()) {
    std::string message = reply.status().message();
    if (client_->timed_out() && !timeout_note.empty()) message += "; " + timeout_note;
    throw CliError{kExitFailed, message};
  }
  auto response = (*reply)->root<api::Response>();
  if (response.isError()) throw CliError{kExitFailed, response.getError().getMessage()};
  return std::move(reply).value();
}

std::string Context::List(capnp::MessageBuilder& request, const PageFn& page) {
  for (auto frame = Call(request);; frame = Next()) {
    auto response = frame->root<api::Response>();
    if (response.isProgress()) continue;
    if (!response.isPage()) {
      throw CliError{kExitFailed,
                     "holdfastd answered a listing without pages: is it older than this CLI?"};
    }
    auto reader = response.getPage();
    const bool last = reader.getLast();
    std::string next = reader.getNext();
    page(reader, frame);
    if (last) return next;
  }
}

void Context::WaitForever() {
  if (client_) client_->set_timeout(Client::Timeout(0));
}

void PrintNextPage(const std::string& option, const std::string& cursor) {
  if (cursor.empty()) return;
  std::cout.flush();
  std::cerr << "holdfast: more after this page: " << option << " " << cursor << "\n";
}

api::Request::Builder NewRequest(capnp::MallocMessageBuilder& message, const Context& ctx) {
  auto request = message.initRoot<api::Request>();
  ctx.SetIdentity(request);
  return request;
}

}  // namespace holdfast::cli

int main(int argc, char** argv) {
  try {
    return holdfast::cli::Main(argc, argv);
  } catch (const holdfast::cli::CliError& e) {
    std::cerr << "holdfast: " << e.message << "\n";
    return e.exit_code;
  } catch (const kj::Exception& e) {
    std::cerr << "holdfast: unexpected response: " << e.getDescription().cStr() << "\n";
    return holdfast::cli::kExitFailed;
  }
}
