// The HTTPS API (daemon/http_server.h, docs/http-api.md) through a real holdfastd and a real
// client: Python's http.client and ssl with the node's CA (tests/daemon/http_client.py).
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "tests/daemon/alert_json.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

const std::string kSource = HOLDFAST_SOURCE_DIR;
const std::string kClient = kSource + "/tests/daemon/http_client.py";

// Sets the first `key = ` (empty) after `section` in the config text.
void SetKey(std::string* conf, const std::string& section, const std::string& key,
            const std::string& value) {
  size_t at = conf->find("[" + section + "]");
  REQUIRE(at != std::string::npos);
  const std::string empty = "\n" + key + " = ";
  at = conf->find(empty, at);
  REQUIRE(at != std::string::npos);
  const size_t end = conf->find('\n', at + 1);
  conf->replace(at, end - at, empty + value);
}

// A probation node serving HTTPS on 127.0.0.1 (any free port), with its own CA, a client
// timeout of 3 s and at most 4 connections per client.
struct HttpNode {
  TempDir dir;
  std::unique_ptr<Node> node;
  std::string ca;
  int port = 0;

  // A node of `kind` (probation, police, ...): KIND-1 of agency KIND-ce.
  explicit HttpNode(const std::string& kind = "probation") {
    const std::string id = kind + "-1";
    auto made = Run({kSource + "/ops/make-ca", dir / "pki"});
    REQUIRE(made.exit == 0);
    made = Run({kSource + "/ops/make-node-cert", dir / "pki", id});
    REQUIRE(made.exit == 0);
    ca = dir / "pki/ca.crt";
    node = std::make_unique<Node>(dir / "n1", id, kind + "-ce", kind);
    std::string conf = ReadFile(node->config());
    // The node's own TLS files ([sync]) serve HTTPS too: [http] cert and key stay empty.
    SetKey(&conf, "sync", "ca", ca);
    SetKey(&conf, "sync", "cert", dir / ("pki/" + id + ".crt"));
    SetKey(&conf, "sync", "key", dir / ("pki/" + id + ".key"));
    SetKey(&conf, "http", "listen", "127.0.0.1:0");
    SetKey(&conf, "http", "client_timeout_seconds", "3");
    SetKey(&conf, "http", "max_connections_per_client", "4");
    SetKey(&conf, "http", "max_body_bytes", "65536");
    WriteFile(node->config(), conf);
    Start();
  }
  void Start() {
    const size_t seen = node->Log().size();
    node->Start();
    std::string log;
    REQUIRE(WaitUntil(Scaled(milliseconds(10000)), [&] {
      log = node->Log().substr(seen);
      return log.find("http: listening on 127.0.0.1:") != std::string::npos;
    }));
    const std::string marker = "http: listening on 127.0.0.1:";
    port = std::stoi(log.substr(log.find(marker) + marker.size()));
  }

  RunResult Client(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {HOLDFAST_PYTHON, kClient, ca, std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv);
  }

  struct Response {
    int status = 0;
    std::string allow, authenticate, body;
  };
  Response Request(const std::string& method, const std::string& path, const std::string& token,
                   const std::string& body = "", std::vector<std::string> headers = {}) const {
    std::string body_file = "-";
    if (!body.empty()) {
      body_file = dir / "body";
      WriteFile(body_file, body);
    }
    std::vector<std::string> args = {"request", method, path, token.empty() ? "-" : token,
                                     body_file};
    args.insert(args.end(), headers.begin(), headers.end());
    auto r = Client(args);
    INFO(r.Describe());
    REQUIRE(r.exit == 0);
    std::istringstream in(r.out);
    Response out;
    std::string line;
    std::getline(in, line);
    out.status = std::stoi(line);
    std::getline(in, line);
    out.allow = line.substr(std::string("allow: ").size());
    std::getline(in, line);
    out.authenticate = line.substr(std::string("www-authenticate: ").size());
    out.body = std::string(std::istreambuf_iterator<char>(in), {});
    return out;
  }

  // A user's API token (made through the CLI as the node's operator).
  std::string Token(const std::string& user, const std::string& role) const {
    node->Cli({"users", "add", "--id", user, "--role", role}, "");
    auto r = node->Cli({"users", "token", "--id", user}, "");
    REQUIRE(r.exit == 0);
    return Lines(r.out).back();
  }
};

