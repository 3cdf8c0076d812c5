/* Allowed: a handle's public functions beside its struct; a static helper
 * named like a function of a higher layer resolves to itself. */
#include "core/tensor.h"

static int unetseg_thing_create(void) { return 0; }

void unetseg_tensor_free(void *t) { (void)t; }

int us_core_helper(void) { return unetseg_thing_create(); }
