/* libFuzzer target: the model description stored in a weights file's
 * metadata (us_graph_from_text) is untrusted input. The parameter budget is
 * what unetseg_model_load grants a 32 MB file. A description that parses
 * must also survive a round trip: to text and back gives the same text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/graph_text.h"

#define BUDGET ((int64_t)1 << 24) /* parameters */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    unetseg_model *m = NULL, *again = NULL;
    char *out = NULL, *out2 = NULL;
    int32_t st = us_graph_from_text(text, BUDGET, &m);
    if (st != UNETSEG_OK && (m || (st != UNETSEG_E_FORMAT && st != UNETSEG_E_NOMEM))) abort();
    if (st == UNETSEG_OK) {
        if (us_graph_to_text(m, &out) || us_graph_from_text(out, BUDGET, &again) ||
            us_graph_to_text(again, &out2) || strcmp(out, out2) != 0)
            abort();
    }
    free(out2);
    free(out);
    unetseg_model_free(again);
    unetseg_model_free(m);
    free(text);
    return 0;
}
