/* Dropout insertion (internal). */
#ifndef US_GRAPH_INSERT_H
#define US_GRAPH_INSERT_H

#include "graph/model.h"

/* What to insert and where. */
typedef struct us_insert_spec {
    int32_t kind;       /* a dropout kind */
    us_layer_config cfg;/* rate, mode, spatial */
    int32_t position;   /* UNETSEG_INSERT_AFTER / BEFORE */
    char suffix[40];
    int32_t allow_no_match;
} us_insert_spec;

/* Insert a dropout at every layer the matcher selects; all-or-nothing.
 * *inserted receives the count (0 with allow_no_match and no match). */
int32_t us_model_insert(unetseg_model *m, const unetseg_matcher *matcher, const us_insert_spec *s,
                        int32_t *inserted);

#endif
