// holdfast: the command line of a holdfast node. Each verb is a table entry (cli/*_verbs.cc)
// with its own options; everything else here is shared: identity, config, the daemon
// connection, help, and turning failures into one line and an exit code.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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
      "token-file", po::value(&ctx->token_file),
      "act as the user whose API token this file (mode 0600) holds, not as your Unix account "
      "(default: HOLDFAST_TOKEN_FILE)")("format", po::value(&ctx->format)->default_value("table"),
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

// "  case open    Open a case ...", one line a verb, the summaries aligned.
void PrintVerbList(const std::vector<const Verb*>& verbs) {
  size_t width = 0;
  for (const Verb* v : verbs) width = std::max(width, v->name.size());
  for (const Verb* v : verbs) {
    std::cout << "  " << v->name << std::string(width - v->name.size() + 2, ' ') << v->summary
              << "\n";
  }
}

void PrintOverview(const std::vector<Verb>& verbs) {
  std::cout << "holdfast: the command line of a holdfast node\n\n"
               "Usage: holdfast VERB [options]    holdfast help VERB    holdfast VERB --help\n\n"
               "Verbs:\n";
  std::vector<const Verb*> all;
  for (const auto& v : verbs) all.push_back(&v);
  PrintVerbList(all);
  std::cout << "\nEvery verb takes --socket, --config, --token-file, --format and --timeout; "
               "see `holdfast help VERB`.\nThe node knows you by your Unix account, or by the "
               "API token in --token-file (holdfast users token).\n";
}

// The API token in `path`: a regular file of the caller's own, readable by nobody else
// (mode 0600 or stricter), holding the token on one line.
std::string ReadTokenFile(const std::string& path) {
  const std::string where = "--token-file " + path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    throw CliError{kExitUsage, where + ": cannot open it: " + std::strerror(errno)};
  }
  struct stat st {};
  std::string token;
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = std::string("cannot look at it: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (st.st_uid != ::geteuid()) {
    problem = "owned by uid " + std::to_string(st.st_uid) +
              ", not by you: a token file is its user's alone";
  } else if ((st.st_mode & 077) != 0) {
    problem = "others may read it (mode " + ([&] {
                char mode[8];
                std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
                return std::string(mode);
              })() +
              "); make it yours alone: chmod 600 " + path;
  } else if (st.st_size > 4096) {
    problem = "longer than a token (4096 bytes at most)";
  } else {
    char buf[4097];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0)
      problem = std::string("cannot read it: ") + std::strerror(errno);
    else
      token.assign(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!problem.empty()) throw CliError{kExitUsage, where + ": " + problem};
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
    throw CliError{kExitUsage, where +
                                   ": does not hold a token (one line, as holdfast users token "
                                   "printed it)"};
  }
  return token;
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
  if (ctx->token_file.empty()) ctx->token_file = Env("HOLDFAST_TOKEN_FILE");
  if (!ctx->token_file.empty()) ctx->token = ReadTokenFile(ctx->token_file);
  for (const char* gone : {"HOLDFAST_USER", "HOLDFAST_ROLE"}) {
    if (!Env(gone).empty()) {
      std::cerr << "holdfast: " << gone
                << " is ignored: the node knows you by your Unix account or --token-file\n";
    }
  }
}

