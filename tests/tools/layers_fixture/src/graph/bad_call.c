/* Planted: graph calls a public function defined in api (line 6), over a
 * line break of its argument list. */
#include "graph/g.h"

int us_graph_run(void) {
    return unetseg_thing_create(
        ) + us_op(0);
}
