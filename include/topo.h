/*
 * topo.h - the group layout of --group-size: which rank serves which.
 *
 * Pure arithmetic on the MPI size and --group-size, or on the node id of
 * every rank (--group-size node), so that every rank derives the same
 * layout from argv and the MPI size alone and no message is needed to
 * agree on it (the conversation is in proto.h, GROUPS).
 */
#ifndef FACTORIZE_TOPO_H
#define FACTORIZE_TOPO_H

#include <stddef.h>

/*
 * The group layout (proto.h, GROUPS), pure arithmetic on the MPI size and
 * --group-size (0 = flat).  Ranks outside 0 .. size-1 give -1 / 0.
 *   topo_group_parent   the rank whose WORK this rank factors: 0 for a
 *                        leader or a plain worker, its leader for a
 *                        member, -1 for rank 0
 *   topo_group_members  how many members a leader has (they are ranks
 *                        rank+1 .. rank+members); 0 for anyone else
 */
int topo_group_parent(int rank, int size, int group_size);
int topo_group_members(int rank, int size, int group_size);

/*
 * --group-size node: node[r] is an id shared by the ranks of one node
 * (node[0 .. size-1]); each run of consecutive ranks 1.. with one id is a
 * group led by its first rank (a run of one is a plain worker).  Ranks
 * placed by node make one group per node; a rank 0 on a node takes none
 * of its slots' groups, so the first node's group is one rank shorter.
 */
int topo_group_parent_nodes(int rank, int size, const int *node);
int topo_group_members_nodes(int rank, int size, const int *node);

/* The layout in use: by node when node != NULL, else by group_size. */
static inline int topo_group_parent_in(int rank, int size, int group_size,
				       const int *node)
{
	return node != NULL ? topo_group_parent_nodes(rank, size, node)
			    : topo_group_parent(rank, size, group_size);
}

static inline int topo_group_members_in(int rank, int size, int group_size,
					const int *node)
{
	return node != NULL ? topo_group_members_nodes(rank, size, node)
			    : topo_group_members(rank, size, group_size);
}

#endif
