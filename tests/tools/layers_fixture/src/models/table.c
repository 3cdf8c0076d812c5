/* Planted: takes the address of an api function in a table; a macro of this
 * file that shares an api macro's name is its own. */
#include "graph/g.h"

#define CHECK(x) (x)

typedef int (*fn)(void);
static const fn TABLE[] = {us_graph_run, us_api_helper};

int us_models_first(void) { return CHECK(TABLE[0]()); }
