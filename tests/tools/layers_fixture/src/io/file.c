/* Planted: a public function of the model handle outside api. Allowed: io
 * calls its siblings (train) and graph. */
int us_train_step(void);
int us_graph_run(void);

int unetseg_model_frob(void) { return us_train_step() + us_graph_run(); }