const std::string kCaseOpened =
    R"({"id":"00000001-0000-4000-8000-000000000001","type":"case.opened",)"
    R"("occurred_at":"2025-03-01T10:00:00Z","author":{"user":"-","role":"probation",)"
    R"("agency":"-"},"data":{"case":"C-1","subject":"S-1","order":"community_order",)"
    R"("risk":"high","lead_agency":"probation-ce"}})";

TEST_CASE("http: every error is JSON with its status, and the server lives on", "[http]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  const std::string analyst = h.Token("an-1", "analyst");

  // 401: no token, and a token the node does not know (with WWW-Authenticate).
  auto r = h.Request("GET", "/v1/cases", "");
  CHECK(r.status == 401);
  CHECK(r.authenticate.find("Bearer") == 0);
  CHECK(Contains(r.body, R"("code":"unauthorized")"));
  r = h.Request("GET", "/v1/cases", "hft_not-a-token");
  CHECK(r.status == 401);
  CHECK(r.authenticate.find("Bearer") == 0);
  // 403: a known user whose role lacks the right.
  r = h.Request("GET", "/v1/cases", analyst);
  CHECK(r.status == 403);
  CHECK(Contains(r.body, R"("code":"permission_denied")"));
  // 400 names the field: a bad query value, an unknown parameter, bad JSON in the body.
  r = h.Request("GET", "/v1/alerts?status=bogus", probation);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"status")"));
  r = h.Request("GET", "/v1/alerts?limit=lots", probation);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"limit")"));
  r = h.Request("GET", "/v1/alerts?colour=red", probation);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"colour")"));
  // A NUL or other control character in a value is refused naming it: the request table's
  // text ends at a NUL, so ?case=%00 once listed every alert, as if no case were given.
  for (const std::string query :
       {"?case=%00", "?case=%00C-1", "?subject=S-1%00x", "?status=all%0a", "?after=%1b"}) {
    INFO(query);
    r = h.Request("GET", "/v1/alerts" + query, probation);
    INFO(r.body);
    CHECK(r.status == 400);
    const std::string name = query.substr(1, query.find('=') - 1);
    CHECK(Contains(r.body, "\"field\":\"" + name + "\""));
  }
  // A parameter with no name ("?=1", "?=") is named as the query's.
  for (const std::string query : {"?=1", "?status=all&=", "?=&limit=1"}) {
    INFO(query);
    r = h.Request("GET", "/v1/alerts" + query, probation);
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(Contains(r.body, R"("field":"query")"));
  }
  r = h.Request("GET", "/v1/alerts?as_of=yesterday", probation);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"as_of")"));
  r = h.Request("POST", "/v1/events", probation, "{\"type\": ");
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"line 1)"));
  std::string bad_outcome = kCaseOpened;
  bad_outcome.replace(bad_outcome.find("\"high\""), 6, "\"extreme\"");
  r = h.Request("POST", "/v1/events", probation, bad_outcome);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"line 1 data.risk")"));
  // 404: no such route, no such resource.
  r = h.Request("GET", "/v2/cases", probation);
  CHECK(r.status == 404);
  r = h.Request("GET", "/v1/cases/C-404", probation);
  CHECK(r.status == 404);
  CHECK(Contains(r.body, R"("code":"not_found")"));
  // 405 with Allow.
  r = h.Request("DELETE", "/v1/cases", probation);
  CHECK(r.status == 405);
  CHECK(r.allow == "GET");
  r = h.Request("GET", "/v1/events", probation);
  CHECK(r.status == 405);
  CHECK(r.allow == "POST");
  // 413 over max_body_bytes (64 KiB here), and nothing of it written.
  const uint64_t before = h.node->StoredEvents();
  r = h.Request("POST", "/v1/events", probation, std::string(70000, '\n') + kCaseOpened);
  CHECK(r.status == 413);
  CHECK(Contains(r.body, R"("code":"payload_too_large")"));
  CHECK(h.node->StoredEvents() == before);
  // And the server still answers; a good append is written.
  r = h.Request("POST", "/v1/events", probation, kCaseOpened + "\n");
  CHECK(r.status == 200);
  CHECK(Contains(r.body, R"("appended")"));
  r = h.Request("GET", "/v1/cases/C-1", probation);
  CHECK(r.status == 200);
  CHECK(Contains(r.body, R"("caseId":"C-1")"));
  CHECK(h.node->Running());
}

