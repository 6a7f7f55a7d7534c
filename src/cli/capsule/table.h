/* Output lines whose tab-separated cells are aligned in columns, as docker's
 * tables are (each column as wide as its widest cell plus 3 spaces). */
#ifndef CAPSULE_CLI_CAPSULE_TABLE_H
#define CAPSULE_CLI_CAPSULE_TABLE_H

#include <stdio.h>

struct table;

struct table *table_new(void);
/* Take a line (heap string, "\t" between cells); NULL lines are ignored. */
void table_add(struct table *t, char *line);
/* Print every line, aligned, and free the table. */
void table_print(struct table *t, FILE *out);

#endif
