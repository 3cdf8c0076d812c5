/* Layer matchers (internal): an expression tree over name, kind and region. */
#ifndef US_GRAPH_MATCHER_H
#define US_GRAPH_MATCHER_H

#include "graph/model.h"

/* Whether the matcher selects layer `l` (inserted layers are never selected
 * by unetseg_model_match; this function only evaluates the expression). */
int us_matcher_eval(const unetseg_matcher *matcher, const us_layer *l);

/* Message for zero matches: which term matched nothing and some real names,
 * e.g. "no layer name contains 'block'; names look like conv0, ...". */
void us_matcher_explain_no_match(const unetseg_matcher *matcher, const unetseg_model *m,
                                 char *out, size_t size);

#endif
