#include "daemon/hooks.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon/api.capnp.h"
#include "daemon/feed_json.h"
#include "daemon/handler.h"
#include "daemon/hooks.capnp.h"
#include "eventstore/ids.h"
#include "eventstore/keys.h"

extern char** environ;

namespace holdfast {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxCaBytes = 1 << 20;
// Feed entries one pass reads for a hook before the others get their turn.
constexpr size_t kScanPerPass = 4096;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::vector<std::string>& KnownRules() {
  static const std::vector<std::string> rules = {"non_engagement", "no_contact", "reoffending",
                                                 "breach",         "dropout",    "risk_escalation"};
  return rules;
}

const std::vector<std::string>& KnownSeverities() {
  static const std::vector<std::string> severities = {"low", "medium", "high"};
  return severities;
}

std::string JoinComma(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Result<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return Status::InvalidArgument("not base64");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return Status::InvalidArgument("not base64");
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Whether the URL's host is this machine: http:// is allowed to it only. The whole authority
// (up to / ? or #) is the host and a port: with user info, http://127.0.0.1:80@10.1.2.3/ is
// 10.1.2.3's.
bool LocalHttp(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return false;
  const std::string_view rest = std::string_view(url).substr(kScheme.size());
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  for (std::string_view host : {"127.0.0.1", "localhost", "[::1]"}) {
    if (authority.rfind(host, 0) != 0) continue;
    const std::string_view port = authority.substr(host.size());
    if (port.empty()) return true;
    return port.size() >= 2 && port.size() <= 6 && port[0] == ':' &&
           port.find_first_not_of("0123456789", 1) == std::string_view::npos;
  }
  return false;
}

// --- Rows --------------------------------------------------------------------------------

std::string HookKey(std::string_view id) { return "h/" + std::string(id); }
std::string CursorKey(std::string_view id) { return "c/" + std::string(id); }
std::string StatsKey(std::string_view id) { return "s/" + std::string(id); }
std::string DeliveryPrefix(std::string_view id) { return "d/" + std::string(id) + '\0'; }
std::string DeliveryKey(std::string_view id, uint64_t cursor) {
  return DeliveryPrefix(id) + keys::Fixed64BE(cursor);
}

std::string Flat(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// A row's message, read from a copy aligned to words; throws kj::Exception when malformed.
class RowReader {
 public:
  explicit RowReader(std::string_view value)
      : words_(kj::heapArray<capnp::word>((value.size() + 7) / 8)) {
    if (value.size() % sizeof(capnp::word) != 0) {
      KJ_FAIL_REQUIRE("a row of whole words expected");
    }
    memcpy(words_.begin(), value.data(), value.size());
    message_ = std::make_unique<capnp::FlatArrayMessageReader>(words_);
  }
  template <typename T>
  typename T::Reader Root() {
    return message_->getRoot<T>();
  }

 private:
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> message_;
};

std::string EncodeHook(const HookConfig& c) {
  capnp::MallocMessageBuilder message;
  auto r = message.initRoot<store::HookRecord>();
  r.setId(c.id);
  r.setUrl(c.url);
  r.setKey(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(c.key.data()), c.key.size()));
  r.setExec(c.exec);
  auto rules = r.initRules(static_cast<unsigned>(c.rules.size()));
  for (unsigned i = 0; i < c.rules.size(); ++i) rules.set(i, c.rules[i]);
  auto severity = r.initSeverity(static_cast<unsigned>(c.severity.size()));
  for (unsigned i = 0; i < c.severity.size(); ++i) severity.set(i, c.severity[i]);
  r.setCa(c.ca);
  r.setCreatedAt(c.created_at);
  r.setStartCursor(c.start_cursor);
  return Flat(message);
}

HookConfig DecodeHook(std::string_view value) {
  RowReader reader(value);
  auto r = reader.Root<store::HookRecord>();
  HookConfig c;
  c.id = r.getId();
  c.url = r.getUrl();
  auto key = r.getKey();
  c.key.assign(reinterpret_cast<const char*>(key.begin()), key.size());
  c.exec = r.getExec();
  for (auto rule : r.getRules()) c.rules.emplace_back(rule);
  for (auto s : r.getSeverity()) c.severity.emplace_back(s);
  c.ca = r.getCa();
  c.created_at = r.getCreatedAt();
  c.start_cursor = r.getStartCursor();
  return c;
}

struct Stats {
  uint64_t delivered = 0, failed_attempts = 0;
  std::string last_error;
  int64_t last_error_at = 0, last_success_at = 0;
};

std::string EncodeStats(const Stats& s) {
  capnp::MallocMessageBuilder message;
  auto r = message.initRoot<store::HookStats>();
  r.setDelivered(s.delivered);
  r.setFailedAttempts(s.failed_attempts);
  r.setLastError(s.last_error);
  r.setLastErrorAt(s.last_error_at);
  r.setLastSuccessAt(s.last_success_at);
  return Flat(message);
}

Stats DecodeStats(std::string_view value) {
  RowReader reader(value);
  auto r = reader.Root<store::HookStats>();
  Stats s;
  s.delivered = r.getDelivered();
  s.failed_attempts = r.getFailedAttempts();
  s.last_error = r.getLastError();
  s.last_error_at = r.getLastErrorAt();
  s.last_success_at = r.getLastSuccessAt();
  return s;
}

// A delivery in the outbox ("d/" row), as held in memory: everything but its body, which is
// read from the row when it is tried.
struct Row {
  std::string alert, webhook_id, change;
  uint32_t attempts = 0;
  int64_t first_attempt_at = 0, next_attempt_at = 0;
  std::string last_error;
  bool parked = false;
  bool in_flight = false;
};

std::string EncodeDelivery(const Row& row, std::string_view body) {
  capnp::MallocMessageBuilder message;
  auto r = message.initRoot<store::HookDelivery>();
  r.setAlert(row.alert);
  r.setWebhookId(row.webhook_id);
  r.setChange(row.change);
  r.setBody(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(body.data()), body.size()));
  r.setAttempts(row.attempts);
  r.setFirstAttemptAt(row.first_attempt_at);
  r.setNextAttemptAt(row.next_attempt_at);
  r.setLastError(row.last_error);
  r.setParked(row.parked);
  return Flat(message);
}

Row DecodeDelivery(std::string_view value, std::string* body) {
  RowReader reader(value);
  auto r = reader.Root<store::HookDelivery>();
  Row row;
  row.alert = r.getAlert();
  row.webhook_id = r.getWebhookId();
  row.change = r.getChange();
  row.attempts = r.getAttempts();
  row.first_attempt_at = r.getFirstAttemptAt();
  row.next_attempt_at = r.getNextAttemptAt();
  row.last_error = r.getLastError();
  row.parked = r.getParked();
  if (body != nullptr) {
    auto b = r.getBody();
    body->assign(reinterpret_cast<const char*>(b.begin()), b.size());
  }
  return row;
}

// A feed entry the hook has read and not finished with.
struct WindowEntry {
  uint64_t cursor = 0;
  std::string alert, webhook_id, change, body;
  enum State { kWaiting, kInFlight, kDone } state = kWaiting;
};

}  // namespace

