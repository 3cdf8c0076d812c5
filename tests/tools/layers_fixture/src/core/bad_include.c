/* Planted: includes a graph header from core. */
#include "graph/g.h"
#include <stdio.h>

int us_core_other(void) { return 1; }
