"""Makes the random-data helpers of tests/test_evaluation (``ytvis_fakes``, an independent
mask encoder, and the plain reference evaluator) importable by the format tests."""
import os.path as osp
import sys

_EVAL_TESTS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'test_evaluation')
if _EVAL_TESTS not in sys.path:
    sys.path.insert(0, _EVAL_TESTS)
