// The operator's user verbs: users add|list|disable|enable|role|token|password
// (SPEC "Users, roles and rights"; docs/users.md).
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "cli/cli.h"
#include "daemon/rights.h"
#include "eventstore/event_json.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

constexpr const char* kRoles = "probation, facilitator, police, analyst or operator";

schema::Role ParseRole(const std::string& role) {
  for (auto e : capnp::Schema::from<schema::Role>().getEnumerants()) {
    if (JsonNameOf(e) == role && role != "system") {
      return static_cast<schema::Role>(e.getOrdinal());
    }
  }
  throw CliError{kExitUsage, "--role: \"" + role + "\" is not a role; give " + kRoles};
}

std::string Nanos(const Context& ctx, int64_t at) { return at > 0 ? ShowTime(ctx, at) : "-"; }

int UsersList(Context& ctx) {
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setUsersList();
  auto reply = ctx.Call(message);
  Table t({"id", "role", "unix_user", "name", "status", "token", "password", "changed_at"});
  for (auto u : reply->root<api::Response>().getUsers()) {
    t.Add({u.getId(), RoleName(u.getRole()), u.getUnixUser(), u.getName(),
           u.getDisabled() ? "disabled" : "enabled", u.getHasToken() ? "yes" : "no",
           u.getHasPassword() ? "yes" : "no", Nanos(ctx, u.getChangedAt())});
  }
  t.Print(ctx.format, std::cout);
  return 0;
}

int UsersAdd(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  const schema::Role role = ParseRole(RequiredOption(ctx, "role"));
  capnp::MallocMessageBuilder message;
  auto info = NewRequest(message, ctx).initUsersAdd();
  info.setId(id);
  info.setRole(role);
  if (ctx.vm.count("unix-user")) info.setUnixUser(ctx.vm["unix-user"].as<std::string>());
  if (ctx.vm.count("name")) info.setName(ctx.vm["name"].as<std::string>());
  ctx.Call(message);
  std::cout << "user " << id << " added as " << RoleName(role);
  if (ctx.vm.count("unix-user")) {
    std::cout << "; Unix user " << ctx.vm["unix-user"].as<std::string>() << " now acts as " << id
              << "\n";
  } else {
    std::cout << "; give them a token (holdfast users token --id " << id
              << ") or a password for the web (holdfast users password --id " << id << ")\n";
  }
  return 0;
}

// disable, enable and role: one change each.
int UsersChange(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  capnp::MallocMessageBuilder message;
  auto change = NewRequest(message, ctx).initUsersChange();
  change.setId(id);
  std::string done;
  if (ctx.verb == "users disable") {
    change.setDisable();
    done = "disabled: every request they make is refused from now on";
  } else if (ctx.verb == "users enable") {
    change.setEnable();
    done = "enabled";
  } else {
    const schema::Role role = ParseRole(RequiredOption(ctx, "role"));
    change.setRole(role);
    done = "now has the role " + RoleName(role);
  }
  ctx.Call(message);
  std::cout << "user " << id << " " << done << "\n";
  return 0;
}

int UsersToken(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setUsersToken(id);
  auto reply = ctx.Call(message);
  // The token alone on stdout, so `holdfast users token --id X > file` makes a token file;
  // the advice on stderr.
  std::cout << reply->root<api::Response>().getToken().cStr() << "\n";
  std::cout.flush();
  std::cerr << "holdfast: this is the only time the token is shown, and it replaces any "
               "earlier one of "
            << id << "; keep it in a file only they can read (chmod 600) and use it with "
            << "--token-file or HOLDFAST_TOKEN_FILE\n";
  return 0;
}

// A line from stdin; on a terminal, asked for without echo.
std::string ReadSecret(const std::string& prompt) {
  const bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!got) throw CliError{kExitUsage, "no password given: write it on stdin (one line)"};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int UsersPassword(Context& ctx) {
  const std::string id = RequiredOption(ctx, "id");
  const std::string password = ReadSecret("new password for " + id + ": ");
  if (isatty(STDIN_FILENO) && ReadSecret("again: ") != password) {
    throw CliError{kExitUsage, "the two passwords differ; nothing was changed"};
  }
  capnp::MallocMessageBuilder message;
  auto set = NewRequest(message, ctx).initUsersPassword();
  set.setId(id);
  set.setPassword(password);
  ctx.Call(message);
  std::cout << "password of " << id << " set\n";
  return 0;
}

void IdOption(po::options_description& d) {
  d.add_options()("id", po::value<std::string>(), "the user's id");
}

}  // namespace

void AddUserVerbs(std::vector<Verb>* verbs) {
  verbs->push_back(MakeVerb(
      "users list", "List this node's users, their roles and how they sign in", "users list",
      "holdfast users list", [](po::options_description&) {}, UsersList));
  verbs->push_back(MakeVerb(
      "users add", "Add a user of this node, in one role",
      "users add --id ID --role ROLE [--unix-user NAME] [--name TEXT]",
      "holdfast users add --id po-jsmith --role probation --unix-user jsmith --name 'J Smith'",
      [](po::options_description& d) {
        d.add_options()("id", po::value<std::string>(), "the user's id (goes on their events)")(
            "role", po::value<std::string>(), kRoles)(
            "unix-user", po::value<std::string>(),
            "the Unix account that acts as this user on the CLI (one account, one user)")(
            "name", po::value<std::string>(), "the person's name (optional)");
      },
      UsersAdd));
  verbs->push_back(MakeVerb("users disable", "Refuse every request of a user, at once",
                            "users disable --id ID", "holdfast users disable --id po-jsmith",
                            IdOption, UsersChange));
  verbs->push_back(MakeVerb("users enable", "Let a disabled user in again", "users enable --id ID",
                            "holdfast users enable --id po-jsmith", IdOption, UsersChange));
  verbs->push_back(MakeVerb(
      "users role", "Change a user's role", "users role --id ID --role ROLE",
      "holdfast users role --id po-jsmith --role police",
      [](po::options_description& d) {
        d.add_options()("id", po::value<std::string>(), "the user's id")(
            "role", po::value<std::string>(), kRoles);
      },
      UsersChange));
  verbs->push_back(MakeVerb("users token",
                            "Make a new API token for a user (shown once; replaces the old one)",
                            "users token --id ID",
                            "holdfast users token --id pc-ahmed > pc-ahmed.token && chmod 600 "
                            "pc-ahmed.token",
                            IdOption, UsersToken));
  verbs->push_back(MakeVerb("users password",
                            "Set a user's password for the web front end (read from stdin, or "
                            "asked for on a terminal)",
                            "users password --id ID", "holdfast users password --id po-jsmith",
                            IdOption, UsersPassword));
  for (auto it = verbs->end() - 7; it != verbs->end(); ++it) {
    if (it->name != "users list") it->formats = {"table"};
  }
}

}  // namespace holdfast::cli
