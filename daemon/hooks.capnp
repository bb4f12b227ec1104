# A hook and its deliveries, as the "hooks" family of the store keeps them (daemon/hooks.h).
# Hooks are the node's own configuration: they never sync.

@0xe7a6b3c91d2f4a58;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::store");

struct HookRecord {
  id @0 :Text;
  url @1 :Text;                     # a web hook's URL; empty for an exec hook
  key @2 :Data;                     # the signing key (the secret's base64, decoded)
  exec @3 :Text;                    # an exec hook's program
  rules @4 :List(Text);             # empty: every rule
  severity @5 :List(Text);          # empty: every severity
  ca @6 :Text;                      # PEM; empty: the system's CA store
  createdAt @7 :Int64;              # unix nanoseconds
  startCursor @8 :UInt64;           # the feed's end when it was added
}

# One delivery that did not go at its first attempt, or waits behind one of its alert that
# did not: kept until the receiver takes it.
struct HookDelivery {
  alert @0 :Text;                   # the alert id: deliveries of one alert go in cursor order
  webhookId @1 :Text;               # "msg_" + the feed entry's event id
  change @2 :Text;                  # raised, withdrawn, ... (for an exec hook's environment)
  body @3 :Data;                    # the FeedItem JSON, as every attempt sends it
  attempts @4 :UInt32;
  firstAttemptAt @5 :Int64;         # unix nanoseconds; 0: not tried yet (waits for its alert)
  nextAttemptAt @6 :Int64;
  lastError @7 :Text;
  parked @8 :Bool;                  # given up on (or held behind one given up on): hooks retry
}

# What `hooks status` reports beyond the rows: totals and the last outcomes.
struct HookStats {
  delivered @0 :UInt64;
  failedAttempts @1 :UInt64;
  lastError @2 :Text;
  lastErrorAt @3 :Int64;
  lastSuccessAt @4 :Int64;
}
