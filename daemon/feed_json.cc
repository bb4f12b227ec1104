#include "daemon/feed_json.h"

#include "daemon/safe_text.h"
#include "eventstore/ids.h"

namespace holdfast {
namespace {

void Field(std::string* out, const char* name, const std::string& value) {
  out->append(",\"").append(name).append("\":").append(JsonString(value));
}

void TimeField(std::string* out, const char* name, int64_t unix_nanos) {
  Field(out, name, FormatRfc3339(unix_nanos));
}

}  // namespace

std::string FeedItemJson(api::FeedItem::Reader item) {
  auto a = item.getAlert();
  std::string out = "{\"cursor\":" + std::to_string(item.getCursor());
  Field(&out, "change", item.getChange());
  Field(&out, "event", item.getEvent());
  out.append(",\"alert\":{\"id\":").append(JsonString(a.getAlert()));
  Field(&out, "rule", a.getRule());
  Field(&out, "severity", a.getSeverity());
  Field(&out, "status", a.getStatus());
  Field(&out, "case", a.getCaseId());
  Field(&out, "subject", a.getSubject());
  Field(&out, "intervention", a.getIntervention());
  TimeField(&out, "raised_at", a.getRaisedAt());
  Field(&out, "trigger", a.getTrigger());
  if (a.hasReason()) Field(&out, "reason", a.getReason());
  out.append(",\"acknowledged\":");
  if (a.getAcknowledgedAt() >= 0) {
    out.append("{\"at\":").append(JsonString(FormatRfc3339(a.getAcknowledgedAt())));
    Field(&out, "by", a.getAcknowledgedBy());
    if (a.hasNote()) Field(&out, "note", a.getNote());
    out.append("}");
  } else {
    out.append("null");
  }
  out.append(",\"resolved\":");
  if (a.getResolvedAt() >= 0) {
    out.append("{\"at\":").append(JsonString(FormatRfc3339(a.getResolvedAt())));
    Field(&out, "by", a.getResolvedBy());
    if (a.hasAction()) Field(&out, "action", a.getAction());
    out.append("}");
  } else {
    out.append("null");
  }
  out.append(",\"assigned\":");
  if (a.getAssignedTo().size() > 0) {
    out.append("{\"to\":").append(JsonString(a.getAssignedTo()));
    Field(&out, "by", a.getAssignedBy());
    TimeField(&out, "at", a.getAssignedAt());
    if (a.hasAssignNote()) Field(&out, "note", a.getAssignNote());
    out.append("}");
  } else {
    out.append("null");
  }
  if (a.hasWithdrawReason()) Field(&out, "withdraw_reason", a.getWithdrawReason());
  out.append("}}");
  return out;
}

}  // namespace holdfast
