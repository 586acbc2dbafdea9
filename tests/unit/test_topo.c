/*
 * test_topo.c - the group layout (topo.c): groups of G from rank 1 and one
 * group per node, every rank exactly once a worker, leader or member.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "topo.h"

/*
 * The group layout every rank derives alone (proto.h, GROUPS).  Named
 * cases: flat, an exact cut, a short last group, a last group of one
 * (a plain worker), a group larger than the job.
 */
static void test_group_layout(void **state)
{
	(void)state;
	/* flat: everyone answers rank 0, nobody leads */
	for (int r = 1; r < 9; r++) {
		assert_int_equal(topo_group_parent(r, 9, 0), 0);
		assert_int_equal(topo_group_members(r, 9, 0), 0);
	}
	assert_int_equal(topo_group_parent(0, 9, 0), -1);
	assert_int_equal(topo_group_parent(9, 9, 3), -1);
	assert_int_equal(topo_group_members(0, 9, 3), 0);
	/* exact: -np 7 -G 3: {1,2,3} {4,5,6} */
	assert_int_equal(topo_group_members(1, 7, 3), 2);
	assert_int_equal(topo_group_members(4, 7, 3), 2);
	assert_int_equal(topo_group_parent(2, 7, 3), 1);
	assert_int_equal(topo_group_parent(3, 7, 3), 1);
	assert_int_equal(topo_group_parent(4, 7, 3), 0);
	assert_int_equal(topo_group_parent(6, 7, 3), 4);
	/* short last group: -np 6 -G 3: {1,2,3} {4,5} */
	assert_int_equal(topo_group_members(4, 6, 3), 1);
	assert_int_equal(topo_group_parent(5, 6, 3), 4);
	/* last group of one: -np 8 -G 3: {7} is a plain worker */
	assert_int_equal(topo_group_members(7, 8, 3), 0);
	assert_int_equal(topo_group_parent(7, 8, 3), 0);
	/* one group larger than the job: -np 3 -G 4: {1,2} */
	assert_int_equal(topo_group_members(1, 3, 4), 1);
	assert_int_equal(topo_group_parent(2, 3, 4), 1);
	/* every rank has exactly one parent, and leaders count their own */
	for (int size = 2; size < 40; size++)
		for (int gs = 2; gs < 9; gs++) {
			int members = 0, direct = 0;
			for (int r = 1; r < size; r++) {
				int p = topo_group_parent(r, size, gs);
				assert_true(p >= 0 && p < r);
				members += topo_group_members(r, size, gs);
				direct += p == 0;
				if (p > 0)
					assert_true(r - p <=
						    topo_group_members(p, size,
								       gs));
			}
			assert_int_equal(members + direct, size - 1);
			assert_int_equal(direct, (size - 1 + gs - 1) / gs);
		}
}

/*
 * --group-size node: runs of consecutive ranks 1.. sharing a node id.
 * Named cases: one node, rank 0 alone on its node, two nodes by slot
 * (rank 0 takes one of the first node's slots), ranks placed round-robin
 * (no run longer than one: everyone a plain worker); and node ids
 * (r - 1) / G give exactly the --group-size G layout.
 */
static void test_group_layout_nodes(void **state)
{
	static const int one[4] = { 0, 0, 0, 0 };
	static const int alone[4] = { 0, 1, 1, 1 };
	static const int two[8] = { 0, 0, 0, 0, 4, 4, 4, 4 };
	static const int rr[6] = { 0, 1, 0, 1, 0, 1 };
	int ids[40];
	(void)state;
	assert_int_equal(topo_group_parent_nodes(0, 4, one), -1);
	assert_int_equal(topo_group_parent_nodes(4, 4, one), -1);
	assert_int_equal(topo_group_members_nodes(0, 4, one), 0);
	/* one node, -np 4: {1,2,3} */
	assert_int_equal(topo_group_members_nodes(1, 4, one), 2);
	assert_int_equal(topo_group_parent_nodes(1, 4, one), 0);
	assert_int_equal(topo_group_parent_nodes(2, 4, one), 1);
	assert_int_equal(topo_group_parent_nodes(3, 4, one), 1);
	/* rank 0 alone: {1,2,3} on node 1 */
	assert_int_equal(topo_group_members_nodes(1, 4, alone), 2);
	assert_int_equal(topo_group_parent_nodes(3, 4, alone), 1);
	/* two nodes of 4 slots: {1,2,3} {4,5,6,7} */
	assert_int_equal(topo_group_members_nodes(1, 8, two), 2);
	assert_int_equal(topo_group_parent_nodes(3, 8, two), 1);
	assert_int_equal(topo_group_parent_nodes(4, 8, two), 0);
	assert_int_equal(topo_group_members_nodes(4, 8, two), 3);
	assert_int_equal(topo_group_parent_nodes(7, 8, two), 4);
	assert_int_equal(topo_group_members_nodes(7, 8, two), 0);
	/* round-robin: no groups */
	for (int r = 1; r < 6; r++) {
		assert_int_equal(topo_group_parent_nodes(r, 6, rr), 0);
		assert_int_equal(topo_group_members_nodes(r, 6, rr), 0);
	}
	/* ids (r - 1) / G: the same layout as --group-size G */
	for (int size = 2; size < 40; size++)
		for (int gs = 2; gs < 9; gs++) {
			ids[0] = -1;
			for (int r = 1; r < size; r++)
				ids[r] = (r - 1) / gs;
			for (int r = 0; r < size; r++) {
				assert_int_equal(
					topo_group_parent_nodes(r, size, ids),
					topo_group_parent(r, size, gs));
				assert_int_equal(
					topo_group_members_nodes(r, size, ids),
					topo_group_members(r, size, gs));
				assert_int_equal(
					topo_group_parent_in(r, size, gs, NULL),
					topo_group_parent(r, size, gs));
			}
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_layout),
		cmocka_unit_test(test_group_layout_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