// --- Checks and signatures ------------------------------------------------------------------

Status CheckHook(const std::string& id, const std::string& url, const std::string& secret,
                 const std::string& exec, const std::vector<std::string>& rules,
                 const std::vector<std::string>& severity, const std::string& ca, HookConfig* out) {
  bool id_ok = !id.empty() && id.size() <= kMaxIdLength;
  for (char c : id) id_ok = id_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!id_ok) {
    return Status::InvalidArgument("--id: \"" + id +
                                   "\" is not a hook id: 1-64 of a-z, 0-9 and -, as police-rms");
  }
  if (url.empty() == exec.empty()) {
    return Status::InvalidArgument(
        "give either --url URL --secret-file FILE (a web hook) or --exec PATH (an exec hook)");
  }
  HookConfig c;
  c.id = id;
  if (!url.empty()) {
    bool printable = url.size() <= kMaxUrlLength;
    for (unsigned char ch : url) printable = printable && ch > 0x20 && ch < 0x7f;
    if (!printable) {
      return Status::InvalidArgument(
          "--url: not a URL (no spaces or control characters, "
          "at most 2048 characters)");
    }
    const bool https = url.rfind("https://", 0) == 0 && url.size() > 8;
    if (!https && !LocalHttp(url)) {
      return Status::InvalidArgument("--url: \"" + url +
                                     "\" must start with https:// (http:// only to 127.0.0.1 or "
                                     "localhost)");
    }
    constexpr std::string_view kPrefix = "whsec_";
    if (secret.empty()) {
      return Status::InvalidArgument(
          "--secret-file: a web hook needs a secret: whsec_ and base64, as `echo whsec_$(openssl "
          "rand -base64 32) > FILE` makes");
    }
    auto key = secret.rfind(kPrefix, 0) == 0
                   ? DecodeBase64(std::string_view(secret).substr(kPrefix.size()))
                   : Result<std::string>(Status::InvalidArgument("no prefix"));
    if (!key.ok() || key->size() < 16 || key->size() > 64) {
      return Status::InvalidArgument(
          "--secret-file: the secret must be whsec_ and the base64 of 16 to 64 random bytes, "
          "as `echo whsec_$(openssl rand -base64 32) > FILE` makes");
    }
    c.url = url;
    c.key = *key;
    if (ca.size() > kMaxCaBytes ||
        (!ca.empty() && ca.find("-----BEGIN CERTIFICATE-----") == std::string::npos)) {
      return Status::InvalidArgument("--ca: not a PEM file of CA certificates");
    }
    c.ca = ca;
  } else {
    if (!secret.empty()) {
      return Status::InvalidArgument("--secret-file: only a web hook (--url) takes a secret");
    }
    if (!ca.empty()) return Status::InvalidArgument("--ca: only a web hook (--url) takes a CA");
    if (exec.front() != '/') {
      return Status::InvalidArgument("--exec: \"" + exec + "\" must be an absolute path");
    }
    struct stat st {};
    if (stat(exec.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status::InvalidArgument("--exec: " + exec + " is not a file holdfastd can see");
    }
    if (access(exec.c_str(), X_OK) != 0) {
      return Status::InvalidArgument("--exec: " + exec +
                                     " is not executable by holdfastd's account (chmod +x?)");
    }
    c.exec = exec;
  }
  for (const auto& rule : rules) {
    if (!Contains(KnownRules(), rule)) {
      return Status::InvalidArgument("--rules: \"" + rule + "\" is not one of " +
                                     JoinComma(KnownRules()));
    }
    if (!Contains(c.rules, rule)) c.rules.push_back(rule);
  }
  for (const auto& s : severity) {
    if (!Contains(KnownSeverities(), s)) {
      return Status::InvalidArgument("--severity: \"" + s + "\" is not one of " +
                                     JoinComma(KnownSeverities()));
    }
    if (!Contains(c.severity, s)) c.severity.push_back(s);
  }
  *out = std::move(c);
  return Status::Ok();
}

