// E. Web (issue 16): server time per page of the web front end on the county (about 1 M
// events), as a signed-in person's browser asks for it: Today, a case, the alerts inbox on
// A's probation node as a probation officer, and the session register as a facilitator on a
// provider node holding the same county. Each page is timed over one keep-alive HTTPS
// connection (libcurl, with its cookies), from the request to the last body byte, beside two
// floors measured in the same run: `GET /healthz` on that connection, and the request(s) the
// page makes of the request table sent over the local Unix-socket API instead (so the share
// of HTTP, TLS, sign-in checks and HTML rendering is visible).
//
// A page that is not on the build (404), or that redirects, is reported as such: no figure.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "bench/report.h"
#include "bench/system_bench.h"
#include "daemon/api.capnp.h"
#include "eventstore/hlc.h"
#include "eventstore/ids.h"

namespace holdfast::bench {
namespace {

constexpr double kTargetSeconds = 0.100;   // issue 16: p99 under 100 ms
constexpr int kWarmUp = 10;                // requests of each page before the timed ones
constexpr int kMinRuns = 50;               // a slow page's runs at least, whatever its budget
constexpr double kPageBudgetSeconds = 90;  // a slow page's timed runs stop after this
const char* const kPassword = "bench web password 16";

size_t KeepBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Keeps the Location header of the last answer.
size_t KeepLocation(char* data, size_t size, size_t count, void* out) {
  const std::string line(data, size * count);
  if (line.size() > 9 && strncasecmp(line.c_str(), "location:", 9) == 0) {
    std::string value = line.substr(9);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    *static_cast<std::string*>(out) = value;
  }
  return size * count;
}

std::string FormEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A person's browser, as far as the server can tell: one keep-alive HTTPS connection to a
// node's web front end (a libcurl easy handle reused) with its cookies (libcurl's cookie
// engine, in memory), trusting the partnership CA, following no redirect.
class WebClient {
 public:
  struct Reply {
    long status = 0;
    std::string body, location;
  };

  WebClient(const std::string& node_id, int port, const std::string& ca_file)
      : base_("https://" + node_id + ":" + std::to_string(port)),
        resolve_(curl_slist_append(nullptr,
                                   (node_id + ":" + std::to_string(port) + ":127.0.0.1").c_str())),
        curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_RESOLVE, resolve_);
    curl_easy_setopt(curl_, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl_, CURLOPT_COOKIEFILE, "");  // the cookie engine, nothing read
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, KeepBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply_.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, KeepLocation);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply_.location);
  }
  ~WebClient() {
    curl_easy_cleanup(curl_);
    curl_slist_free_all(resolve_);
  }
  WebClient(const WebClient&) = delete;
  WebClient& operator=(const WebClient&) = delete;

  const Reply& Get(const std::string& path) {
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    return Perform("GET", path);
  }
  const Reply& Post(const std::string& path, const std::string& form) {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, form.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
    return Perform("POST", path);
  }

  bool HasCookie(const std::string& name) {
    curl_slist* cookies = nullptr;
    curl_easy_getinfo(curl_, CURLINFO_COOKIELIST, &cookies);
    bool found = false;
    for (curl_slist* c = cookies; c != nullptr; c = c->next) {
      // Netscape format: domain, flag, path, secure, expiry, name, value (tab-separated).
      std::string line = c->data;
      for (int field = 0; field < 5; ++field) line = line.substr(line.find('\t') + 1);
      if (line.substr(0, line.find('\t')) == name) found = true;
    }
    curl_slist_free_all(cookies);
    return found;
  }
  long connections() const { return connections_; }

 private:
  const Reply& Perform(const char* method, const std::string& path) {
    reply_.body.clear();
    reply_.location.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, (base_ + path).c_str());
    const CURLcode rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK) Die(std::string(method) + " " + path + ": " + curl_easy_strerror(rc));
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply_.status);
    long connects = 0;
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &connects);
    connections_ += connects;
    return reply_;
  }

  std::string base_;
  curl_slist* resolve_;
  CURL* curl_;
  Reply reply_;
  long connections_ = 0;
};

