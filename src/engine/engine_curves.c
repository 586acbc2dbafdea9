/*
 * engine_curves.c - the Z/2 x Z/8 curves of micro-ECM (engine_ecm_tmpl.h).
 *
 * Purpose: a table of Montgomery curves B v^2 = w^3 + A w^2 + w over Q
 * with torsion group Z/2 x Z/8 and a rational point of infinite order,
 * as a24 = (A + 2)/4 and the point's w, both as fractions.  Micro-ECM runs
 * a number's first ECM_Z28_COUNT curves from this table, in order, and
 * Suyama's curves after them.  Every group order mod p of such a curve is
 * divisible by 16 (the torsion injects into E(F_p)), against 12 for
 * Suyama's, and more often by higher powers of 2 and 3; with the S64
 * bounds (B1 = 200, B2 = 10^4) the point's order was smooth enough for
 * 12.0% of 3000 seeded random 32-bit primes on average over the table
 * (13.0% for the first eight) against 10.6% for Suyama's curves.
 *
 * Made by tests/data/gen/ecm_curves.gp (PARI/GP), which says how: the Z/2 x
 * Z/8 family of Bernstein, Birkner, Lange and Peters ("ECM using Edwards
 * curves", Math. Comp. 82, 2013) over small u, points of infinite order
 * from ellrank, one curve per isogeny class, parts below 2^63,
 * sorted by the success share above (the comment of each row: u, share).
 * test_engine_small checks every row: its point lies on the family's
 * twist of the curve (w (w^2 + A w + 1) / (A + 2) is a rational square),
 * and the row as curve number i finds the planted prime of a known-answer
 * semiprime from tests/data/gen/ecm_z28_kat.gp, alone, paired and on both
 * tiers.
 * What the table saves over Suyama's curves alone: engine_NOTES.md.
 *
 * Invariants: every part is below 2^63 and non-zero; a24 > 0; the rows
 * are exact rationals, so the same curve reduces mod any n.
 */
#include "engine_int.h"