std::string WebhookSignature(std::string_view key, std::string_view webhook_id, int64_t timestamp,
                             std::string_view body) {
  const std::string signed_text =
      std::string(webhook_id) + "." + std::to_string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &mac_len);
  return "v1," + EncodeBase64(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

// --- The delivery engine ------------------------------------------------------------------

// One hook while the daemon runs.
struct HookRun {
  HookConfig config;
  uint64_t generation = 0;
  uint64_t cursor = 0;   // as stored
  uint64_t scanned = 0;  // the last feed entry read into the window (or passed over)
  std::deque<WindowEntry> window;
  std::map<uint64_t, Row> rows;                             // by cursor
  std::map<std::string, std::set<uint64_t>> rows_by_alert;  // each alert's rows, in order
  // The alerts' first rows that may be tried: (next attempt, cursor).
  std::set<std::pair<int64_t, uint64_t>> due;
  Stats stats;
  bool stats_dirty = false;
  uint32_t in_flight = 0;
  uint32_t failures_in_a_row = 0;
  int64_t hold_until = 0;  // after a failure: no new first attempt before this
};

// One attempt under way.
struct Attempt {
  std::string hook;
  uint64_t generation = 0, cursor = 0;
  bool from_row = false;
  std::string url, key, ca, exec, webhook_id, change, body;
  int64_t started_at = 0;
  // Filled when done.
  bool delivered = false;
  std::string error;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::thread::id runner;  // an exec attempt's thread
  char error_buffer[CURL_ERROR_SIZE] = {};
};

struct Hooks::Impl {
  EventStore* store = nullptr;
  Projector* projector = nullptr;
  HookSettings settings;
  SideTable table;

  mutable std::mutex mu;
  std::map<std::string, HookRun> hooks;
  uint64_t next_generation = 1;
  bool stopping = false;
  bool more = false;  // a pass left feed entries unread: go again without waiting
  std::vector<std::unique_ptr<Attempt>> finished;  // exec attempts done, for the engine
  std::atomic<bool> stop_exec{false};

  CURLM* multi = nullptr;
  std::thread engine;
  std::map<std::thread::id, std::thread> exec_threads;  // the engine's only
  std::set<Attempt*> transfers;                         // web attempts under way (engine)
  int listener = -1;
  std::mt19937_64 random{std::random_device{}()};

  ~Impl() {
    if (multi != nullptr) curl_multi_cleanup(multi);
  }

  // --- Loading ---
  Status Load();

  // --- Under mu ---
  bool Selected(const HookConfig& c, const FeedEntry& e) const {
    if (!c.rules.empty() && !Contains(c.rules, RuleName(e.alert.rule))) return false;
    static const char* const kSeverity[] = {"low", "medium", "high"};
    const std::string severity = kSeverity[static_cast<unsigned>(e.alert.severity) % 3];
    return c.severity.empty() || Contains(c.severity, severity);
  }
  int64_t Backoff(uint32_t attempts) {
    const int64_t base = std::max<int64_t>(settings.backoff_base_ms, 1);
    const int64_t cap = std::max<int64_t>(settings.backoff_cap_ms, base);
    int64_t ceiling = base;
    for (uint32_t i = 1; i < attempts && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    std::uniform_int_distribution<int64_t> jitter(0, ceiling);
    return jitter(random) * 1000000;  // full jitter, in nanoseconds
  }
  bool AlertParked(const HookRun& h, const std::string& alert) const {
    auto it = h.rows_by_alert.find(alert);
    if (it == h.rows_by_alert.end() || it->second.empty()) return false;
    return h.rows.at(*it->second.begin()).parked;
  }
  // Puts the alert's first row in `due` when it may be tried.
  void QueueHead(HookRun& h, const std::string& alert) {
    auto it = h.rows_by_alert.find(alert);
    if (it == h.rows_by_alert.end() || it->second.empty()) return;
    const uint64_t head = *it->second.begin();
    const Row& row = h.rows.at(head);
    if (row.parked || row.in_flight) return;
    h.due.insert({row.next_attempt_at, head});
  }
  void PutRow(HookRun& h, uint64_t cursor, const Row& row, std::string_view body,
              SideBatch* batch) {
    batch->Put(table, DeliveryKey(h.config.id, cursor), EncodeDelivery(row, body));
  }
  // Rewrites a row whose body is in the store (read back for the write).
  void RewriteRow(HookRun& h, uint64_t cursor, SideBatch* batch) {
    auto value = table.Get(DeliveryKey(h.config.id, cursor));
    std::string body;
    if (value.ok()) {
      try {
        DecodeDelivery(*value, &body);
      } catch (const kj::Exception&) {
      }
    }
    PutRow(h, cursor, h.rows.at(cursor), body, batch);
  }
  // Adds a row for a window entry (a failure, or one waiting behind its alert's rows).
  void AddRow(HookRun& h, const WindowEntry& e, Row row, SideBatch* batch) {
    row.alert = e.alert;
    row.webhook_id = e.webhook_id;
    row.change = e.change;
    PutRow(h, e.cursor, row, e.body, batch);
    h.rows[e.cursor] = std::move(row);
    h.rows_by_alert[e.alert].insert(e.cursor);
  }
  // Parks every row of the alert.
  void ParkAlert(HookRun& h, const std::string& alert, SideBatch* batch) {
    for (uint64_t cursor : h.rows_by_alert[alert]) {
      Row& row = h.rows.at(cursor);
      if (row.parked) continue;
      h.due.erase({row.next_attempt_at, cursor});
      row.parked = true;
      if (row.last_error.empty()) row.last_error = "held behind a parked change of its alert";
      RewriteRow(h, cursor, batch);
    }
  }
  void Refill(HookRun& h, SideBatch* batch);
  void AdvanceCursor(HookRun& h, SideBatch* batch) {
    while (!h.window.empty() && h.window.front().state == WindowEntry::kDone) h.window.pop_front();
    const uint64_t cursor = h.window.empty() ? h.scanned : h.window.front().cursor - 1;
    if (cursor != h.cursor) {
      h.cursor = cursor;
      batch->Put(table, CursorKey(h.config.id), keys::Fixed64BE(cursor));
    }
  }
  std::vector<std::unique_ptr<Attempt>> Pick(HookRun& h, int64_t now);
  void Finish(Attempt& a, int64_t now, SideBatch* batch);
  int64_t NextWake(int64_t now) const;

  // --- The engine thread ---
  void Run();
  void StartWeb(std::unique_ptr<Attempt> attempt);
  void StartExec(std::unique_ptr<Attempt> attempt);
  void Wake() {
    if (multi != nullptr) curl_multi_wakeup(multi);
  }
  void Write(const SideBatch& batch) {
    if (batch.empty()) return;
    // Not synced: a crash loses at most the latest progress, delivered again after it.
    if (Status s = store->Write(batch, /*sync=*/false); !s.ok()) {
      spdlog::error("hooks: cannot record deliveries: {}", s.ToString());
    }
  }
};

Status Hooks::Impl::Load() {
  Status bad;
  Status s = table.Scan("h/", [&](std::string_view key, std::string_view value) {
    try {
      HookRun h;
      h.config = DecodeHook(value);
      h.generation = next_generation++;
      h.cursor = h.scanned = h.config.start_cursor;
      hooks[h.config.id] = std::move(h);
    } catch (const kj::Exception&) {
      bad = Status::Corruption("hooks: the row " + std::string(key) + " cannot be read");
      return false;
    }
    return true;
  });
  HOLDFAST_RETURN_IF_ERROR(s);
  HOLDFAST_RETURN_IF_ERROR(bad);
  for (auto& entry : hooks) {
    // Named, not bound: clang refuses a lambda that captures a structured binding.
    const std::string& id = entry.first;
    HookRun& h = entry.second;
    if (auto cursor = table.Get(CursorKey(id)); cursor.ok() && cursor->size() == 8) {
      h.cursor = h.scanned = keys::DecodeFixed64BE(cursor->data());
    }
    if (auto stats = table.Get(StatsKey(id)); stats.ok()) {
      try {
        h.stats = DecodeStats(*stats);
      } catch (const kj::Exception&) {
      }
    }
    const std::string prefix = DeliveryPrefix(id);
    s = table.Scan(prefix, [&](std::string_view key, std::string_view value) {
      if (key.size() != prefix.size() + 8) return true;
      const uint64_t cursor = keys::DecodeFixed64BE(key.data() + prefix.size());
      try {
        Row row = DecodeDelivery(value, nullptr);
        h.rows_by_alert[row.alert].insert(cursor);
        h.rows[cursor] = std::move(row);
      } catch (const kj::Exception&) {
        bad = Status::Corruption("hooks: a delivery row of " + id + " cannot be read");
        return false;
      }
      return true;
    });
    HOLDFAST_RETURN_IF_ERROR(s);
    HOLDFAST_RETURN_IF_ERROR(bad);
    for (const auto& [alert, cursors] : h.rows_by_alert) QueueHead(h, alert);
  }
  return Status::Ok();
}

void Hooks::Impl::Refill(HookRun& h, SideBatch* batch) {
  if (h.window.size() >= Hooks::kWindow) return;
  size_t read = 0;
  Status s = projector->ScanFeed(h.scanned, [&](const FeedEntry& e) {
    if (++read > kScanPerPass) {
      more = true;
      return false;
    }
    h.scanned = e.cursor;
    if (h.rows.count(e.cursor) || !Selected(h.config, e)) return true;  // a row has it already
    WindowEntry w;
    w.cursor = e.cursor;
    w.alert = FormatUuid(e.alert.alert);
    w.webhook_id = "msg_" + FormatUuid(e.event);
    w.change = AlertChangeName(e.change);
    capnp::MallocMessageBuilder message;
    auto item = message.initRoot<api::FeedItem>();
    // No free text leaves the node by a hook: a receiver reads it through the API, with a
    // token of a user whose role may (docs/hooks.md).
    RequestHandler::FillFeedItem(e, AlertWithheld{true, true, true}, item);
    w.body = FeedItemJson(item.asReader());
    auto alert_rows = h.rows_by_alert.find(w.alert);
    if (alert_rows != h.rows_by_alert.end() && !alert_rows->second.empty()) {
      // Waits behind its alert's rows: a row too, so the cursor need not wait for them.
      Row row;
      row.parked = AlertParked(h, w.alert);
      if (row.parked) row.last_error = "held behind a parked change of its alert";
      AddRow(h, w, std::move(row), batch);
      QueueHead(h, w.alert);
      return true;
    }
    h.window.push_back(std::move(w));
    if (h.window.size() >= Hooks::kWindow) {
      more = true;
      return false;
    }
    return true;
  });
  if (!s.ok()) spdlog::error("hooks: reading the alert feed: {}", s.ToString());
}

std::vector<std::unique_ptr<Attempt>> Hooks::Impl::Pick(HookRun& h, int64_t now) {
  std::vector<std::unique_ptr<Attempt>> out;
  auto make = [&](uint64_t cursor, const std::string& webhook_id, const std::string& change,
                  std::string body, bool from_row) {
    auto a = std::make_unique<Attempt>();
    a->hook = h.config.id;
    a->generation = h.generation;
    a->cursor = cursor;
    a->from_row = from_row;
    a->url = h.config.url;
    a->key = h.config.key;
    a->ca = h.config.ca;
    a->exec = h.config.exec;
    a->webhook_id = webhook_id;
    a->change = change;
    a->body = std::move(body);
    a->started_at = now;
    ++h.in_flight;
    out.push_back(std::move(a));
  };
  // Retries that are due, in the order they fell due.
  while (h.in_flight < Hooks::kMaxInFlight && !h.due.empty() && h.due.begin()->first <= now) {
    const uint64_t cursor = h.due.begin()->second;
    h.due.erase(h.due.begin());
    Row& row = h.rows.at(cursor);
    std::string body;
    auto value = table.Get(DeliveryKey(h.config.id, cursor));
    if (value.ok()) {
      try {
        DecodeDelivery(*value, &body);
      } catch (const kj::Exception&) {
      }
    }
    row.in_flight = true;
    make(cursor, row.webhook_id, row.change, std::move(body), true);
  }
  if (now < h.hold_until) return out;
  // First attempts, one at a time per alert.
  std::set<std::string_view> busy;
  for (auto& w : h.window) {
    if (h.in_flight >= Hooks::kMaxInFlight) break;
    if (w.state == WindowEntry::kDone) continue;
    if (!busy.insert(w.alert).second) continue;  // an earlier change of its alert is not done
    if (w.state != WindowEntry::kWaiting) continue;
    if (h.rows_by_alert.count(w.alert) && !h.rows_by_alert[w.alert].empty()) continue;
    w.state = WindowEntry::kInFlight;
    make(w.cursor, w.webhook_id, w.change, w.body, false);
  }
  return out;
}

void Hooks::Impl::Finish(Attempt& a, int64_t now, SideBatch* batch) {
  auto found = hooks.find(a.hook);
  if (found == hooks.end() || found->second.generation != a.generation) return;  // removed
  HookRun& h = found->second;
  --h.in_flight;
  h.stats_dirty = true;
  const int64_t retry_for = settings.retry_for_seconds * 1000000000;
  if (a.delivered) {
    ++h.stats.delivered;
    h.stats.last_success_at = now;
    h.failures_in_a_row = 0;
    h.hold_until = 0;
  } else {
    ++h.stats.failed_attempts;
    h.stats.last_error = a.error;
    h.stats.last_error_at = now;
    ++h.failures_in_a_row;
    h.hold_until = now + Backoff(h.failures_in_a_row);
    spdlog::warn("hooks: {}: a delivery failed: {}", h.config.id, a.error);
  }
  if (!a.from_row) {
    auto w = std::find_if(h.window.begin(), h.window.end(),
                          [&](const WindowEntry& e) { return e.cursor == a.cursor; });
    if (w == h.window.end()) return;
    w->state = WindowEntry::kDone;
    if (a.delivered) return;
    Row row;
    row.attempts = 1;
    row.first_attempt_at = a.started_at;
    row.last_error = a.error;
    row.parked = now - a.started_at >= retry_for;
    row.next_attempt_at = now + Backoff(1);
    const std::string alert = w->alert;
    AddRow(h, *w, std::move(row), batch);
    // The later changes of the alert wait behind it, as rows.
    for (auto& later : h.window) {
      if (later.cursor <= a.cursor || later.alert != alert) continue;
      if (later.state != WindowEntry::kWaiting) continue;
      later.state = WindowEntry::kDone;
      AddRow(h, later, Row{}, batch);
    }
    if (h.rows.at(a.cursor).parked) {
      ParkAlert(h, alert, batch);
    } else {
      QueueHead(h, alert);
    }
    return;
  }
  auto it = h.rows.find(a.cursor);
  if (it == h.rows.end()) return;  // retried or removed meanwhile
  Row& row = it->second;
  row.in_flight = false;
  const std::string alert = row.alert;
  if (a.delivered) {
    batch->Delete(table, DeliveryKey(h.config.id, a.cursor));
    h.rows.erase(it);
    auto& alert_rows = h.rows_by_alert[alert];
    alert_rows.erase(a.cursor);
    if (alert_rows.empty()) {
      h.rows_by_alert.erase(alert);
    } else {
      Row& next = h.rows.at(*alert_rows.begin());
      if (!next.parked && next.attempts == 0) next.next_attempt_at = now;
      QueueHead(h, alert);
    }
    return;
  }
  ++row.attempts;
  if (row.first_attempt_at == 0) row.first_attempt_at = a.started_at;
  row.last_error = a.error;
  if (now - row.first_attempt_at >= retry_for) {
    row.parked = true;
    RewriteRow(h, a.cursor, batch);
    ParkAlert(h, alert, batch);
    spdlog::warn("hooks: {}: a delivery parked as failed after {} attempts (hooks retry --id {})",
                 h.config.id, row.attempts, h.config.id);
  } else {
    row.next_attempt_at = now + Backoff(row.attempts);
    RewriteRow(h, a.cursor, batch);
    QueueHead(h, alert);
  }
}

int64_t Hooks::Impl::NextWake(int64_t now) const {
  int64_t wake = now + 1000000000;  // at least once a second
  for (const auto& [id, h] : hooks) {
    if (!h.due.empty()) wake = std::min(wake, h.due.begin()->first);
    if (h.hold_until > now && !h.window.empty()) wake = std::min(wake, h.hold_until);
  }
  return wake;
}

namespace {

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

void Hooks::Impl::StartWeb(std::unique_ptr<Attempt> a) {
  CURL* e = curl_easy_init();
  if (e == nullptr) {
    a->error = "libcurl could not make a transfer";
    std::lock_guard<std::mutex> l(mu);
    finished.push_back(std::move(a));
    return;
  }
  const int64_t timestamp = a->started_at / 1000000000;
  a->headers = curl_slist_append(a->headers, "content-type: application/json");
  a->headers = curl_slist_append(a->headers, ("webhook-id: " + a->webhook_id).c_str());
  a->headers =
      curl_slist_append(a->headers, ("webhook-timestamp: " + std::to_string(timestamp)).c_str());
  a->headers = curl_slist_append(
      a->headers,
      ("webhook-signature: " + WebhookSignature(a->key, a->webhook_id, timestamp, a->body))
          .c_str());
  a->headers = curl_slist_append(a->headers, "user-agent: holdfast");
  a->headers = curl_slist_append(a->headers, "expect:");
  curl_easy_setopt(e, CURLOPT_URL, a->url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, LocalHttp(a->url) ? "http" : "https");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(a->body.size()));
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->body.data());  // the attempt outlives the transfer
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout_seconds * 1000));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings.timeout_seconds * 1000));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->error_buffer);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!a->ca.empty()) {
    // Only the CAs given: not the system's store as well.
    curl_easy_setopt(e, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    curl_blob blob{a->ca.data(), a->ca.size(), CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
  }
  a->easy = e;
  curl_easy_setopt(e, CURLOPT_PRIVATE, a.get());
  curl_multi_add_handle(multi, e);
  transfers.insert(a.release());  // owned by the transfer until it is done (Run)
}

namespace {

int PidFdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Runs an exec hook's program once: the body on stdin, killed (with its process group)
// after `timeout_ms`. Returns "" when it exited 0, else what went wrong.
std::string RunProgram(const Attempt& a, int64_t timeout_ms, const std::atomic<bool>& stop) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return std::string("cannot make a pipe: ") + strerror(errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> env = {
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "HOLDFAST_HOOK_ID=" + a.hook,
      "HOLDFAST_WEBHOOK_ID=" + a.webhook_id,
      "HOLDFAST_WEBHOOK_TIMESTAMP=" + std::to_string(a.started_at / 1000000000),
      "HOLDFAST_ALERT_CHANGE=" + a.change,
      "HOLDFAST_FEED_CURSOR=" + std::to_string(a.cursor),
  };
  std::vector<char*> envp;
  for (auto& v : env) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string path = a.exec;
  char* argv[] = {path.data(), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, path.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  if (spawned != 0) {
    close(in[1]);
    return "cannot run " + a.exec + ": " + strerror(spawned);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto remaining_ms = [&] {
    return std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
  };
  // The body, without blocking past the deadline on a program that does not read it.
  fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
  size_t written = 0;
  bool timed_out = false;
  while (written < a.body.size()) {
    ssize_t n = write(in[1], a.body.data() + written, a.body.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) break;  // EPIPE: it does not read stdin; its exit decides
    pollfd p{in[1], POLLOUT, 0};
    const int64_t left = remaining_ms();
    if (left == 0 || stop) {
      timed_out = true;
      break;
    }
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 200)));
  }
  close(in[1]);
  int pidfd = PidFdOpen(pid);
  int wstatus = 0;
  bool exited = false;
  while (!timed_out) {
    pid_t r = waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) {
      exited = true;
      break;
    }
    const int64_t left = remaining_ms();
    if (left == 0 || stop) {
      timed_out = true;
      break;
    }
    const int slice = static_cast<int>(std::min<int64_t>(left, pidfd >= 0 ? 200 : 20));
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, slice);
    } else {
      poll(nullptr, 0, slice);
    }
  }
  if (!exited) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
  }
  if (pidfd >= 0) close(pidfd);
  if (!exited) {
    return stop ? "holdfastd stopped"
                : "timed out after " + std::to_string(timeout_ms / 1000) + " s";
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return "";
  if (WIFEXITED(wstatus)) return "exit status " + std::to_string(WEXITSTATUS(wstatus));
  return "killed by signal " + std::to_string(WTERMSIG(wstatus));
}

}  // namespace