// The value of the hidden input `name` in a form ("" when absent).
std::string HiddenValue(const std::string& html, const std::string& name) {
  const size_t input = html.find("name=\"" + name + "\"");
  if (input == std::string::npos) return "";
  const size_t value = html.find("value=\"", input);
  if (value == std::string::npos) return "";
  const size_t from = value + 7;
  return html.substr(from, html.find('"', from) - from);
}

// Signs in through the sign-in form as a browser does: GET /sign-in (its cookie and the
// form's CSRF token), then POST the form; dies unless it answers 303 with a session cookie.
void SignIn(WebClient& client, const std::string& user) {
  const WebClient::Reply& form = client.Get("/sign-in");
  if (form.status != 200) Die("GET /sign-in answered " + std::to_string(form.status));
  const std::string csrf = HiddenValue(form.body, "csrf");
  if (csrf.empty()) Die("GET /sign-in: no csrf input in the form");
  const WebClient::Reply& done =
      client.Post("/sign-in", "csrf=" + FormEncode(csrf) + "&next=%2F&user=" + FormEncode(user) +
                                  "&password=" + FormEncode(kPassword));
  if (done.status != 303 || !client.HasCookie("holdfast_session")) {
    Die("signing in as " + user + ": POST /sign-in answered " + std::to_string(done.status) +
        (client.HasCookie("holdfast_session") ? "" : " without a holdfast_session cookie"));
  }
}

// A user of `role` on `node` with the web password (users add, users token by the bench's
// CliEnv; then `holdfast users password`, which reads the password from stdin). Returns the
// user's API token, for the local floors.
std::string AddWebUser(BenchNode& node, const std::string& role, const std::string& user) {
  std::string token;
  for (const auto& e : node.CliEnv(role, user)) {
    if (e.rfind("HOLDFAST_TOKEN_FILE=", 0) == 0) {
      std::ifstream in(e.substr(std::strlen("HOLDFAST_TOKEN_FILE=")));
      std::getline(in, token);
    }
  }
  if (token.empty()) Die("no token for " + user + " on " + node.id());
  SpawnOptions options;
  options.env = node.CliEnv("operator", "");
  options.stdin_data = std::string(kPassword) + "\n";
  Subprocess set(node.CliArgv({"users", "password", "--id", user}), options);
  std::string out, err;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  set.Collect(deadline, &out, &err);
  if (set.Wait(deadline).value_or(-1) != 0)
    Die("`holdfast users password --id " + user + "`: " + err);
  return token;
}

// The local API as a user (by token): one request, every frame of its answer read.
class LocalApi {
 public:
  LocalApi(const BenchNode& node, std::string token) : token_(std::move(token)) {
    auto connected = Client::Connect(node.dir() + "/holdfast.sock");
    if (!connected.ok()) Die(node.id() + ": " + connected.status().ToString());
    client_ = std::move(connected.value());
  }
  // Sends what `build` fills in; returns the number of items the answer held (alerts of the
  // pages, members of a roster, timeline entries of a case view).
  size_t Ask(const std::function<void(api::Request::Builder)>& build) {
    capnp::MallocMessageBuilder message;
    auto request = message.initRoot<api::Request>();
    request.initIdentity().setToken(token_);
    build(request);
    size_t items = 0;
    for (auto reply = client_->Call(message);; reply = client_->Next()) {
      if (!reply.ok()) Die("local API: " + reply.status().ToString());
      auto response = reply.value()->root<api::Response>();
      const std::string error = ErrorMessage(response);
      if (!error.empty()) Die("local API: " + error);
      if (response.isProgress()) continue;
      if (response.isPage()) {
        auto page = response.getPage();
        if (page.isAlerts()) items += page.getAlerts().size();
        if (page.getLast()) return items;
        continue;
      }
      if (response.isCaseView()) {
        items += response.getCaseView().getTimeline().size();
        if (response.getCaseView().getMore()) continue;
        return items;
      }
      if (response.isRoster()) return response.getRoster().getMembers().size();
      return items;
    }
  }

