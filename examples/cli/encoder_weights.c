/* --encoder-weights of `unetseg train` and `unetseg init`: encoder-only
 * weights loaded into a freshly built model. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "files.h"

/* --encoder-weights: encoder-only weights (keras_to_safetensors.py
 * --encoder-only, or any file of some of the model's tensors) into the built
 * model; the other layers keep their initialisation. A file with a tensor
 * the model lacks (another backbone, a typo) is refused, as is a file that
 * sets nothing. A status, reported. */
int32_t cli_load_encoder_weights(const char *path, unetseg_model *m) {
    const char *report = NULL;
    if (!cli_check_input(path)) return UNETSEG_E_IO; /* reported */
    int32_t st = unetseg_model_load_weights(m, path, UNETSEG_LOAD_PARTIAL, &report);
    if (st) {
        cli_report(path, st);
        return st;
    }
    int none = report && strncmp(report, "loaded 0 ", 9) == 0;
    if (none || (report && strstr(report, "unused in file"))) {
        fprintf(stderr, "unetseg: --encoder-weights %s: %s\n", path,
                report ? report : "");
        return UNETSEG_E_NOT_FOUND;
    }
    fprintf(stderr, "encoder weights: %s: %.*s\n", path, (int)strcspn(report ? report : "", ";"),
            report ? report : "");
    return UNETSEG_OK;
}
