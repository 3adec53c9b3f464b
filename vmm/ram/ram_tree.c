// SPDX-License-Identifier: MIT
/*
 * The RAM list's intrusive AVL tree (see ram_tree_priv.h). Recursive insert
 * and remove rebalance on the way back up; the depth stays under 1.45 log2 n,
 * about 20 at 10,000 blocks, so the recursion is shallow. Removal finds the
 * node by its key, which the comparison makes unique.
 */
#include "ram_tree_priv.h"

static int height(const struct rtree_node *n)
{
	return n ? n->h : 0;
}

static void fix_height(struct rtree_node *n)
{
	int l = height(n->l), r = height(n->r);

	n->h = 1 + (l > r ? l : r);
}

static struct rtree_node *rotate_right(struct rtree_node *y)
{
	struct rtree_node *x = y->l;

	y->l = x->r;
	x->r = y;
	fix_height(y);
	fix_height(x);
	return x;
}

static struct rtree_node *rotate_left(struct rtree_node *x)
{
	struct rtree_node *y = x->r;

	x->r = y->l;
	y->l = x;
	fix_height(x);
	fix_height(y);
	return y;
}

/* Restore the AVL property at @n, whose subtrees are AVL and differ by at most 2. */
static struct rtree_node *balance(struct rtree_node *n)
{
	int b;

	fix_height(n);
	b = height(n->l) - height(n->r);
	if (b > 1) {
		if (height(n->l->l) < height(n->l->r))
			n->l = rotate_left(n->l);
		return rotate_right(n);
	}
	if (b < -1) {
		if (height(n->r->r) < height(n->r->l))
			n->r = rotate_right(n->r);
		return rotate_left(n);
	}
	return n;
}

static struct rtree_node *insert_at(struct rtree_node *root, struct rtree_node *n,
				    rtree_cmp_fn cmp)
{
	if (!root) {
		n->l = n->r = NULL;
		n->h = 1;
		return n;
	}
	if (cmp(n, root) < 0)
		root->l = insert_at(root->l, n, cmp);
	else
		root->r = insert_at(root->r, n, cmp);
	return balance(root);
}

void rtree_insert(struct rtree *t, struct rtree_node *n)
{
	t->root = insert_at(t->root, n, t->cmp);
}

static struct rtree_node *remove_min(struct rtree_node *n, struct rtree_node **min)
{
	if (!n->l) {
		*min = n;
		return n->r;
	}
	n->l = remove_min(n->l, min);
	return balance(n);
}

static struct rtree_node *remove_at(struct rtree_node *root, struct rtree_node *n,
				    rtree_cmp_fn cmp)
{
	struct rtree_node *min, *rest;

	if (!root)
		return NULL;
	if (root == n) {
		if (!n->r)
			return n->l;
		rest = remove_min(n->r, &min);
		min->l = n->l;
		min->r = rest;
		return balance(min);
	}
	if (cmp(n, root) < 0)
		root->l = remove_at(root->l, n, cmp);
	else
		root->r = remove_at(root->r, n, cmp);
	return balance(root);
}

void rtree_remove(struct rtree *t, struct rtree_node *n)
{
	t->root = remove_at(t->root, n, t->cmp);
	n->l = n->r = NULL;
	n->h = 0;
}

struct rtree_node *rtree_find(const struct rtree *t, const struct rtree_node *key)
{
	struct rtree_node *n = t->root;

	while (n) {
		int c = t->cmp(key, n);

		if (!c)
			return n;
		n = c < 0 ? n->l : n->r;
	}
	return NULL;
}

struct rtree_node *rtree_ceil(const struct rtree *t, const struct rtree_node *key)
{
	struct rtree_node *n = t->root, *best = NULL;

	while (n) {
		if (t->cmp(n, key) >= 0) {
			best = n;
			n = n->l;
		} else {
			n = n->r;
		}
	}
	return best;
}

struct rtree_node *rtree_below(const struct rtree *t, const struct rtree_node *key)
{
	struct rtree_node *n = t->root, *best = NULL;

	while (n) {
		if (t->cmp(n, key) < 0) {
			best = n;
			n = n->r;
		} else {
			n = n->l;
		}
	}
	return best;
}