 private:
  std::string token_;
  std::unique_ptr<Client> client_;
};

// One page's figures: its timed GETs, the answers' statuses and body sizes, and the floor.
struct PageRun {
  Latencies page, local;
  std::map<long, int> statuses;
  std::vector<double> sizes, items;
  std::string refused;  // the first answer when it was no page: "404", "303 to /sign-in?..."
};

std::string Statuses(const std::map<long, int>& statuses) {
  std::string text;
  for (const auto& [status, n] : statuses) {
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " × " + std::to_string(status);
  }
  return text;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Times `requests` GETs of path(i) (after kWarmUp untimed), each followed by the same
// target's requests over the local API (local(i)), so that both see the same load on a
// shared machine. When the first answer is not a page (not 200), nothing is timed. A slow
// page stops early, after kPageBudgetSeconds (and at least kMinRuns runs): the run counts
// are printed with the figures.
PageRun MeasurePage(WebClient& client, LocalApi& api, int requests,
                    const std::function<std::string(int)>& path,
                    const std::function<size_t(LocalApi&, int)>& local) {
  PageRun run;
  for (int i = 0; i < kWarmUp; ++i) {
    const WebClient::Reply& r = client.Get(path(requests + i));
    if (r.status != 200) {
      run.refused = std::to_string(r.status) +
                    (r.location.empty() ? std::string() : " (redirect to " + r.location + ")");
      return run;
    }
  }
  const auto started = Clock::now();
  for (int i = 0; i < requests; ++i) {
    if (i >= kMinRuns && Seconds(Clock::now() - started) > kPageBudgetSeconds) break;
    const std::string p = path(i);
    auto t0 = Clock::now();
    const WebClient::Reply& r = client.Get(p);
    run.page.Add(Seconds(Clock::now() - t0));
    ++run.statuses[r.status];
    run.sizes.push_back(static_cast<double>(r.body.size()));
    if (r.status != 200 && run.refused.empty()) {
      run.refused = std::to_string(r.status) + " for " + p +
                    (r.location.empty() ? std::string() : " (redirect to " + r.location + ")");
    }
    t0 = Clock::now();
    const size_t items = local(api, i);
    run.local.Add(Seconds(Clock::now() - t0));
    run.items.push_back(static_cast<double>(items));
  }
  return run;
}

Figure PageFigure(const std::string& what, const std::string& path, const PageRun& run,
                  const Latencies& health, const std::string& local_what,
                  const std::string& items_what) {
  if (run.page.count() == 0) {
    return {what,
            "not measured: `GET " + path + "` answered " + run.refused + ", not the page",
            "",
            "",
            "p99 < 100 ms",
            false};
  }
  const bool all_ok = run.statuses.size() == 1 && run.statuses.count(200) == 1;
  std::string measured = run.page.Describe() + "; answers " + Statuses(run.statuses);
  if (!all_ok) measured += " (first not 200: " + run.refused + ")";
  measured += "; body median " + Grouped(Median(run.sizes)) + " bytes";
  // The share of the page's median that is not its requests' work. The page asks the
  // request table in-process; the floor goes through the socket and Cap'n Proto too, so a
  // page whose work is nearly all its requests can come out below its floor.
  const double share = 1 - run.local.Median() / std::max(run.page.Median(), 1e-9);
  const std::string rest =
      share < 0
          ? "the page's median is below its requests' over the local API (which add a "
            "socket and Cap'n Proto): the rendering's share does not show"
          : "the rest (HTTP, TLS, the session, rendering): " + Percent(share) + " of the median";
  return {what,
          measured,
          "floors: `GET /healthz` on the same connection: " + health.Describe() + "; " +
              local_what + " over the local Unix-socket API: " + run.local.Describe() + " (" +
              items_what + " median " + Grouped(Median(run.items)) + ")",
          rest,
          "p99 < 100 ms",
          all_ok && run.page.P99() < kTargetSeconds};
}

Latencies MeasureHealth(WebClient& client, int requests) {
  Latencies health;
  for (int i = 0; i < requests; ++i) {
    const auto t0 = Clock::now();
    if (client.Get("/healthz").status != 200) Die("GET /healthz did not answer 200");
    health.Add(Seconds(Clock::now() - t0));
  }
  return health;
}

// A session the county's groups held: its group and time (RFC 3339), for the register.
struct HeldSession {
  std::string group, at;
};

std::string JsonField(const std::string& line, const std::string& field) {
  const std::string key = "\"" + field + "\":\"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  return line.substr(from, line.find('"', from) - from);
}

std::vector<HeldSession> GroupSessions(const County& county) {
  std::vector<HeldSession> out;
  std::ifstream in(county.file);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"type\":\"session.held\"") == std::string::npos) continue;
    const std::string group = JsonField(line, "group");
    if (group.empty() || group == "individual") continue;  // one-to-one appointments
    out.push_back({group, JsonField(line, "occurred_at")});
  }
  if (out.empty()) Die(county.file + " holds no group session");
  return out;
}

