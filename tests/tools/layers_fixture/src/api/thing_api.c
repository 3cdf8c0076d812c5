/* Allowed: api defines public functions and calls every layer. */
#include "core/tensor.h"
#include "graph/g.h"

#define CHECK(x) (x)

int us_api_helper(void) { return CHECK(1); }

int unetseg_thing_create(void) { return us_api_helper() + us_graph_run() + us_core_helper(); }
