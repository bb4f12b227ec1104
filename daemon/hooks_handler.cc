// The hooks verbs (SPEC "Alerts reach people", docs/hooks.md): hooks add|list|remove|status|
// retry, operator only (daemon/requests.cc has their rows). A secret is taken, never shown.
#include "daemon/handler.h"

namespace holdfast {
namespace {

Status NoHooks() {
  return Status::Unavailable("hooks are not running on this node (see holdfastd's log)");
}

std::vector<std::string> Texts(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  for (auto t : list) out.emplace_back(t);
  return out;
}

void SetTexts(const std::vector<std::string>& from,
              capnp::List<capnp::Text>::Builder (api::HookInfo::Builder::*init)(unsigned),
              api::HookInfo::Builder out) {
  auto list = (out.*init)(static_cast<unsigned>(from.size()));
  for (unsigned i = 0; i < from.size(); ++i) list.set(i, from[i]);
}

}  // namespace

Status RequestHandler::HandleHooksAdd(api::HookInfo::Reader info, api::Response::Builder response) {
  if (hooks_ == nullptr) return NoHooks();
  HookConfig config;
  HOLDFAST_RETURN_IF_ERROR(CheckHook(info.getId(), info.getUrl(), info.getSecret(), info.getExec(),
                                     Texts(info.getRules()), Texts(info.getSeverity()),
                                     info.getCa(), &config));
  HOLDFAST_RETURN_IF_ERROR(hooks_->Add(std::move(config)));
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandleHooksList(api::Response::Builder response) {
  if (hooks_ == nullptr) return NoHooks();
  const auto hooks = hooks_->List();
  auto list = response.initHooks(static_cast<unsigned>(hooks.size()));
  for (unsigned i = 0; i < hooks.size(); ++i) {
    const HookConfig& h = hooks[i];
    auto out = list[i];
    out.setId(h.id);
    out.setUrl(h.url);
    out.setExec(h.exec);
    SetTexts(h.rules, &api::HookInfo::Builder::initRules, out);
    SetTexts(h.severity, &api::HookInfo::Builder::initSeverity, out);
    out.setCa(h.ca);
    out.setHasSecret(!h.key.empty());
    out.setCreatedAt(h.created_at);
    out.setStartCursor(h.start_cursor);
  }
  return Status::Ok();
}

Status RequestHandler::HandleHooksRemove(const std::string& id, api::Response::Builder response) {
  if (hooks_ == nullptr) return NoHooks();
  HOLDFAST_RETURN_IF_ERROR(hooks_->Remove(id));
  response.setOk();
  return Status::Ok();
}

Status RequestHandler::HandleHooksStatus(api::Response::Builder response) {
  if (hooks_ == nullptr) return NoHooks();
  const auto states = hooks_->States();
  auto list = response.initHookStatus(static_cast<unsigned>(states.size()));
  for (unsigned i = 0; i < states.size(); ++i) {
    const HookState& s = states[i];
    auto out = list[i];
    out.setId(s.id);
    out.setPending(s.pending);
    out.setDelivered(s.delivered);
    out.setFailedAttempts(s.failed_attempts);
    out.setParked(s.parked);
    out.setLastError(s.last_error);
    out.setLastErrorAt(s.last_error_at);
    out.setLastSuccessAt(s.last_success_at);
    out.setNextAttemptAt(s.next_attempt_at);
    out.setCursor(s.cursor);
    out.setInFlight(s.in_flight);
  }
  return Status::Ok();
}

Status RequestHandler::HandleHooksRetry(const std::string& id, api::Response::Builder response) {
  if (hooks_ == nullptr) return NoHooks();
  auto count = hooks_->Retry(id);
  if (!count.ok()) return count.status();
  response.setHooksRetried(*count);
  return Status::Ok();
}

}  // namespace holdfast