void Hooks::Impl::StartExec(std::unique_ptr<Attempt> attempt) {
  Attempt* a = attempt.release();
  std::thread runner([this, a] {
    std::unique_ptr<Attempt> owned(a);
    owned->error = RunProgram(*owned, settings.timeout_seconds * 1000, stop_exec);
    owned->delivered = owned->error.empty();
    owned->runner = std::this_thread::get_id();
    std::lock_guard<std::mutex> l(mu);
    finished.push_back(std::move(owned));
    Wake();
  });
  const auto runner_id = runner.get_id();
  exec_threads.emplace(runner_id, std::move(runner));
}

void Hooks::Impl::Run() {
  for (;;) {
    std::vector<std::unique_ptr<Attempt>> starts;
    int64_t wake = 0;
    {
      std::lock_guard<std::mutex> l(mu);
      if (stopping) break;
      const int64_t now = NowNanos();
      SideBatch batch;
      // What finished since the last pass.
      for (auto& a : finished) {
        Finish(*a, now, &batch);
        // Its thread has pushed it and is ending: reap it.
        if (auto t = exec_threads.find(a->runner); t != exec_threads.end()) {
          t->second.join();
          exec_threads.erase(t);
        }
      }
      finished.clear();
      more = false;
      for (auto& [id, h] : hooks) {
        Refill(h, &batch);
        for (auto& a : Pick(h, now)) starts.push_back(std::move(a));
        AdvanceCursor(h, &batch);
        if (h.stats_dirty) {
          batch.Put(table, StatsKey(id), EncodeStats(h.stats));
          h.stats_dirty = false;
        }
      }
      Write(batch);
      wake = more ? now : NextWake(now);
    }
    for (auto& a : starts) {
      if (a->exec.empty()) {
        StartWeb(std::move(a));
      } else {
        StartExec(std::move(a));
      }
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Attempt* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
      std::unique_ptr<Attempt> a(raw);
      transfers.erase(raw);
      long code = 0;
      curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &code);
      if (msg->data.result != CURLE_OK) {
        a->error =
            a->error_buffer[0] != '\0' ? a->error_buffer : curl_easy_strerror(msg->data.result);
      } else if (code < 200 || code > 299) {
        a->error = "HTTP " + std::to_string(code);
      }
      a->delivered = a->error.empty();
      curl_multi_remove_handle(multi, a->easy);
      curl_easy_cleanup(a->easy);
      curl_slist_free_all(a->headers);
      a->easy = nullptr;
      a->headers = nullptr;
      std::lock_guard<std::mutex> l(mu);
      finished.push_back(std::move(a));
    }
    {
      std::lock_guard<std::mutex> l(mu);
      if (!finished.empty()) continue;
    }
    const int64_t now = NowNanos();
    const int timeout_ms = static_cast<int>(std::clamp<int64_t>((wake - now) / 1000000, 0, 1000));
    curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
  }
  // Stopping: abandon transfers under way (they are delivered again at the next start).
  for (Attempt* a : transfers) {
    curl_multi_remove_handle(multi, a->easy);
    curl_easy_cleanup(a->easy);
    curl_slist_free_all(a->headers);
    delete a;
  }
  transfers.clear();
}

