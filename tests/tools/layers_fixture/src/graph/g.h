/* Planted: a graph header declares a function that api defines. */
int us_graph_run(void);
int us_api_helper(void);
