"""Ranking beyond the official score: weights, AHP, MCDA methods, comparison, robustness.

Rank 1 always means *the location to handle first* (the worst off). See ``docs/ranking.md``.

Modules
-------
weights     official equal weights, custom criterion/aspect weights, weights files
ahp         AHP weights and consistency, diagnosis, group AHP, pairwise files, perturbation
methods     official total, weighted sum, TOPSIS, VIKOR (pure numpy) and table-level ranking
compare     Kendall tau / Spearman rho agreement, largest rank moves
robustness  SMAA-style simulation over weights (simplex or AHP) and data error
figures     rank-interval chart, criterion heatmap, method comparison chart (seaborn)
cli         ``ahp`` and ``rank`` sub-commands (``register(subparsers)``)
"""

from .ahp import (
                      AHPResult,
                      GroupAHPResult,
                      ahp_weights,
                      diagnose_inconsistency,
                      group_ahp,
                      perturb_pairwise,
                      random_index,
                      read_pairwise,
                      read_pairwise_workbook,
                      validate_pairwise,
)
from .compare import agreement_matrix, rank_agreement, rank_moves
from .methods import (
                      METHODS,
                      MethodResult,
                      VikorResult,
                      official_total,
                      rank_all_methods,
                      rank_from_scores,
                      rank_table,
                      tiebreak_keys,
                      topsis,
                      vikor,
                      weighted_sum,
)
from .robustness import AHPSampler, SimplexSampler, SMAAResult, smaa
from .weights import (
                      RankInputError,
                      WeightSet,
                      aspect_matrix,
                      aspect_weights,
                      criterion_weights,
                      equal_weights,
                      normalise_weights,
                      parse_number,
                      read_weights,
)

__all__ = [
    "RankInputError", "WeightSet", "aspect_matrix", "aspect_weights", "criterion_weights",
    "equal_weights", "normalise_weights", "parse_number", "read_weights",
    "AHPResult", "GroupAHPResult", "ahp_weights", "diagnose_inconsistency", "group_ahp",
    "perturb_pairwise", "random_index", "read_pairwise", "read_pairwise_workbook",
    "validate_pairwise",
    "METHODS", "MethodResult", "VikorResult", "official_total", "rank_all_methods",
    "rank_from_scores", "rank_table", "tiebreak_keys", "topsis", "vikor", "weighted_sum",
    "agreement_matrix", "rank_agreement", "rank_moves",
    "AHPSampler", "SimplexSampler", "SMAAResult", "smaa",
]
