/* Allowed: calls down; mentions of upper functions in comments and strings,
 * and struct members that share their names, are not calls:
 * unetseg_thing_create() */
#include "core/tensor.h"

struct s { int (*us_api_helper)(void); };

int us_op(struct s *x) {
    const char *t = "unetseg_thing_create()";
    (void)t;
    return us_core_helper() + x->us_api_helper() + (x).us_api_helper();
}