TEST_CASE("http: paths that climb out name nothing and read nothing", "[http]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  for (const std::string path :
       {"/v1/../../etc/passwd", "/v1/cases/../../../etc/passwd",
        "/v1/cases/%2e%2e/%2e%2e/etc/passwd", "/v1/cases/%2e%2e", "/v1/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc/passwd", "/v1/cases/..%5c..%5cetc%5cpasswd"}) {
    INFO(path);
    auto r = h.Request("GET", path, probation);
    CHECK(r.status == 404);
    CHECK(!Contains(r.body, "root:"));
  }
  // None of them reached the request table: the audit log holds no case-show of them.
  auto audit = h.node->Cli({"audit", "list"}, "");
  CHECK(!Contains(audit.out, "case-show"));
}

TEST_CASE("http: a client holding too many connections is cut off, another is served", "[http]") {
  HttpNode h;
  auto r = h.Client({"flood", "127.0.0.1", "10"});
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  int cut = -1, kept = -1, other = -1;
  REQUIRE(std::sscanf(r.out.c_str(), "cut %d kept %d other %d", &cut, &kept, &other) == 3);
  CHECK(kept == 4);  // max_connections_per_client
  CHECK(cut == 6);
  CHECK(other == 200);
  CHECK(Contains(h.node->Log(), "http: refused a connection from 127.0.0.1"));
}

TEST_CASE("http: a client sending its headers a byte at a time is timed out", "[http]") {
  HttpNode h;
  auto r = h.Client({"slowloris", "15"});
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  REQUIRE(r.out != "open\n");
  const double seconds = std::stod(r.out);
  CHECK(seconds >= 2.5);  // client_timeout_seconds = 3
  CHECK(seconds < 8);
  CHECK(h.Request("GET", "/healthz", "").status == 200);
}

TEST_CASE("http: healthz and metrics in the Prometheus text format", "[http]") {
  HttpNode h;
  auto r = h.Request("GET", "/healthz", "");
  CHECK(r.status == 200);
  CHECK(Contains(r.body, R"("status":"ok")"));
  CHECK(Contains(r.body, R"("node":"probation-1")"));
  const std::string probation = h.Token("po-1", "probation");
  REQUIRE(h.Request("POST", "/v1/events", probation, kCaseOpened).status == 200);
  REQUIRE(h.Request("GET", "/v1/cases", probation).status == 200);
  r = h.Request("GET", "/metrics", "");
  REQUIRE(r.status == 200);
  // Every line is a comment (# HELP / # TYPE) or `name{labels} value`; every sample's family
  // has a TYPE line before it.
  std::set<std::string> typed;
  std::map<std::string, double> samples;
  for (const auto& line : Lines(r.body)) {
    INFO(line);
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream in(line.substr(7));
      std::string name, type;
      in >> name >> type;
      CHECK((type == "counter" || type == "gauge" || type == "histogram"));
      typed.insert(name);
      continue;
    }
    const size_t space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    const std::string series = line.substr(0, space);
    const std::string name = series.substr(0, series.find('{'));
    CHECK(std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    }));
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!typed.count(family) && family.size() > std::strlen(suffix) &&
          family.compare(family.size() - std::strlen(suffix), std::strlen(suffix), suffix) == 0) {
        family = family.substr(0, family.size() - std::strlen(suffix));
      }
    }
    CHECK(typed.count(family) == 1);
    samples[series] = std::stod(line.substr(space + 1));
  }
  CHECK(samples["holdfast_events_total"] >= 1);
  CHECK(samples.count("holdfast_alerts_open{rule=\"breach\"}") == 1);
  CHECK(samples["holdfast_http_requests_total{code=\"200\",route=\"/v1/cases\"}"] == 1);
  CHECK(samples["holdfast_http_request_duration_seconds_count{route=\"/v1/cases\"}"] == 1);
  CHECK(samples["holdfast_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/v1/cases\"}"] ==
        1);
}

