// The operator's hook verbs: hooks add|list|remove|status|retry (SPEC "Alerts reach
// people"; docs/hooks.md). The secret and CA files are read here, by the operator's
// account, and sent to holdfastd, which keeps them in its store; a secret is never shown.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"

namespace holdfast::cli {
namespace {

std::string Optional(const Context& ctx, const char* option) {
  return ctx.vm.count(option) ? ctx.vm[option].as<std::string>() : "";
}

// At most 1 MiB: one byte more is read, not the rest (the path may be /dev/zero).
std::string ReadWhole(const std::string& option, const std::string& path) {
  constexpr size_t kMaxBytes = 1u << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError{kExitUsage, "--" + option + ": cannot read " + path};
  std::string s(kMaxBytes + 1, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<size_t>(in.gcount()));
  if (s.size() > kMaxBytes) {
    throw CliError{kExitUsage, "--" + option + ": " + path + " is too big (at most 1 MiB)"};
  }
  return s;
}

std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Joined(capnp::List<capnp::Text>::Reader list, const char* none) {
  std::string out;
  for (auto t : list) out += (out.empty() ? "" : ",") + std::string(t.cStr());
  return out.empty() ? none : out;
}

std::string When(const Context& ctx, int64_t at) { return at > 0 ? ShowTime(ctx, at) : "-"; }

int HooksAdd(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  capnp::MallocMessageBuilder message;
  auto info = NewRequest(message, ctx).initHooksAdd();
  info.setId(id);
  info.setUrl(Optional(ctx, "url"));
  info.setExec(Optional(ctx, "exec"));
  if (ctx.vm.count("secret-file")) {
    std::string secret = ReadWhole("secret-file", ctx.vm["secret-file"].as<std::string>());
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
      secret.pop_back();
    }
    info.setSecret(secret);
  }
  if (ctx.vm.count("ca")) info.setCa(ReadWhole("ca", ctx.vm["ca"].as<std::string>()));
  const auto rules = CommaList(Optional(ctx, "rules"));
  auto r = info.initRules(static_cast<unsigned>(rules.size()));
  for (unsigned i = 0; i < rules.size(); ++i) r.set(i, rules[i]);
  const auto severity = CommaList(Optional(ctx, "severity"));
  auto s = info.initSeverity(static_cast<unsigned>(severity.size()));
  for (unsigned i = 0; i < severity.size(); ++i) s.set(i, severity[i]);
  ctx.Call(message);
  std::cout << "hook " << id << " added: it delivers every alert change from now on; "
            << "holdfast hooks status shows how it goes\n";
  return 0;
}

int HooksList(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setHooksList();
  auto reply = ctx.Call(message);
  Table t({"id", "kind", "target", "rules", "severity", "ca", "secret", "created_at"});
  for (auto h : reply->root<api::Response>().getHooks()) {
    const bool web = h.getUrl().size() > 0;
    t.Add({h.getId(), web ? "web" : "exec", web ? h.getUrl() : h.getExec(),
           Joined(h.getRules(), "all"), Joined(h.getSeverity(), "all"),
           !web ? "-" : (h.getCa().size() > 0 ? "given" : "system"), h.getHasSecret() ? "set" : "-",
           When(ctx, h.getCreatedAt())});
  }
  t.Print(ctx.format, std::cout);
  return 0;
}

int HooksRemove(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setHooksRemove(id);
  ctx.Call(message);
  std::cout << "hook " << id << " removed, with what it had still to deliver\n";
  return 0;
}

int HooksStatus(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setHooksStatus();
  auto reply = ctx.Call(message);
  Table t({"id", "pending", "in_flight", "delivered", "failed_attempts", "parked", "last_error",
           "last_error_at", "last_success_at", "next_attempt_at", "cursor"},
          {false, true, true, true, true, true, false, false, false, false, true});
  for (auto s : reply->root<api::Response>().getHookStatus()) {
    t.Add({s.getId(), std::to_string(s.getPending()), std::to_string(s.getInFlight()),
           std::to_string(s.getDelivered()), std::to_string(s.getFailedAttempts()),
           std::to_string(s.getParked()), s.getLastError().size() ? s.getLastError() : "-",
           When(ctx, s.getLastErrorAt()), When(ctx, s.getLastSuccessAt()),
           When(ctx, s.getNextAttemptAt()), std::to_string(s.getCursor())});
  }
  t.Print(ctx.format, std::cout);
  return 0;
}

int HooksRetry(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setHooksRetry(id);
  auto reply = ctx.Call(message);
  std::cout << reply->root<api::Response>().getHooksRetried() << " parked deliveries of hook " << id
            << " queued again\n";
  return 0;
}

void IdOption(po::options_description& d) {
  d.add_options()("id", po::value<std::string>(), "the hook's id");
}

}  // namespace

void AddHookVerbs(std::vector<Verb>* verbs) {
  verbs->push_back(MakeVerb(
      "hooks add", "Deliver alert changes to a web receiver or a program (docs/hooks.md)",
      "hooks add --id NAME (--url URL --secret-file FILE | --exec PATH) [--rules R,...] "
      "[--severity S,...] [--ca FILE]",
      "holdfast hooks add --id police-rms --url https://rms.police.example/holdfast "
      "--secret-file /etc/holdfast/rms.secret --severity high",
      [](po::options_description& d) {
        d.add_options()("id", po::value<std::string>(), "the hook's id: a-z, 0-9 and -")(
            "url", po::value<std::string>(), "a web hook: the https:// URL to POST to")(
            "secret-file", po::value<std::string>(),
            "a web hook: a file holding the signing secret, whsec_ and base64")(
            "exec", po::value<std::string>(),
            "an exec hook: the absolute path of a program to run with the change on stdin")(
            "rules", po::value<std::string>(), "only these rules, comma separated (default all)")(
            "severity", po::value<std::string>(),
            "only these severities: low, medium, high, comma separated (default all)")(
            "ca", po::value<std::string>(),
            "a web hook: verify the receiver against the CAs in this PEM file, not the "
            "system's");
      },
      HooksAdd));
  verbs->push_back(MakeVerb(
      "hooks list", "List this node's hooks (never their secrets)", "hooks list",
      "holdfast hooks list", [](po::options_description&) {}, HooksList));
  verbs->push_back(MakeVerb("hooks remove", "Remove a hook and what it had still to deliver",
                            "hooks remove --id NAME", "holdfast hooks remove --id police-rms",
                            IdOption, HooksRemove));
  verbs->push_back(MakeVerb(
      "hooks status", "Show each hook's deliveries: pending, delivered, failed, parked",
      "hooks status", "holdfast hooks status", [](po::options_description&) {}, HooksStatus));
  verbs->push_back(MakeVerb("hooks retry", "Queue a hook's parked deliveries again, in order",
                            "hooks retry --id NAME", "holdfast hooks retry --id police-rms",
                            IdOption, HooksRetry));
  for (auto it = verbs->end() - 5; it != verbs->end(); ++it) {
    if (it->name != "hooks list" && it->name != "hooks status") it->formats = {"table"};
  }
}

}  // namespace holdfast::cli