const struct ecm_z28_curve ecm_z28_curves[ECM_Z28_COUNT] = {
	{ 707281ull, 705600ull, 2401ull, 2645ull, 1 }, /* u = -7/2, 0.133 */
	{ 141158161ull, 119246400ull, 153664ull, 72075ull,
	  1 }, /* u = -13/3, 0.133 */
	{ 52200625ull, 30735936ull, 41209ull, 184041ull,
	  1 }, /* u = -11/2, 0.132 */
	{ 88529281ull, 87609600ull, 55954314ull, 53105405ull,
	  1 }, /* u = -13/4, 0.131 */
	{ 607573201ull, 503553600ull, 1167067ull, 484416ull,
	  1 }, /* u = -22/5, 0.129 */
	{ 88223850625ull, 35639398656ull, 461700ull, 22103ull,
	  0 }, /* u = -27/4, 0.128 */
	{ 244140625ull, 106007616ull, 41327ull, 49923ull,
	  1 }, /* u = -13/2, 0.128 */
	{ 80706559921ull, 71802561600ull, 1350710480ull, 1207754403559ull,
	  0 }, /* u = -29/7, 0.127 */
	{ 20200652641ull, 10999814400ull, 27889ull, 8303ull,
	  1 }, /* u = -23/4, 0.125 */
	{ 104821185121ull, 57715257600ull, 1390996255ull, 645136674ull,
	  1 }, /* u = 26/7, 0.125 */
	{ 670801950625ull, 667188377856ull, 18167343841589800ull,
	  59696527426344147ull, 0 }, /* u = 17/11, 0.125 */
	{ 1506138481ull, 119246400ull, 10210031875565574ull,
	  2377349588143327ull, 1 }, /* u = -15, 0.124 */
	{ 403490473681ull, 403123406400ull, 128889274467208957ull,
	  208757308030407680ull, 0 }, /* u = 15/11, 0.124 */
	{ 156531800881ull, 155772302400ull, 17160011ull, 15742350ull,
	  1 },                                            /* u = 13/10, 0.124 */
	{ 2825761ull, 518400ull, 10952ull, 32805ull, 0 }, /* u = -10, 0.123 */
	{ 17748900625ull, 386358336ull, 1329550369ull, 32214506256ull,
	  1 }, /* u = -28, 0.123 */
	{ 3512479453921ull, 3298146566400ull, 66270ull, 90601ull,
	  1 }, /* u = 23/12, 0.123 */
	{ 62742241ull, 38937600ull, 5329ull, 2592ull,
	  1 }, /* u = -16/3, 0.122 */
	{ 4931550625ull, 147476736ull, 10093329ull, 442597444ull,
	  0 }, /* u = -24, 0.122 */
	{ 4931550625ull, 2249035776ull, 71472195699129ull, 323425524562400ull,
	  1 }, /* u = -19/3, 0.122 */
	{ 241474942801ull, 114595790400ull, 1183ull, 775ull,
	  1 }, /* u = 21/5, 0.122 */
	{ 559840650625ull, 502147973376ull, 551331312175ull, 833775235788ull,
	  1 }, /* u = 19/9, 0.122 */
	{ 163047361ull, 11289600ull, 4049203760ull, 452468883ull,
	  1 }, /* u = -16, 0.122 */
	{ 352275361ull, 341510400ull, 5100504ull, 3927385ull,
	  1 }, /* u = -15/4, 0.121 */
	{ 65037750625ull, 64183182336ull, 4479588776ull, 6378869ull,
	  0 }, /* u = -29/8, 0.121 */
	{ 53527912321ull, 885657600ull, 26880900079ull, 1194576813381660ull,
	  0 }, /* u = 30, 0.121 */
	{ 104060401ull, 15681600ull, 637593ull, 2647129ull,
	  1 }, /* u = -11, 0.121 */
	{ 35152125121ull, 13999622400ull, 145ull, 34ull,
	  0 }, /* u = 24/5, 0.121 */
	{ 276281640625ull, 208352079936ull, 998999860899194ull,
	  988978527984841ull, 1 }, /* u = 19/7, 0.121 */
	{ 1103812890625ull, 791786750976ull, 732023205379424643ull,
	  1994594746894693957ull, 1 }, /* u = 23/8, 0.120 */
	{ 3373402561ull, 2516025600ull, 205953ull, 549100ull,
	  1 }, /* u = -19/4, 0.120 */
	{ 1325558466241ull, 763176960000ull, 1952288ull, 86040375ull,
	  0 }, /* u = 25/7, 0.119 */
	{ 5236114321ull, 1287374400ull, 893601913218211379ull,
	  5139879772367834934ull, 0 }, /* u = -26/3, 0.119 */
	{ 65037750625ull, 39165993216ull, 79431719735629ull, 85106793989469ull,
	  1 }, /* u = 24/7, 0.119 */
	{ 11156640625ull, 10655194176ull, 1042899ull, 678976ull,
	  1 }, /* u = -23/6, 0.118 */
	{ 1766100625ull, 986965056ull, 84966ull, 24299ull,
	  1 }, /* u = -17/3, 0.118 */
	{ 2385443281ull, 85377600ull, 9245ull, 167334ull,
	  1 }, /* u = -22, 0.118 */
	{ 101904600625ull, 101873318976ull, 188806883703095522ull,
	  187682041035694413ull, 1 }, /* u = 13/9, 0.118 */
	{ 5998703100625ull, 4893191747136ull, 20691ull, 5041ull,
	  0 }, /* u = 27/11, 0.117 */
	{ 8653650625ull, 5513953536ull, 833ull, 2888ull,
	  1 }, /* u = -21/4, 0.115 */
	{ 1766100625ull, 1721918016ull, 361ull, 336ull,
	  1 }, /* u = -19/6, 0.114 */
	{ 6975757441ull, 5972198400ull, 2645ull, 2268ull,
	  1 },                                     /* u = -30/7, 0.114 */
	{ 83521ull, 57600ull, 361ull, 200ull, 1 }, /* u = -5, 0.114 */
	{ 55330800625ull, 1806590016ull, 1616727784923287ull,
	  242726961394288ull, 1 }, /* u = -23, 0.113 */
	{ 40642963201ull, 38635833600ull, 1516951800ull, 65626201ull,
	  0 }, /* u = -27/7, 0.113 */
	{ 670801950625ull, 519921755136ull, 859096ull, 40071ull,
	  0 }, /* u = 21/8, 0.113 */
	{ 815730721ull, 815673600ull, 932575ull, 948226ull,
	  1 }, /* u = -17/5, 0.112 */
	{ 20200652641ull, 9032601600ull, 111915241ull, 17740888ull,
	  1 }, /* u = 22/5, 0.112 */
	{ 8772502109281ull, 6775817241600ull, 425113128049ull,
	  19862257801320ull, 0 }, /* u = 29/11, 0.112 */
	{ 911125611841ull, 219698438400ull, 445578ull, 55955ull,
	  1 }, /* u = 27/4, 0.112 */
	{ 1171350625ull, 402564096ull, 303601ull, 2229049ull,
	  1 }, /* u = -22/3, 0.111 */
	{ 32625390625ull, 5239443456ull, 6424717ull, 19046792ull,
	  0 }, /* u = 26/3, 0.111 */
	{ 395451064801ull, 67808160000ull, 58813561ull, 415902200ull,
	  1 }, /* u = 25/3, 0.110 */
	{ 152587890625ull, 125417972736ull, 3090234230936903ull,
	  1009419557863242528ull, 0 }, /* u = 17/7, 0.110 */
	{ 236010384481ull, 230861030400ull, 735ull, 12584ull,
	  0 },                                           /* u = 13/11, 0.109 */
	{ 442050625ull, 23970816ull, 108ull, 17ull, 1 }, /* u = -18, 0.105 */
};
