// Triage (SPEC "Alerts reach people"): alerts assign, the alerts list filters, unique alert
// id prefixes and the marks of closed cases and ended interventions, through real daemons.
#include <catch2/catch.hpp>

#include "tests/daemon/harness.h"

using namespace holdfast::test;