// --- Hooks ----------------------------------------------------------------------------

Hooks::Hooks(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Hooks::~Hooks() { Stop(); }

Result<std::unique_ptr<Hooks>> Hooks::Open(EventStore* store, Projector* projector,
                                           HookSettings settings) {
  auto table = store->Table(keys::kHooksFamily);
  if (!table.ok()) return table.status();
  auto impl = std::make_unique<Impl>();
  impl->store = store;
  impl->projector = projector;
  impl->settings = settings;
  impl->table = *table;
  HOLDFAST_RETURN_IF_ERROR(impl->Load());
  return std::unique_ptr<Hooks>(new Hooks(std::move(impl)));
}

Status Hooks::Start() {
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Impl* d = impl_.get();
  d->multi = curl_multi_init();
  if (d->multi == nullptr) return Status::Unavailable("hooks: libcurl could not start");
  d->listener = d->projector->AddFeedListener([d](uint64_t) { d->Wake(); });
  d->engine = std::thread([d] { d->Run(); });
  return Status::Ok();
}

void Hooks::Stop() {
  Impl* d = impl_.get();
  if (!d->engine.joinable()) return;
  d->projector->RemoveFeedListener(d->listener);
  {
    std::lock_guard<std::mutex> l(d->mu);
    d->stopping = true;
  }
  d->stop_exec = true;
  d->Wake();
  d->engine.join();
  for (auto& [id, t] : d->exec_threads) t.join();  // each ends within a fifth of a second
  d->exec_threads.clear();
  d->finished.clear();
}

Status Hooks::Add(HookConfig config) {
  Impl* d = impl_.get();
  auto end = d->projector->FeedEnd();
  if (!end.ok()) return end.status();
  std::lock_guard<std::mutex> l(d->mu);
  if (d->hooks.count(config.id)) {
    return Status::Conflict("hook " + config.id +
                            " exists: remove it first (holdfast hooks remove --id " + config.id +
                            ")");
  }
  config.created_at = NowNanos();
  config.start_cursor = *end;
  SideBatch batch;
  // A hook of this id removed earlier left nothing behind (Remove deletes every row).
  batch.Put(d->table, HookKey(config.id), EncodeHook(config));
  batch.Put(d->table, CursorKey(config.id), keys::Fixed64BE(*end));
  HOLDFAST_RETURN_IF_ERROR(d->store->Write(batch, /*sync=*/true));
  HookRun h;
  h.config = std::move(config);
  h.generation = d->next_generation++;
  h.cursor = h.scanned = *end;
  const std::string id = h.config.id;
  d->hooks[id] = std::move(h);
  spdlog::info("hooks: {} added", id);
  d->Wake();
  return Status::Ok();
}

Status Hooks::Remove(const std::string& id) {
  Impl* d = impl_.get();
  std::lock_guard<std::mutex> l(d->mu);
  if (!d->hooks.count(id)) {
    return Status::NotFound("no hook " + id + " on this node; holdfast hooks list shows them");
  }
  SideBatch batch;
  batch.Delete(d->table, HookKey(id));
  batch.Delete(d->table, CursorKey(id));
  batch.Delete(d->table, StatsKey(id));
  std::string end = DeliveryPrefix(id);
  end.back() = '\x01';
  batch.DeleteRange(d->table, DeliveryPrefix(id), end);
  HOLDFAST_RETURN_IF_ERROR(d->store->Write(batch, /*sync=*/true));
  d->hooks.erase(id);
  spdlog::info("hooks: {} removed", id);
  return Status::Ok();
}

std::vector<HookConfig> Hooks::List() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<HookConfig> out;
  for (const auto& [id, h] : impl_->hooks) out.push_back(h.config);
  return out;
}