// The group of a group session's id as holdfast-sample writes it ("S-2025-02-13-grpD" ->
// "grpD"); "" for any other (one-to-one appointments).
std::string GroupOfSession(const std::string& session) {
  if (session.size() < 14 || session.compare(0, 2, "S-") != 0 || session[6] != '-' ||
      session[9] != '-' || session[12] != '-') {
    return "";
  }
  const std::string group = session.substr(13);
  return group.rfind("grp", 0) == 0 ? group : "";
}

// The county with the group each person attended written into their intervention.started
// (SPEC: its optional `group`, which session rosters go by). holdfast-sample writes no group
// there, so on the county as generated every roster is empty; a facilitator's node records
// the group when the person starts. Returns how many starts got a group.
uint64_t WriteCountyWithGroups(const County& county, const std::string& file) {
  std::map<std::pair<std::string, std::string>, std::string> group_of;  // (case, intervention)
  {
    std::ifstream in(county.file);
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"type\":\"attendance.recorded\"") == std::string::npos) continue;
      const std::string group = GroupOfSession(JsonField(line, "session"));
      if (group.empty()) continue;
      group_of.emplace(std::make_pair(JsonField(line, "case"), JsonField(line, "intervention")),
                       group);  // the first one: where they started
    }
  }
  std::ifstream in(county.file);
  std::ofstream out(file);
  uint64_t grouped = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"type\":\"intervention.started\"") != std::string::npos &&
        line.find("\"group\":") == std::string::npos) {
      auto it = group_of.find({JsonField(line, "case"), JsonField(line, "intervention")});
      const std::string end = "\"}}";
      if (it != group_of.end() && line.size() > end.size() &&
          line.compare(line.size() - end.size(), end.size(), end) == 0) {
        line.insert(line.size() - 2, ",\"group\":\"" + it->second + "\"");
        ++grouped;
      }
    }
    out << line << '\n';
  }
  if (!out.flush()) Die("cannot write " + file);
  return grouped;
}

