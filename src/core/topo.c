/*
 * topo.c - the group layout (topo.h): groups of G consecutive ranks from
 * rank 1, or one group per run of consecutive ranks on one node.
 *
 * Invariants: rank 0 is never in a group (parent -1); a leader's members
 * are the ranks right after it; every rank 1 .. size-1 is exactly one of
 * a plain worker (parent 0, no members), a leader (parent 0, members >=
 * 1) or a member (parent = its leader).
 */
#include "topo.h"

int topo_group_parent(int rank, int size, int group_size)
{
	int first;

	if (rank <= 0 || rank >= size)
		return -1;
	if (group_size < 2)
		return 0;
	first = 1 + (rank - 1) / group_size * group_size;
	return rank == first ? 0 : first;
}

int topo_group_members(int rank, int size, int group_size)
{
	int last;

	if (rank <= 0 || rank >= size || group_size < 2 ||
	    (rank - 1) % group_size != 0)
		return 0;
	last = rank + group_size - 1;
	if (last > size - 1)
		last = size - 1;
	return last - rank;
}

/* The run of consecutive ranks 1 .. size-1 with rank's node id. */
static void node_run(int rank, int size, const int *node, int *first, int *last)
{
	int a = rank, b = rank;

	while (a > 1 && node[a - 1] == node[rank])
		a--;
	while (b + 1 < size && node[b + 1] == node[rank])
		b++;
	*first = a;
	*last = b;
}

int topo_group_parent_nodes(int rank, int size, const int *node)
{
	int a, b;

	if (rank <= 0 || rank >= size)
		return -1;
	node_run(rank, size, node, &a, &b);
	return rank == a ? 0 : a;
}

int topo_group_members_nodes(int rank, int size, const int *node)
{
	int a, b;

	if (rank <= 0 || rank >= size)
		return 0;
	node_run(rank, size, node, &a, &b);
	return rank == a ? b - a : 0;
}