int Main(int argc, char** argv) {
  std::vector<Verb> verbs;
  AddEventVerbs(&verbs);
  AddViewVerbs(&verbs);
  AddReadVerbs(&verbs);
  AddDataVerbs(&verbs);
  AddOpsVerbs(&verbs);
  AddAlertVerbs(&verbs);
  AddQualityVerbs(&verbs);
  AddSyncVerbs(&verbs);
  AddUserVerbs(&verbs);
  AddHookVerbs(&verbs);

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
    // A group's word ("case"): `help case` and `case --help` list the group's verbs.
    std::vector<const Verb*> group;
    for (const auto& v : verbs) {
      if (v.name.rfind(args[0] + " ", 0) == 0) group.push_back(&v);
    }
    const bool only_help = std::all_of(args.begin() + 1, args.end(), [](const std::string& a) {
      return a == "--help" || a == "-h";
    });
    if (!group.empty() && only_help && (help || args.size() > 1)) {
      std::cout << "holdfast " << args[0] << ": its verbs\n\n";
      PrintVerbList(group);
      std::cout << "\n`holdfast help VERB` shows a verb's options and an example.\n";
      return 0;
    }
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

void Context::SetIdentity(api::Request::Builder request) const {
  if (!token.empty()) request.initIdentity().setToken(token);
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
  // The daemon checks some option values itself (--status, --after, ...); its refusal of
  // one is a wrong command line, but an append's refusal is the action refused.
  value_refusal_is_usage_ = !request.getRoot<api::Request>().isAppend();
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
  if (response.isError()) {
    auto error = response.getError();
    const std::string message = error.getMessage();
    // "--status: \"x\" is not one of ...": the daemon refused a value given on the command line.
    const bool option_value = error.getCode() == api::Error::Code::INVALID_ARGUMENT &&
                              message.rfind("--", 0) == 0 && value_refusal_is_usage_;
    throw CliError{option_value ? kExitUsage : kExitFailed, message};
  }
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

std::string RequiredOption(const Context& ctx, const char* option) {
  if (!ctx.vm.count(option)) {
    throw CliError{kExitUsage, std::string("--") + option + " is required (see holdfast help " +
                                   ctx.verb + ")"};
  }
  return ctx.vm[option].as<std::string>();
}

void PrintNextPage(const std::string& option, const std::string& cursor) {
  if (cursor.empty()) return;
  std::cout.flush();
  std::cerr << "holdfast: more after this page: " << option << " " << cursor << "\n";
}

Verb MakeVerb(std::string name, std::string summary, std::string usage, std::string example,
              std::function<void(po::options_description&)> options,
              std::function<int(Context&)> run) {
  Verb v;
  v.name = std::move(name);
  v.summary = std::move(summary);
  v.usage = std::move(usage);
  v.example = std::move(example);
  v.add_options = std::move(options);
  v.run = std::move(run);
  return v;
}

int64_t TimeOption(const Context& ctx, const char* name) {
  const std::string text = ctx.vm[name].as<std::string>();
  if (auto utc = ParseRfc3339(text)) return *utc;  // no need of the zone
  auto t = ParseLocalTime(text, ctx.Zone());
  if (!t.ok()) throw CliError{kExitUsage, std::string("--") + name + ": " + t.status().message()};
  return *t;
}

std::string ShowTime(const Context& ctx, int64_t unix_nanos) {
  if (ctx.format == "json" || ctx.format == "csv") return FormatRfc3339(unix_nanos);
  return FormatLocalTime(unix_nanos, ctx.Zone());
}

const LocalZone& Context::Zone() const {
  if (zone_) return *zone_;
  std::string name, from;
  if (config) {
    name = config->timezone;
    from = config->path;
  } else {
    if (socket.empty()) {
      throw CliError{kExitUsage,
                     "no daemon socket to ask for the node's time zone: pass --socket PATH, set "
                     "HOLDFAST_SOCKET, or give --config DIR/holdfast.conf"};
    }
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
    auto client = Client::Connect(socket, timeout);
    if (!client.ok()) throw CliError{kExitFailed, client.status().message()};
    capnp::MallocMessageBuilder message;
    NewRequest(message, *this).setPing();
    auto reply = (*client)->Call(message);
    if (!reply.ok()) throw CliError{kExitFailed, reply.status().message()};
    auto response = (*reply)->root<api::Response>();
    if (response.isError()) throw CliError{kExitFailed, response.getError().getMessage()};
    // A holdfastd from before [node] timezone runs in the default zone.
    name = response.getPong().hasTimezone() ? response.getPong().getTimezone().cStr()
                                            : NodeConfig().timezone;
    from = "holdfastd at " + socket;
  }
  auto zone = LocalZone::Load(name);
  if (!zone.ok()) {
    throw CliError{kExitFailed,
                   "the node's time zone (from " + from + "): " + zone.status().message()};
  }
  zone_ = std::move(zone).value();
  return *zone_;
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