// Today, a case and the inbox, as a probation officer on A's node (which reads every case).
void MeasureProbationPages(SystemBench* b) {
  auto& figures = b->Section("E. web");
  BenchNode& node = *b->probation;
  const int port = FreeLoopbackPort();
  node.SetConfig("http", "listen", "127.0.0.1:" + std::to_string(port));
  node.Start();
  const std::string token = AddWebUser(node, "probation", "po-web");
  const uint64_t held = node.LastPosition();
  WaitUntilIdle(node.pid());
  std::vector<std::string> cases;
  {
    std::set<std::string> seen;
    for (const auto& [c, intervention] : b->county.interventions) {
      if (seen.insert(c).second) cases.push_back(c);
    }
  }
  std::mt19937_64 rng(16);
  std::vector<std::string> picked;  // the case of run i (and of warm-up run requests + i)
  const int requests = b->options.web_requests;
  for (int i = 0; i < requests + kWarmUp; ++i) picked.push_back(cases[rng() % cases.size()]);

  WebClient client(node.id(), port, b->cert_dir + "/ca.crt");
  SignIn(client, "po-web");
  LocalApi api(node, token);
  const std::string on = "on " + node.id() + " holding " + Grouped(static_cast<double>(held)) +
                         " events, signed in as a probation user (reads every case)";

  b->Progress("E: " + std::to_string(requests) + " GET / (Today) as a probation officer");
  // Today's requests as daemon/web/pages_today.cc makes them: alerts assigned to the person,
  // the open ones (the first 20), non-engagement alerts raised in the last 14 days.
  Latencies listings[3];  // each of the three, for the breakdown
  const auto today_local = [&](LocalApi& a, int) {
    const int64_t now = static_cast<int64_t>(SystemWallClockMs()) * 1000000;
    auto t0 = Clock::now();
    size_t n = a.Ask([](api::Request::Builder r) {
      auto l = r.initListAlerts();
      l.setStatus("all");
      l.setMine(true);
    });
    listings[0].Add(Seconds(Clock::now() - t0));
    t0 = Clock::now();
    n += a.Ask([](api::Request::Builder r) {
      auto l = r.initListAlerts();
      l.setStatus("open");
      l.setLimit(20);
    });
    listings[1].Add(Seconds(Clock::now() - t0));
    t0 = Clock::now();
    n += a.Ask([&](api::Request::Builder r) {
      auto l = r.initListAlerts();
      l.setStatus("all");
      l.setRule("non_engagement");
      l.setHasSince(true);
      l.setSince(now - int64_t{14} * 24 * 3600 * 1000000000);
    });
    listings[2].Add(Seconds(Clock::now() - t0));
    return n;
  };
  const PageRun today = MeasurePage(
      client, api, requests, [](int) { return std::string("/"); }, today_local);

  b->Progress("E: " + std::to_string(requests) + " GET /cases/{id}");
  const PageRun case_page = MeasurePage(
      client, api, requests, [&](int i) { return "/cases/" + picked[i]; },
      [&](LocalApi& a, int i) {
        return a.Ask([&](api::Request::Builder r) { r.setCaseShow(picked[i]); });
      });

  b->Progress("E: " + std::to_string(requests) + " GET /alerts (the inbox)");
  // The inbox's default filter (daemon/web/pages_alerts.cc): open alerts, 25 a page.
  const PageRun inbox = MeasurePage(
      client, api, requests, [](int) { return std::string("/alerts"); },
      [](LocalApi& a, int) {
        return a.Ask([](api::Request::Builder r) {
          auto l = r.initListAlerts();
          l.setStatus("open");
          l.setLimit(25);
        });
      });
  const Latencies health = MeasureHealth(client, std::min(requests, 500));
  const long connections = client.connections();
  node.Stop();

  const std::string connection =
      "one keep-alive HTTPS connection (libcurl with its cookies; " + std::to_string(connections) +
      " connection(s) made, the sign-in's included); request to last body byte";
  figures.push_back(PageFigure(
      "Today: `GET /` " + on + "; " + connection, "/", today, health,
      "its three alert listings (assigned to the person, status all: " + listings[0].Describe() +
          "; open, the first 20: " + listings[1].Describe() +
          "; non-engagement raised in the last 14 days: " + listings[2].Describe() + "; together)",
      "alerts listed"));
  figures.push_back(PageFigure("a case: `GET /cases/{id}` of random county cases " + on,
                               "/cases/{id}", case_page, health, "the case-show request",
                               "timeline entries"));
  figures.push_back(PageFigure("the alerts inbox: `GET /alerts` (its default filter) " + on,
                               "/alerts", inbox, health, "its listing (open alerts, the first 25)",
                               "alerts listed"));
}

