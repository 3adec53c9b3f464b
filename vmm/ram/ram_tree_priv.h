/* SPDX-License-Identifier: MIT */
/*
 * An intrusive AVL tree for the RAM list's indexes (blocks by name, by list
 * order, and by the free gap after them): a node lives inside the object it
 * orders, the comparison sees two nodes, and every operation is O(log n), so
 * creating or removing a block costs the same at 10,000 blocks as at 500.
 * Keys are unique: the comparisons break every tie.
 */
#ifndef RAM_TREE_PRIV_H
#define RAM_TREE_PRIV_H

#include <stddef.h>

struct rtree_node {
	struct rtree_node *l, *r;
	int h;	/* height of the subtree, 1 for a leaf */
};

/* <0, 0, >0 as a orders before, equal to or after b */
typedef int (*rtree_cmp_fn)(const struct rtree_node *a, const struct rtree_node *b);

struct rtree {
	struct rtree_node *root;
	rtree_cmp_fn cmp;
};

void rtree_insert(struct rtree *t, struct rtree_node *n);
/* @n must be in @t. */
void rtree_remove(struct rtree *t, struct rtree_node *n);
/* The node equal to @key (a probe node, not necessarily in the tree), or NULL. */
struct rtree_node *rtree_find(const struct rtree *t, const struct rtree_node *key);
/* The least node >= @key, or NULL. */
struct rtree_node *rtree_ceil(const struct rtree *t, const struct rtree_node *key);
/* The greatest node < @key, or NULL. */
struct rtree_node *rtree_below(const struct rtree *t, const struct rtree_node *key);

#endif
