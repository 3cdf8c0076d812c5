/* Layer matchers (internal): an expression tree over name, kind and region. */
#ifndef US_GRAPH_MATCHER_H
#define US_GRAPH_MATCHER_H

#include "graph/model.h"

/* Whether the matcher selects layer `l` (inserted layers are never selected
 * by unetseg_model_match; this function only evaluates the expression). */
int us_matcher_eval(const unetseg_matcher *matcher, const us_layer *l);

/* unetseg_model_match without its argument checks: the indices of the
 * layers the matcher selects (inserted layers never), the first `capacity`
 * of them into indices, their number into *count. Errors: NO_MATCH, whose
 * message, "<caller>: ...", names real layers; with caller NULL, NO_MATCH
 * sets no message (zero matches is fine for the caller). */
int32_t us_model_match(const unetseg_model *model, const unetseg_matcher *matcher,
                       int32_t *indices, int32_t capacity, int32_t *count, const char *caller);

/* Message for zero matches: which term matched nothing and some real names,
 * e.g. "no layer name contains 'block'; names look like conv0, ...". */
void us_matcher_explain_no_match(const unetseg_matcher *matcher, const unetseg_model *m,
                                 char *out, size_t size);

/* Expression nodes, built by the setters and by the text parser. The
 * constructors set the thread's message and return a status on error; a
 * node passed to a group/NOT/matcher is owned by it from then on. */
typedef struct us_match_node us_match_node;
int32_t us_match_new_substring(const char *text, us_match_node **out);
int32_t us_match_new_glob(const char *pattern, us_match_node **out);
/* A regex leaf; refused (SYNTAX) when its expanded nodes would take
 * *budget_used past the matcher's total, which grows by them on success. */
int32_t us_match_new_regex(const char *regex, size_t *budget_used, us_match_node **out);
int32_t us_match_new_kind(int32_t kind, us_match_node **out);
int32_t us_match_new_region(int32_t region, us_match_node **out);
int32_t us_match_new_group(int is_or, us_match_node **out);
int32_t us_match_group_add(us_match_node *group, us_match_node *kid);
int32_t us_match_new_not(us_match_node *kid, us_match_node **out);
void us_match_node_free(us_match_node *node);
/* A matcher whose root ANDs `node` (NULL: none); regex_nodes is what its
 * regexes used of the budget. */
int32_t us_matcher_from_node(us_match_node *node, size_t regex_nodes, unetseg_matcher **out);

#endif
