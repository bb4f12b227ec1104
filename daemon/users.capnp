# A user of this node, as the "users" family of its store keeps it (daemon/users.h). Users
# are the node's own: they never sync, and `store restore` keeps the users of the store it
# replaces.

@0xd4c1e0a5b2f39c71;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::store");

using Ev = import "/eventstore/event.capnp";

struct UserRecord {
  id @0 :Text;
  role @1 :Ev.Role;
  unixUid @2 :Int64 = -1;           # the Unix account the CLI is identified by; -1: none
  unixName @3 :Text;                # its name when it was mapped (for listings only)
  name @4 :Text;                    # the person's name (optional)
  disabled @5 :Bool;
  tokenHash @6 :Data;               # SHA-256 of the user's API token; empty: none
  passwordHash @7 :Text;            # scrypt, in the form PasswordHash writes; empty: none
  createdAt @8 :Int64;              # unix nanoseconds
  changedAt @9 :Int64;
}