TEST_CASE("http: an API read is audited as the same read over the socket", "[http]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  REQUIRE(h.Request("POST", "/v1/events", probation, kCaseOpened).status == 200);
  const std::string token_file = h.dir / "po-1.token";
  WriteFile(token_file, probation + "\n");
  REQUIRE(::chmod(token_file.c_str(), 0600) == 0);
  Env env = {{"HOLDFAST_TOKEN_FILE", token_file}};
  auto cli = Holdfast({"case", "show", "--case", "C-1", "--config", h.node->config()}, env);
  REQUIRE(cli.exit == 0);
  REQUIRE(h.Request("GET", "/v1/cases/C-1", probation).status == 200);
  auto audit = h.node->Cli({"audit", "list", "--verb", "case-show", "--format", "json"}, "");
  REQUIRE(audit.exit == 0);
  auto lines = Lines(audit.out);
  REQUIRE(lines.size() == 2);
  // Newest first: the API's, then the socket's; the same but for the time.
  for (const char* field : {"user", "role", "verb", "target", "outcome", "credential"}) {
    INFO(field);
    CHECK(StringField(lines[0], field) == StringField(lines[1], field));
  }
  CHECK(StringField(lines[0], "target") == "C-1");
}

// The alert ids in a listing's JSON, in order.
std::vector<std::string> AlertIds(const std::string& json) {
  std::vector<std::string> out;
  const std::string key = "\"alert\":\"";
  for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
    out.push_back(json.substr(at + key.size(), 36));
  }
  return out;
}

std::string BreachJson(int n, const std::string& case_id) {
  return R"({"id":"00000002-0000-4000-8000-00000000000)" + std::to_string(n) +
         R"(","type":"breach.reported","occurred_at":"2025-03-0)" + std::to_string(n + 1) +
         R"(T10:00:00Z","author":{"user":"-","role":"probation","agency":"-"},)"
         R"("data":{"case":")" +
         case_id + R"(","kind":"order_breach","detail":"missed"}})";
}

// Opens C-1 and reports a breach on it as `probation`, then waits until `police` lists (at
// `listing`) the one alert the breach raises; its id.
std::string OneBreachAlert(HttpNode& h, const std::string& probation, const std::string& police,
                           const std::string& listing = "/v1/alerts") {
  REQUIRE(h.Request("POST", "/v1/events", probation, kCaseOpened).status == 200);
  REQUIRE(h.Request("POST", "/v1/events", probation, BreachJson(1, "C-1")).status == 200);
  std::vector<std::string> ids;
  REQUIRE(WaitUntil(Scaled(milliseconds(10000)), [&] {
    ids = AlertIds(h.Request("GET", listing, police).body);
    return ids.size() == 1;
  }));
  return ids[0];
}

