// Hooks (SPEC "Alerts reach people", docs/hooks.md): each alert change a hook selects is
// delivered to it at least once, in order per alert, from a durable outbox in the store.
// A web hook POSTs the feed's JSON with the Standard Webhooks headers; an exec hook runs a
// program with it on stdin. Deliveries run on a thread of their own (libcurl's multi
// interface for web hooks, a thread per running program for exec hooks): never the loop,
// never the fold thread, and a slow or dead receiver holds up only its own hook.
//
// The outbox is the alert feed itself (Projector::ScanFeed), which is a function of the log;
// what the store keeps per hook is where it is in the feed and what did not go at once.
// The "hooks" family (eventstore/keys.h lists the families):
//
//   key                              value
//   "h/" id                          store::HookRecord (daemon/hooks.capnp): the hook
//   "c/" id                          its cursor (8 bytes BE): every feed entry at or below
//                                    it is delivered, not selected, or has a "d/" row
//   "d/" id 0x00 cursor (8 bytes BE) store::HookDelivery: a delivery that failed (retrying
//                                    or parked), or waits behind one of its alert that did
//   "s/" id                          store::HookStats: totals and last outcomes
//
// A delivery is dropped from the outbox only after the receiver's 2xx (or exit 0); a crash
// before then delivers it again, under the same webhook-id. Within a hook at most one
// delivery of an alert is under way, and a later change of the alert waits until the
// earlier one is delivered; different alerts go concurrently (kMaxInFlight per hook).
// Retries back off exponentially with full jitter; a delivery still failing retry_for
// after its first attempt is parked (with every later change of its alert) until `hooks
// retry`. After a failure the hook starts no new delivery until its own backoff passes,
// so a dead receiver is probed, not flooded, and the feed waits in the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/status.h"
#include "projections/projector.h"

namespace holdfast {

struct HookConfig {
  std::string id;
  std::string url;                           // a web hook
  std::string key;                           // its signing key (raw bytes)
  std::string exec;                          // an exec hook
  std::vector<std::string> rules, severity;  // empty: every one
  std::string ca;                            // PEM; empty: the system's CA store
  int64_t created_at = 0;
  uint64_t start_cursor = 0;
};

struct HookSettings {
  int64_t retry_for_seconds = 86400;  // [hooks] retry_for_seconds
  int64_t backoff_base_ms = 1000;     // [hooks] backoff_base_ms
  int64_t backoff_cap_ms = 600000;    // [hooks] backoff_cap_ms
  int64_t timeout_seconds = 10;       // [hooks] timeout_seconds: one attempt, at most
};

struct HookState {
  std::string id;
  uint64_t pending = 0, delivered = 0, failed_attempts = 0, parked = 0;
  std::string last_error;
  int64_t last_error_at = 0, last_success_at = 0, next_attempt_at = 0;
  uint64_t cursor = 0;
  uint32_t in_flight = 0;
};

// For metrics (GET /metrics): per hook.
struct HookCounters {
  std::string hook;
  uint64_t delivered = 0, failed_attempts = 0, parked = 0, pending = 0;
};

// Checks a hook as `hooks add` gives it, and fills `out` (not created_at/start_cursor):
// an id of [a-z0-9-]; a URL with https:// (http:// only to 127.0.0.1, [::1] or localhost)
// and a secret "whsec_" + base64 of 16 to 64 bytes, or an absolute path to an executable
// file; rules and severities from the known sets; a CA only with a URL. InvalidArgument
// naming the flag otherwise.
Status CheckHook(const std::string& id, const std::string& url, const std::string& secret,
                 const std::string& exec, const std::vector<std::string>& rules,
                 const std::vector<std::string>& severity, const std::string& ca, HookConfig* out);

// Standard Webhooks: "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body)).
std::string WebhookSignature(std::string_view key, std::string_view webhook_id, int64_t timestamp,
                             std::string_view body);

// What the request handler asks of the hooks (the daemon's Hooks; Unavailable without).
class HookControl {
 public:
  virtual ~HookControl() = default;
  // Conflict when the id is taken. The hook delivers the changes after the feed's end now.
  virtual Status Add(HookConfig config) = 0;
  virtual Status Remove(const std::string& id) = 0;  // NotFound when there is none
  virtual std::vector<HookConfig> List() const = 0;  // by id
  virtual std::vector<HookState> States() const = 0;
  // Queues the hook's parked deliveries again, in order; how many.
  virtual Result<uint32_t> Retry(const std::string& id) = 0;
};

class Hooks : public HookControl {
 public:
  static constexpr uint32_t kMaxInFlight = 8;  // per hook
  static constexpr size_t kWindow = 256;       // feed entries a hook holds in memory

  // Reads the hooks and their outboxes from `store`'s "hooks" family (made on first use).
  static Result<std::unique_ptr<Hooks>> Open(EventStore* store, Projector* projector,
                                             HookSettings settings);
  ~Hooks() override;  // Stop()s

  // Starts the delivery thread and listens to the feed.
  Status Start();
  // Stops: attempts under way are abandoned (delivered again at the next start).
  void Stop();

  Status Add(HookConfig config) override;
  Status Remove(const std::string& id) override;
  std::vector<HookConfig> List() const override;
  std::vector<HookState> States() const override;
  Result<uint32_t> Retry(const std::string& id) override;
  std::vector<HookCounters> Counters() const;

  struct Impl;

 private:
  explicit Hooks(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast
