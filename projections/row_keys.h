// The projector's rows in the store's "projections" column family (keys::kProjectionsFamily):
// every key of the family is built, and read back, here and nowhere else. The incremental
// fold and the rebuild both write through projections/fold.h, so they write byte-identical
// rows; the projector's queries read them through the parsers below.
//
//   key                                          value                       written by
//   -------------------------------------------  --------------------------  ----------
//   ckpt                                         last folded log position    projector
//                                                (8 bytes BE)
//   case/<case>                                  state.CaseRecord            fold
//   subj/<subject> 0x00 <case>                   ""  (a subject's cases)      fold
//   att/<case> 0x00 <session>                    state.StandingAttendance    fold
//   attt/<occurred_at BE8><case> 0x00 <session>  outcome (1 byte)            fold
//   ind/<occurred_at BE8><event id 16>           state.IndicatorFact         fold
//   prov/<provider> 0x00 <case> 0x00 <interv.>   ""  (a provider's cases)     fold
//   aidx/a/<assignee> 0x00 <raised BE8><alert>   ""  (alerts by assignee)     fold
//   aidx/r/<raised BE8><alert id 16>             ""  (alerts by raise time)   fold
//   aidx/s/<status> 0x00 <raised BE8><alert>     ""  (alerts by status)       fold
//   aidx/t                                       latest acknowledgement or   fold
//                                                resolution time (8 bytes BE)
//   alert/<alert id 16>                          state.AlertRecord           fold
//   calert/<case> 0x00 <alert id 16>             ""  (a case's alerts)        fold
//   grp/<group> 0x00 <case> 0x00 <interv.>       ""  (a group's members)      fold
//   void/<event id 16>                           VoidRow (records.h)         fold
//   feed/<position BE8>                          change (1), event id (16),  fold
//                                                alert id (16), AlertRecord
//   cdue/<case>                                  <time> (8 bytes BE)         evaluation
//   due/<time BE8><case>                         ""                          evaluation
//   eval/<case>                                  ""                          projector
//
//   "fold" rows come from projections/fold.h (CatchUp's batch, or the rebuild's table
//   files), "evaluation" rows from evaluating a case (Projector::Evaluate, or the rebuild),
//   "projector" rows from projector.cc (and the rebuild's last table file).
//
//   ckpt    written in the same batch as the rows it covers (or in the rebuild's last table
//           file), so a crash never leaves rows and checkpoint apart.
//   subj/   every subject the case's earliest opening has named (one that lost its place to
//           an earlier opening is kept); an incident of the subject makes the projector
//           evaluate each of its cases again (reoffending).
//   att/    per (case, session) the attendance record that stands after corrections.
//   attt/   the same records by the time they occurred (the indicators' range scans).
//   ind/    the few fields the indicators read of referrals, starts, completions, exits and
//           incidents, by the time they occurred.
//   aidx/   the alerts' listing order (the standing raise time, then the id; the time with
//           its sign bit flipped, so bytewise order is signed order) three ways: every
//           raised alert (r), by the status it has once every acknowledgement and
//           resolution held has happened (s), and by the user it is assigned to (a). A
//           fold that changes an alert deletes the index rows of the alert as it was held
//           and writes those of the alert as it is. aidx/t is the latest occurred_at of any
//           alert.acknowledged or alert.resolved folded: a listing "as of" that time or
//           later may read one status's rows, since then every alert's status is the one
//           it is filed under (Projector::ScanAlerts); an earlier as-of reads r.
//   calert/ every case an alert has named while raised.
//   prov/   every (case, intervention) an intervention.referred has referred to the provider:
//           what a facilitator of that agency may read (daemon/read_scope.h).
//   cdue/   a case's next no_contact deadline, and due/ the same by time (Projector::Tick).
//   grp/    every (case, intervention) an intervention.started put in a group (its optional
//           `group`): the session roster's members.
//   void/   per voided event the void that stands (the canonically first of its voids);
//           written whether or not the event is held, so an event arriving after its void
//           is folded as absent. A void of a held event makes CatchUp fold that event's
//           case again from its stream (fold.h).
//   feed/   per alert.* event that changed what an alert shows (raised, raise time moved,
//           withdrawn, acknowledged, resolved, assigned), under the event's local log
//           position, the change and the alert after it: the alert feed (SSE, hooks, alerts
//           watch). A function of the local log's order, which the rebuild folds in too.
//   eval/   a case folded but not yet evaluated: written with the fold, removed once its
//           lifecycle events are durable, so a crash between the two loses no evaluation.
//
// Names (case, subject, session) end at a 0x00 where another part follows: an identifier
// never holds one, so the prefix of "C1" never matches "C10". Times and ids are big-endian,
// so RocksDB's bytewise order is time order. The rows are derived: Projector::Rebuild
// recreates them all from the log (a change of layout takes a store format version, see
// eventstore/keys.h, and a rebuild).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/ids.h"
#include "eventstore/keys.h"

namespace holdfast::rows {

inline constexpr std::string_view kCheckpointKey = "ckpt";
inline constexpr std::string_view kCasePrefix = "case/";
inline constexpr std::string_view kSubjectPrefix = "subj/";
inline constexpr std::string_view kStandingPrefix = "att/";
inline constexpr std::string_view kStandingTimePrefix = "attt/";
inline constexpr std::string_view kIndicatorPrefix = "ind/";
inline constexpr std::string_view kProviderPrefix = "prov/";
inline constexpr std::string_view kAlertIndexPrefix = "aidx/";
inline constexpr std::string_view kAlertsByAssigneePrefix = "aidx/a/";
inline constexpr std::string_view kAlertsByRaisePrefix = "aidx/r/";
inline constexpr std::string_view kAlertsByStatusPrefix = "aidx/s/";
inline constexpr std::string_view kLatestAlertChangeKey = "aidx/t";
inline constexpr std::string_view kAlertPrefix = "alert/";
inline constexpr std::string_view kCaseAlertPrefix = "calert/";
inline constexpr std::string_view kCaseDuePrefix = "cdue/";
inline constexpr std::string_view kDuePrefix = "due/";
inline constexpr std::string_view kPendingEvalPrefix = "eval/";
inline constexpr std::string_view kGroupPrefix = "grp/";
inline constexpr std::string_view kVoidPrefix = "void/";
inline constexpr std::string_view kFeedPrefix = "feed/";
// Above every key of the family (an upper bound for a range deletion of all of them).
inline const std::string kEndOfRows(8, '\xff');

// Each key has a Set form, which reuses `key`'s storage (the rebuild writes millions), and
// a returning form.

inline void AppendName(std::string* key, std::string_view name) {
  key->append(name);
  key->push_back('\0');
}

inline void SetCaseKey(std::string* key, std::string_view c) { key->assign(kCasePrefix).append(c); }
inline void SetSubjectKey(std::string* key, std::string_view subject, std::string_view c) {
  key->assign(kSubjectPrefix);
  AppendName(key, subject);
  key->append(c);
}
inline void SetStandingKey(std::string* key, std::string_view c, std::string_view session) {
  key->assign(kStandingPrefix);
  AppendName(key, c);
  key->append(session);
}
inline void SetStandingTimeKey(std::string* key, int64_t t, std::string_view c,
                               std::string_view session) {
  key->assign(kStandingTimePrefix);
  keys::PutFixed64BE(key, static_cast<uint64_t>(t));
  AppendName(key, c);
  key->append(session);
}
inline void SetIndicatorKey(std::string* key, int64_t t, const Uuid& id) {
  key->assign(kIndicatorPrefix);
  keys::PutFixed64BE(key, static_cast<uint64_t>(t));
  keys::PutFixed64BE(key, id.hi);
  keys::PutFixed64BE(key, id.lo);
}
inline void SetAlertKey(std::string* key, const Uuid& id) {
  key->assign(kAlertPrefix);
  keys::PutFixed64BE(key, id.hi);
  keys::PutFixed64BE(key, id.lo);
}
// The listing order's part of an aidx/ key: the raise time, sign bit flipped, and the id.
inline void AppendAlertOrder(std::string* key, int64_t raised_at, const Uuid& id) {
  keys::PutFixed64BE(key, static_cast<uint64_t>(raised_at) ^ (uint64_t{1} << 63));
  keys::PutFixed64BE(key, id.hi);
  keys::PutFixed64BE(key, id.lo);
}
// The first key of an aidx/ prefix (AlertsByStatusPrefix and the rest) whose alert is
// listed at raise time t or later.
inline std::string AlertOrderKey(std::string_view prefix, int64_t t) {
  std::string key(prefix);
  keys::PutFixed64BE(&key, static_cast<uint64_t>(t) ^ (uint64_t{1} << 63));
  return key;
}
// The first key of an aidx/ prefix listed after (raised_at, id).
inline std::string AlertOrderKeyAfter(std::string_view prefix, int64_t raised_at, const Uuid& id) {
  std::string key(prefix);
  AppendAlertOrder(&key, raised_at, id);
  key.push_back('\0');
  return key;
}
inline std::string AlertsByStatusPrefix(std::string_view status) {
  std::string key(kAlertsByStatusPrefix);
  AppendName(&key, status);
  return key;
}
inline std::string AlertsByAssigneePrefix(std::string_view user) {
  std::string key(kAlertsByAssigneePrefix);
  AppendName(&key, user);
  return key;
}
// The alert an aidx/ key (other than aidx/t) or a calert/ key files: its last 16 bytes.
inline Uuid AlertOfIndexKey(std::string_view key) {
  const char* id = key.data() + key.size() - 16;
  return Uuid{keys::DecodeFixed64BE(id), keys::DecodeFixed64BE(id + 8)};
}

inline void SetCaseAlertKey(std::string* key, std::string_view c, const Uuid& id) {
  key->assign(kCaseAlertPrefix);
  AppendName(key, c);
  keys::PutFixed64BE(key, id.hi);
  keys::PutFixed64BE(key, id.lo);
}
inline void SetProviderKey(std::string* key, std::string_view provider, std::string_view c,
                           std::string_view intervention) {
  key->assign(kProviderPrefix);
  AppendName(key, provider);
  AppendName(key, c);
  key->append(intervention);
}
inline void SetGroupKey(std::string* key, std::string_view group, std::string_view c,
                        std::string_view intervention) {
  key->assign(kGroupPrefix);
  AppendName(key, group);
  AppendName(key, c);
  key->append(intervention);
}
inline void SetVoidKey(std::string* key, const Uuid& event) {
  key->assign(kVoidPrefix);
  keys::PutFixed64BE(key, event.hi);
  keys::PutFixed64BE(key, event.lo);
}
inline void SetCaseDueKey(std::string* key, std::string_view c) {
  key->assign(kCaseDuePrefix).append(c);
}
inline void SetDueKey(std::string* key, int64_t t, std::string_view c) {
  key->assign(kDuePrefix);
  keys::PutFixed64BE(key, static_cast<uint64_t>(t));
  key->append(c);
}
inline void SetPendingEvalKey(std::string* key, std::string_view c) {
  key->assign(kPendingEvalPrefix).append(c);
}

inline std::string CaseKey(std::string_view c) {
  std::string key;
  SetCaseKey(&key, c);
  return key;
}
inline std::string SubjectKey(std::string_view subject, std::string_view c) {
  std::string key;
  SetSubjectKey(&key, subject, c);
  return key;
}
inline std::string StandingKey(std::string_view c, std::string_view session) {
  std::string key;
  SetStandingKey(&key, c, session);
  return key;
}
inline std::string StandingTimeKey(int64_t t, std::string_view c, std::string_view session) {
  std::string key;
  SetStandingTimeKey(&key, t, c, session);
  return key;
}
inline std::string IndicatorKey(int64_t t, const Uuid& id) {
  std::string key;
  SetIndicatorKey(&key, t, id);
  return key;
}
inline std::string FeedKey(uint64_t position) {
  std::string key(kFeedPrefix);
  key.append(keys::Fixed64BE(position));
  return key;
}
inline uint64_t PositionOfFeedKey(std::string_view key) {
  return keys::DecodeFixed64BE(key.data() + kFeedPrefix.size());
}
inline std::string AlertKey(const Uuid& id) {
  std::string key;
  SetAlertKey(&key, id);
  return key;
}
inline std::string CaseAlertKey(std::string_view c, const Uuid& id) {
  std::string key;
  SetCaseAlertKey(&key, c, id);
  return key;
}
inline std::string ProviderKey(std::string_view provider, std::string_view c,
                               std::string_view intervention) {
  std::string key;
  SetProviderKey(&key, provider, c, intervention);
  return key;
}
inline std::string GroupKey(std::string_view group, std::string_view c,
                            std::string_view intervention) {
  std::string key;
  SetGroupKey(&key, group, c, intervention);
  return key;
}
inline std::string VoidKey(const Uuid& event) {
  std::string key;
  SetVoidKey(&key, event);
  return key;
}
inline std::string CaseDueKey(std::string_view c) {
  std::string key;
  SetCaseDueKey(&key, c);
  return key;
}
inline std::string DueKey(int64_t t, std::string_view c) {
  std::string key;
  SetDueKey(&key, t, c);
  return key;
}
inline std::string PendingEvalKey(std::string_view c) {
  std::string key;
  SetPendingEvalKey(&key, c);
  return key;
}

// The prefixes of the keys that name a case, subject or time first: a scan of one.
inline std::string SubjectCasesPrefix(std::string_view subject) {
  std::string key(kSubjectPrefix);
  AppendName(&key, subject);
  return key;
}
inline std::string CaseAlertsPrefix(std::string_view c) {
  std::string key(kCaseAlertPrefix);
  AppendName(&key, c);
  return key;
}
inline std::string ProviderCasesPrefix(std::string_view provider) {
  std::string key(kProviderPrefix);
  AppendName(&key, provider);
  return key;
}
inline std::string ProviderCasePrefix(std::string_view provider, std::string_view c) {
  std::string key = ProviderCasesPrefix(provider);
  AppendName(&key, c);
  return key;
}
inline std::string GroupPrefix(std::string_view group) {
  std::string key(kGroupPrefix);
  AppendName(&key, group);
  return key;
}
// The first key of `prefix` (attt/, ind/ or due/) at time t or later.
inline std::string TimeKey(std::string_view prefix, int64_t t) {
  std::string key(prefix);
  keys::PutFixed64BE(&key, static_cast<uint64_t>(t));
  return key;
}

// The parts of keys read back. Each takes a key of its family, as a scan of its prefix
// returns it.
inline std::string_view CaseOfSubjectKey(std::string_view key, std::string_view subject) {
  return key.substr(kSubjectPrefix.size() + subject.size() + 1);
}
// The case and the intervention of a prov/ key of `provider`.
inline std::string_view CaseOfProviderKey(std::string_view key, std::string_view provider) {
  key.remove_prefix(kProviderPrefix.size() + provider.size() + 1);
  return key.substr(0, key.find('\0'));
}
inline std::string_view InterventionOfProviderKey(std::string_view key, std::string_view provider) {
  key.remove_prefix(kProviderPrefix.size() + provider.size() + 1);
  return key.substr(key.find('\0') + 1);
}
// The case and the intervention of a grp/ key of `group`.
inline std::string_view CaseOfGroupKey(std::string_view key, std::string_view group) {
  key.remove_prefix(kGroupPrefix.size() + group.size() + 1);
  return key.substr(0, key.find('\0'));
}
inline std::string_view InterventionOfGroupKey(std::string_view key, std::string_view group) {
  key.remove_prefix(kGroupPrefix.size() + group.size() + 1);
  return key.substr(key.find('\0') + 1);
}
inline Uuid EventOfVoidKey(std::string_view key) {
  const char* id = key.data() + kVoidPrefix.size();
  return Uuid{keys::DecodeFixed64BE(id), keys::DecodeFixed64BE(id + 8)};
}
inline std::string_view CaseOfPendingEvalKey(std::string_view key) {
  return key.substr(kPendingEvalPrefix.size());
}
inline std::string_view CaseOfDueKey(std::string_view key) {
  return key.substr(kDuePrefix.size() + 8);
}
inline Uuid AlertOfCaseAlertKey(std::string_view key) { return AlertOfIndexKey(key); }
// The time of an attt/, ind/ or due/ key.
inline int64_t TimeOfKey(std::string_view prefix, std::string_view key) {
  return static_cast<int64_t>(keys::DecodeFixed64BE(key.data() + prefix.size()));
}

}  // namespace holdfast::rows