TEST_CASE("http: police ack, assign and resolve an alert by a prefix of its id", "[http][triage]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  const std::string police = h.Token("pc-1", "police");
  const std::string facilitator = h.Token("f-1", "facilitator");
  const std::string alert =
      OneBreachAlert(h, probation, police, "/v1/alerts?severity=high&subject=S-1");
  const std::string prefix = alert.substr(0, 8);

  // GET by a prefix: the alert, as police may see it.
  auto r = h.Request("GET", "/v1/alerts/" + prefix, police);
  CHECK(r.status == 200);
  CHECK(StringField(r.body, "alert") == alert);

  // Bad bodies and ids: 400 naming the field, and nothing written.
  const uint64_t before = h.node->StoredEvents();
  struct Bad {
    std::string path, body, field;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"/v1/alerts/" + prefix + "/ack", R"({"note": 3})", "note"},
           {"/v1/alerts/" + prefix + "/ack", R"({"colour": "red"})", "colour"},
           {"/v1/alerts/" + prefix + "/ack", R"(["note"])", "body"},
           {"/v1/alerts/" + prefix + "/ack", R"({"note": )", "body"},
           {"/v1/alerts/" + prefix + "/resolve", "", "action"},
           {"/v1/alerts/" + prefix + "/assign", R"({"note": "x"})", "to"},
           {"/v1/alerts/" + prefix + "/ack", R"({"at": "soon"})", "at"},
           {"/v1/alerts/" + alert.substr(0, 7) + "/ack", "", "id"},
           {"/v1/alerts/zzzzzzzzz/ack", "", "id"},
       }) {
    INFO(bad.path << " " << bad.body);
    r = h.Request("POST", bad.path, police, bad.body);
    CHECK(r.status == 400);
    CHECK(Contains(r.body, "\"field\":\"" + bad.field + "\""));
  }
  CHECK(h.Request("GET", "/v1/alerts/" + alert.substr(0, 7), police).status == 400);
  r = h.Request("POST", "/v1/alerts/ffffffff/ack", police);
  CHECK(r.status == 404);
  CHECK(Contains(r.body, "no alert on this node has an id starting with"));
  CHECK(h.Request("GET", "/v1/alerts/ffffffff", police).status == 404);
  CHECK(h.node->StoredEvents() == before);

  // Police ack, assign and resolve it by the prefix.
  r = h.Request("POST", "/v1/alerts/" + prefix + "/ack", police, R"({"note": "called the OIC"})");
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(Contains(r.body, R"("appended")"));
  CHECK(h.Request("GET", "/v1/alerts?mine=true", police).body.find(alert) == std::string::npos);
  r = h.Request("POST", "/v1/alerts/" + alert.substr(0, 13) + "/assign", police,
                R"({"to": "pc-1", "note": "knows the family"})");
  CHECK(r.status == 200);
  CHECK(AlertIds(h.Request("GET", "/v1/alerts?mine=true&status=all", police).body) ==
        std::vector<std::string>{alert});
  CHECK(AlertIds(h.Request("GET", "/v1/alerts?since=2025-03-03&status=all", police).body).empty());
  r = h.Request("POST", "/v1/alerts/" + prefix + "/resolve", police,
                R"({"action": "home visit made"})");
  CHECK(r.status == 200);
  r = h.Request("GET", "/v1/alerts/" + alert, probation);
  CHECK(r.status == 200);
  CHECK(StringField(r.body, "status") == "resolved");
  CHECK(StringField(r.body, "assignedTo") == "pc-1");
  // The events are the CLI's: alert.acknowledged, alert.assigned and alert.resolved by pc-1.
  auto shown = h.node->Cli({"case", "show", "--case", "C-1", "--format", "json"}, "probation");
  CHECK(Contains(shown.out, "alert.acknowledged"));
  CHECK(Contains(shown.out, "alert.assigned"));
  CHECK(Contains(shown.out, "alert.resolved"));
  CHECK(Contains(shown.out, "home visit made"));

  // A facilitator may not see this alert (not on an intervention at its agency): 404 by a
  // prefix; by the whole id, its role may not append alert.* events: 403.
  CHECK(h.Request("GET", "/v1/alerts/" + prefix, facilitator).status == 404);
  CHECK(h.Request("POST", "/v1/alerts/" + prefix + "/ack", facilitator).status == 404);
  r = h.Request("POST", "/v1/alerts/" + alert + "/ack", facilitator);
  CHECK(r.status == 403);
  CHECK(Contains(r.body, R"("code":"permission_denied")"));
  CHECK(h.Request("POST", "/v1/alerts/" + prefix + "/ack", "hft_not-a-token").status == 401);
  CHECK(h.node->Running());
}

