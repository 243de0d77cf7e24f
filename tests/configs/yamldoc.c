/* YAML through libyaml's document API: every document of a file loaded, an error given as
 * file:line:col, duplicate keys refused (libyaml lets them through, compose does not), and
 * small accessors for walking a document. */
#include <stdio.h>
#include <string.h>

#include "configs.h"

yaml_node_t *
ynode(yaml_document_t *d, int id)
{
    return yaml_document_get_node(d, id);
}

const char *
yscalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int
yline(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

yaml_node_t *
yget(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *p;

    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = yscalar(ynode(d, p->key));

        if (k != NULL && strcmp(k, key) == 0)
            return ynode(d, p->value);
    }
    return NULL;
}

size_t
yseq_len(const yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SEQUENCE_NODE)
        return 0;
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *
yseq_at(yaml_document_t *d, const yaml_node_t *n, size_t i)
{
    return ynode(d, n->data.sequence.items.start[i]);
}

/* Duplicate keys: YAML forbids them, libyaml lets them through, compose refuses them. */
static void
yaml_dup_keys(const struct cfile *f, yaml_document_t *d, yaml_node_t *n, int depth,
              struct verdict *v)
{
    yaml_node_pair_t *p, *q;
    yaml_node_item_t *it;

    if (depth > YAML_DEPTH_MAX)
        return;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            yaml_dup_keys(f, d, ynode(d, *it), depth + 1, v);
    } else if (n->type == YAML_MAPPING_NODE) {
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            const char *k = yscalar(ynode(d, p->key));

            for (q = n->data.mapping.pairs.start; k != NULL && q < p; q++) {
                const char *k0 = yscalar(ynode(d, q->key));

                if (k0 != NULL && strcmp(k, k0) == 0)
                    problem(v, "%s:%d:%d: duplicate key \"%s\" (first at line %d)", f->path,
                            yline(ynode(d, p->key)), (int)ynode(d, p->key)->start_mark.column + 1,
                            k, yline(ynode(d, q->key)));
            }
            yaml_dup_keys(f, d, ynode(d, p->value), depth + 1, v);
        }
    }
}

/* Loads every document of a YAML file, reporting the first error as file:line:col. */
void
test_yaml_parses(const struct cfile *f)
{
    struct verdict v = {0};
    yaml_parser_t parser;
    int docs = 0;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)f->text, f->len);
    for (;;) {
        yaml_document_t doc;
        yaml_node_t *root;

        if (!yaml_parser_load(&parser, &doc)) {
            problem(&v, "%s:%d:%d: %s%s%s", f->path, (int)parser.problem_mark.line + 1,
                    (int)parser.problem_mark.column + 1,
                    parser.problem != NULL ? parser.problem : "error",
                    parser.context != NULL ? ", " : "",
                    parser.context != NULL ? parser.context : "");
            break;
        }
        root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        docs++;
        yaml_dup_keys(f, &doc, root, 0, &v);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (docs == 0 && v.problems == 0)
        problem(&v, "%s: no YAML document in it", f->path);
    report(&v, "YAML parses: %s", f->path);
}

/* The first document of a file that parses (test_yaml_parses reports those that do not). */
int
yaml_load(const struct cfile *f, yaml_document_t *doc)
{
    yaml_parser_t parser;
    int ok;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)f->text, f->len);
    ok = yaml_parser_load(&parser, doc);
    yaml_parser_delete(&parser);
    if (!ok)
        return -1;
    if (yaml_document_get_root_node(doc) == NULL) {
        yaml_document_delete(doc);
        return -1;
    }
    return 0;
}
