"""Makes the plain reference evaluator and the random-data helpers of this folder importable
by the tests below it (pytest's default import mode only puts each test's own folder on
sys.path)."""
import os.path as osp
import sys

_HERE = osp.dirname(osp.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