// The register, as a facilitator of the provider the county's interventions are referred to
// (provider-ce): a provider node of that agency holding the same county, imported.
void MeasureRegister(SystemBench* b) {
  auto& figures = b->Section("E. web");
  const std::string id = "provider-web";
  const RunResult cert = Run({b->programs.make_node_cert, b->cert_dir, id}, {});
  if (cert.exit_code != 0) Die("ops/make-node-cert " + id + " failed: " + cert.err);
  BenchNode node(b->programs, b->options.dir + "/" + id, id, "provider-ce", "provider",
                 b->cert_dir);
  node.Init();
  const int port = FreeLoopbackPort();
  node.SetConfig("http", "listen", "127.0.0.1:" + std::to_string(port));
  node.Start();
  const std::string grouped_file = b->options.dir + "/county-with-groups.jsonl";
  const uint64_t grouped = WriteCountyWithGroups(b->county, grouped_file);
  b->Progress("E: importing the county (" + Grouped(static_cast<double>(grouped)) +
              " starts given their group) into " + id + " (agency provider-ce) for the register");
  const RunResult import = node.Cli({"import", "--file", grouped_file, "--quiet"}, "operator");
  const std::string token = AddWebUser(node, "facilitator", "fac-web");
  const uint64_t held = node.LastPosition();
  WaitUntilIdle(node.pid());

  const std::vector<HeldSession> sessions = GroupSessions(b->county);
  std::mt19937_64 rng(160);
  std::vector<HeldSession> picked;
  const int requests = b->options.web_requests;
  for (int i = 0; i < requests + kWarmUp; ++i) picked.push_back(sessions[rng() % sessions.size()]);
  WebClient client(node.id(), port, b->cert_dir + "/ca.crt");
  SignIn(client, "fac-web");
  LocalApi api(node, token);

  b->Progress("E: " + std::to_string(requests) +
              " GET /sessions/{id}/register?group=G as a facilitator");
  const PageRun reg = MeasurePage(
      client, api, requests,
      [&](int i) {
        return "/sessions/S-WEB-" + std::to_string(i) +
               "/register?group=" + FormEncode(picked[i].group) + "&at=" + FormEncode(picked[i].at);
      },
      [&](LocalApi& a, int i) {
        const auto at = ParseRfc3339(picked[i].at);
        if (!at) Die("a session time the county gives: " + picked[i].at);
        return a.Ask([&](api::Request::Builder r) {
          auto roster = r.initSessionRoster();
          roster.setGroup(picked[i].group);
          roster.setAt(*at);
        });
      });
  const Latencies health = MeasureHealth(client, std::min(requests, 500));
  const long connections = client.connections();
  node.Stop();

  figures.push_back(PageFigure(
      "the session register: `GET /sessions/{id}/register?group=G&at=T` (a new session id; a "
      "group and time of a session the county held, at random) on " +
          id + " (a provider node of agency provider-ce, the county imported with each " +
          "person's group written into their intervention.started (" +
          Grouped(static_cast<double>(grouped)) + " starts; the sample writes none, so its " +
          "rosters are empty): " + Grouped(static_cast<double>(held)) + " events, import " +
          Duration(import.seconds) + "), signed in as a facilitator; one keep-alive HTTPS " +
          "connection (" + std::to_string(connections) + " connection(s) made)",
      "/sessions/{id}/register", reg, health, "the session-roster request", "attendees"));
}

}  // namespace

void RunWebSection(SystemBench* b) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  MeasureProbationPages(b);
  MeasureRegister(b);
}

}  // namespace holdfast::bench