// Python's json.dumps, JavaScript's JSON.stringify of a lone surrogate and many other
// encoders write non-ASCII as \uXXXX escapes: the note is stored as the characters sent (the
// codec once read the hex digits a-f as 0-5, so "caf\u00e9" was stored as "cafI"), and an
// escape that is not a character (\u0000, a lone surrogate) is refused naming the member.
TEST_CASE("http: an ack's note keeps its \\u escapes, and a NUL or a lone surrogate is refused",
          "[http][triage]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  const std::string police = h.Token("pc-1", "police");
  const std::string ack = "/v1/alerts/" + OneBreachAlert(h, probation, police) + "/ack";
  const uint64_t before = h.node->StoredEvents();
  struct Bad {
    std::string body, field;
  };
  for (const Bad& bad : std::vector<Bad>{
           {R"({"note": "a\u0000b"})", "note"},
           {R"({"note": "a\ud800b"})", "note"},
           {R"({"note": "a\udc00b"})", "note"},
           {"{\"note\": \"a\xff\xfe b\"}", "note"},
           {R"({"note": "a\u00zzb"})", "note"},
       }) {
    INFO(bad.body);
    auto r = h.Request("POST", ack, police, bad.body);
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(Contains(r.body, "\"field\":\"" + bad.field + "\""));
  }
  CHECK(h.node->StoredEvents() == before);
  auto r =
      h.Request("POST", ack, police, R"({"note": "caf\u00e9 \ud83d\ude00 \u001b\u00AB\u00bb"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto shown = h.node->Cli({"export"}, "operator");
  REQUIRE(shown.exit == 0);
  CHECK(Contains(shown.out, "\"note\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \\u001b\xc2\xab\xc2\xbb\""));
}

TEST_CASE("http: an alert id prefix that starts two alerts is refused, naming the count",
          "[http][triage]") {
  HttpNode h("police");
  const std::string police = h.Token("pc-1", "police");
  const std::string a = "abcdef01-0000-4000-8000-000000000001";
  const std::string b = "abcdef01-0000-4000-8000-000000000002";
  WriteFile(h.dir / "alerts.jsonl", AlertRaisedJson(TestUuid(0x1a, 1), a, "C-7") +
                                        AlertRaisedJson(TestUuid(0x1a, 2), b, "C-8"));
  auto imported = h.node->Cli({"import", "--file", h.dir / "alerts.jsonl", "--with-derived"}, "");
  INFO(imported.Describe());
  REQUIRE(imported.exit == 0);
  const uint64_t before = h.node->StoredEvents();
  for (const std::string& path :
       {std::string("/v1/alerts/abcdef01"), std::string("/v1/alerts/abcdef01-0000/ack")}) {
    INFO(path);
    auto r = h.Request(path.size() > 20 ? "POST" : "GET", path, police);
    CHECK(r.status == 400);
    CHECK(Contains(r.body, R"("field":"id")"));
    CHECK(Contains(r.body, "starts the ids of 2 alerts: give more characters of the id"));
  }
  CHECK(h.node->StoredEvents() == before);
  auto r =
      h.Request("POST", "/v1/alerts/" + a.substr(0, 35) + "2/assign", police, R"({"to": "pc-1"})");
  CHECK(r.status == 200);
  CHECK(AlertIds(h.Request("GET", "/v1/alerts?mine=true", police).body) ==
        std::vector<std::string>{b});
}

TEST_CASE("http: an ack by a prefix is audited as the CLI's", "[http][triage]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  const std::string police = h.Token("pc-1", "police");
  const std::string prefix = OneBreachAlert(h, probation, police).substr(0, 10);
  const std::string token_file = h.dir / "pc-1.token";
  WriteFile(token_file, police + "\n");
  REQUIRE(::chmod(token_file.c_str(), 0600) == 0);
  Env env = {{"HOLDFAST_TOKEN_FILE", token_file}};
  auto cli = Holdfast(
      {"alerts", "ack", "--alert", prefix, "--note", "seen", "--config", h.node->config()}, env);
  INFO(cli.Describe());
  REQUIRE(cli.exit == 0);
  REQUIRE(
      h.Request("POST", "/v1/alerts/" + prefix + "/ack", police, R"({"note": "seen"})").status ==
      200);
  auto audit = h.node->Cli({"audit", "list", "--user", "pc-1", "--format", "json"}, "");
  REQUIRE(audit.exit == 0);
  auto lines = Lines(audit.out);
  // Newest first: the API's lookup and append, then the CLI's, the same but for the time.
  REQUIRE(lines.size() >= 4);
  for (int i = 0; i < 2; ++i) {
    for (const char* field : {"user", "role", "verb", "target", "outcome", "credential"}) {
      INFO(i << " " << field << "\n" << audit.out);
      CHECK(StringField(lines[i], field) == StringField(lines[i + 2], field));
    }
  }
  CHECK(StringField(lines[1], "verb") == "alert-id");
  CHECK(StringField(lines[0], "verb") == "append");
}

TEST_CASE(
    "http: the alert feed resumes after Last-Event-ID across a restart, no gap, no "
    "duplicate",
    "[http][feed]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  // A breach raises an alert on the (deriving) probation node.
  REQUIRE(h.Request("POST", "/v1/events", probation, kCaseOpened).status == 200);
  auto breach = [&](int n) {
    const std::string json = R"({"id":"00000002-0000-4000-8000-00000000000)" + std::to_string(n) +
                             R"(","type":"breach.reported","occurred_at":"2025-03-0)" +
                             std::to_string(n + 1) +
                             R"(T10:00:00Z","author":{"user":"-","role":"probation","agency":"-"},)"
                             R"("data":{"case":"C-1","kind":"order_breach","detail":"missed"}})";
    REQUIRE(h.Request("POST", "/v1/events", probation, json).status == 200);
  };
  breach(1);
  breach(2);
  auto first = h.Client({"sse", probation, "-", "2", "20"});
  INFO(first.Describe());
  auto got = Lines(first.out);
  REQUIRE(got.size() == 2);
  const std::string resume_after = got[0].substr(0, got[0].find(' '));
  REQUIRE(h.node->Stop() == 0);
  h.Start();
  breach(3);
  auto second = h.Client({"sse", probation, resume_after, "2", "20"});
  INFO(second.Describe());
  auto rest = Lines(second.out);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0] == got[1]);  // no gap: the one after the cursor, sent again after the restart
  CHECK(std::stoull(rest[1]) > std::stoull(got[1]));  // then the new one, once
  CHECK(Contains(rest[1], "raised"));
}

