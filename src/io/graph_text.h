/* The layer list as text, stored in the safetensors metadata so that a file
 * can rebuild the model it came from (internal). Format, one item a line:
 *
 *   unetseg-graph 1
 *   description <rest of line>
 *   input_multiple <n>
 *   layer <kind> <name> region=<r> trainable=<0|1> inserted=<0|1> [in=<a,b,...>] [key=value...]
 *
 * where <kind> is the lower-case kind name and the keys are the settings of
 * that kind (its us_layer_kind's fields, src/graph/kinds/) that differ from
 * their defaults. */
#ifndef US_IO_GRAPH_TEXT_H
#define US_IO_GRAPH_TEXT_H

#include "graph/model.h"

/* A new string (caller frees) describing the model. Errors: NOMEM. */
int32_t us_graph_to_text(const unetseg_model *m, char **text);
/* Build a new model from text (no weights loaded). Untrusted input: every
 * failure is UNETSEG_E_FORMAT with the line number. A layer whose parameters
 * would take the total above max_params (< 0: no limit) is refused before it
 * allocates them; loading passes what the weights file can hold. */
int32_t us_graph_from_text(const char *text, int64_t max_params, unetseg_model **out);

#endif
