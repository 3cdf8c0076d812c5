/* unetseg match [model options] 'EXPR': the layers a predicate selects, one
 * per line in layer order on stdout, "N of M layers match" on stderr;
 * exit status 3 when nothing matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_match(int argc, char **argv) {
    const char *expr = NULL;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    unetseg_matcher *mt = NULL;
    int rc = CLI_EXIT_OK;
    if (unetseg_unet_options_create(&o)) return CLI_EXIT_RUNTIME;
    unetseg_unet_options_set_input_shape(o, 256, 256, 3);
    for (int i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: unetseg match [model options as for summary] 'EXPR'\n"
                   "EXPR: words (substrings), glob:PAT, re:REGEX, kind=K, region=R,\n"
                   "      ! & | and parentheses, e.g. 'conv & stage & !conv3 & region=encoder'\n");
            unetseg_unet_options_free(o);
            return CLI_EXIT_OK;
        }
        int r = argv[i][0] == '-' && argv[i][1] == '-' ? cli_parse_model_option(o, argc, argv, &i) : 2;
        if (r == 2 && !expr) {
            expr = argv[i];
        } else if (r <= 0 || r == 2) {
            fprintf(stderr, "unetseg match: unexpected argument '%s'\n", argv[i]);
            rc = CLI_EXIT_USAGE;
        }
    }
    if (rc == CLI_EXIT_OK && !expr) {
        fprintf(stderr, "unetseg match: an expression is required\n");
        rc = CLI_EXIT_USAGE;
    }
    int32_t st = UNETSEG_OK, total = 0, count = 0;
    int32_t *idx = NULL;
    if (rc == CLI_EXIT_OK && (st = unetseg_matcher_parse(expr, &mt))) {
        cli_report(expr, st);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && !(st = unetseg_unet_create(o, &m)) &&
        !(st = unetseg_model_layer_count(m, &total))) {
        idx = malloc((size_t)total * sizeof *idx);
        st = idx ? unetseg_model_match(m, mt, idx, total, &count) : UNETSEG_E_NOMEM;
    }
    if (rc == CLI_EXIT_OK) {
        for (int32_t k = 0; k < count; k++) {
            const char *name = NULL;
            unetseg_model_layer_name(m, idx[k], &name);
            printf("%s\n", name);
        }
        if (st == UNETSEG_OK || st == UNETSEG_E_NO_MATCH)
            fprintf(stderr, "%d of %d layers match\n", count, total);
        if (st == UNETSEG_E_NO_MATCH) {
            fprintf(stderr, "unetseg: %s\n", unetseg_last_error());
            rc = CLI_EXIT_NO_MATCH;
        } else if (st) {
            cli_report("match", st);
            rc = CLI_EXIT_RUNTIME;
        }
    }
    free(idx);
    unetseg_matcher_free(mt);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    return rc;
}