// A feed cursor is a position in this node's log: one past its end is another node's, or
// from before a restore, or made up. The feed after it would be silent until the log grew
// past it (every change meanwhile lost to the client): refused, naming where it came from.
TEST_CASE(
    "http: a feed cursor past the end of the node's log is refused, over HTTPS and the socket",
    "[http][feed]") {
  HttpNode h;
  const std::string probation = h.Token("po-1", "probation");
  REQUIRE(h.Request("POST", "/v1/events", probation, kCaseOpened).status == 200);
  REQUIRE(h.Request("POST", "/v1/events", probation, BreachJson(1, "C-1")).status == 200);
  const std::string past = "1000000";
  auto r = h.Request("GET", "/v1/alerts/feed", probation, "", {"Last-Event-ID:" + past});
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"Last-Event-ID")"));
  CHECK(Contains(r.body, "past the end of this node's log"));
  r = h.Request("GET", "/v1/alerts/feed?since=18446744073709551615", probation);
  CHECK(r.status == 400);
  CHECK(Contains(r.body, R"("field":"since")"));
  RunOptions quick;
  quick.timeout = Scaled(milliseconds(10000));
  auto watched =
      h.node->Cli({"alerts", "watch", "--since", past}, "probation", Node::kDefaultUser, quick);
  INFO(watched.Describe());
  CHECK(IsOneLineFailure(watched));
  CHECK(Contains(watched.err, "--since"));
  CHECK(Contains(watched.err, "past the end of this node's log"));
  // The log's own end is a cursor: the stream begins (and sends nothing yet).
  auto at_end = h.Client({"sse", probation, "0", "1", "10"});
  INFO(at_end.Describe());
  REQUIRE(!Lines(at_end.out).empty());
  const std::string last = Lines(at_end.out)[0].substr(0, Lines(at_end.out)[0].find(' '));
  auto from_last = h.Client({"sse", probation, last, "1", "2"});
  INFO(from_last.Describe());
  CHECK(from_last.exit == 0);
  CHECK(!Contains(from_last.out, "status"));
}

// docs/http-api.md: the stream ends when the user is disabled. It ended only at the next alert
// change the feed held (which may be hours away), the disabled user's connection kept open
// by keepalives meanwhile: now the heartbeat checks too, so it ends within one (15 s).
TEST_CASE("http: a disabled user's feed stream ends at the next heartbeat with no change",
          "[http][feed]") {
  HttpNode h;
  const std::string reader = h.Token("po-2", "probation");
  auto client = Child::Start(
      {HOLDFAST_PYTHON, kClient, h.ca, std::to_string(h.port), "sse-end", reader, "40"});
  const std::string began =
      "holdfast_http_requests_total{code=\"200\",route=\"/v1/alerts/feed\"} 1";
  REQUIRE(WaitUntil(Scaled(milliseconds(10000)),
                    [&] { return Contains(h.Request("GET", "/metrics", "").body, began); }));
  auto disabled = h.node->Cli({"users", "disable", "--id", "po-2"}, "");
  REQUIRE(disabled.exit == 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = client->Wait(Scaled(milliseconds(45000)));
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(r.Describe());
  CHECK(Lines(r.out) == std::vector<std::string>{"status 200", "error", "end"});
  CHECK(took < std::chrono::seconds(25));
}

}  // namespace
}  // namespace holdfast::test