std::vector<HookState> Hooks::States() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<HookState> out;
  for (const auto& [id, h] : impl_->hooks) {
    HookState s;
    s.id = id;
    s.delivered = h.stats.delivered;
    s.failed_attempts = h.stats.failed_attempts;
    s.last_error = h.stats.last_error;
    s.last_error_at = h.stats.last_error_at;
    s.last_success_at = h.stats.last_success_at;
    s.cursor = h.cursor;
    s.in_flight = h.in_flight;
    for (const auto& w : h.window) s.pending += w.state != WindowEntry::kDone;
    for (const auto& [cursor, row] : h.rows) {
      if (row.parked) {
        ++s.parked;
      } else {
        ++s.pending;
      }
    }
    if (!h.due.empty()) s.next_attempt_at = h.due.begin()->first;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<HookCounters> Hooks::Counters() const {
  std::vector<HookCounters> out;
  for (const auto& s : States()) {
    out.push_back({s.id, s.delivered, s.failed_attempts, s.parked, s.pending});
  }
  return out;
}

Result<uint32_t> Hooks::Retry(const std::string& id) {
  Impl* d = impl_.get();
  std::lock_guard<std::mutex> l(d->mu);
  auto found = d->hooks.find(id);
  if (found == d->hooks.end()) {
    return Status::NotFound("no hook " + id + " on this node; holdfast hooks list shows them");
  }
  HookRun& h = found->second;
  SideBatch batch;
  uint32_t count = 0;
  const int64_t now = NowNanos();
  std::set<std::string> alerts;
  for (auto& [cursor, row] : h.rows) {
    if (!row.parked) continue;
    row.parked = false;
    row.attempts = 0;
    row.first_attempt_at = 0;
    row.next_attempt_at = now;
    row.last_error.clear();
    d->RewriteRow(h, cursor, &batch);
    alerts.insert(row.alert);
    ++count;
  }
  HOLDFAST_RETURN_IF_ERROR(d->store->Write(batch, /*sync=*/true));
  for (const auto& alert : alerts) d->QueueHead(h, alert);
  h.failures_in_a_row = 0;
  h.hold_until = 0;
  d->Wake();
  return count;
}

}  // namespace holdfast
