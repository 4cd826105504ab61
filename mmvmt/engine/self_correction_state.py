"""Where an iterative self-correction run stands, kept in ``<work_dir>/self_correction/state.json``.

The file is rewritten atomically after every stage, so an interrupted run finds the last
stage it finished: ``round`` is the round in progress (``num_rounds + 1`` when all are done),
``stage`` is ``'train'`` (the round's refiner is being trained; mmengine resumes it from the
round's own checkpoints), ``'correct'`` (training finished, the corrected file is not written
yet) or ``'validate'`` (the corrected file is written, the validation file not yet corrected
and scored). ``rounds`` keeps one record per started round: its training annotation file,
its work dir, its final checkpoint, its corrected output and its validation score.
``inputs`` maps every input file the run reads (the coarse file, the validation files) to
its SHA-256; ``stopped_after`` is the round after which the validation AP^B saturated, if it
did; ``validation_baseline`` is the AP^B of the uncorrected validation file.
"""
import os.path as osp
from typing import Dict, List, Optional

import mmengine

from .atomic_json import dump_json_atomic

STAGES = ('train', 'correct', 'validate')


class SelfCorrectionStateError(ValueError):
    """A state file that is damaged or not laid out as a run writes it."""


class SelfCorrectionState:
    """The progress of a self-correction run.

    Args:
        path (str): The state file.
        input_ann_file (str): The coarse annotation file being corrected (never written).
        inputs (dict[str, str]): Every input file -> its SHA-256 when the run started (or
            when a change was accepted, see :class:`SelfCorrection`).
        round (int): The round in progress, from 1. Defaults to 1.
        stage (str): One of :data:`STAGES`. Defaults to ``'train'``.
        rounds (list[dict], optional): One record per started round.
        stopped_after (int, optional): The round after which the run stopped early.
        validation_baseline (float, optional): AP^B of the uncorrected validation file.
    """

    version = 2

    def __init__(self, path: str, input_ann_file: str, inputs: Dict[str, str],
                 round: int = 1, stage: str = 'train', rounds: Optional[List[dict]] = None,
                 stopped_after: Optional[int] = None,
                 validation_baseline: Optional[float] = None) -> None:
        if stage not in STAGES:
            raise ValueError(f'{path}: stage must be one of {STAGES}, got {stage!r}')
        self.path = path
        self.input_ann_file = input_ann_file
        self.inputs = dict(inputs)
        self.round = int(round)
        self.stage = stage
        self.rounds = list(rounds or [])
        self.stopped_after = stopped_after
        self.validation_baseline = validation_baseline

    @classmethod
    def load(cls, path: str) -> 'SelfCorrectionState':
        """Read a state file (version 1 files, without validation, are read too).

        Raises:
            SelfCorrectionStateError: If the file is not JSON or not laid out as
                :meth:`save` writes it (naming the file and the entry).
        """
        try:
            data = mmengine.load(path, file_format='json')
        except ValueError as e:
            raise SelfCorrectionStateError(f'{path}: is not JSON ({e}); expected the state '
                                           'a self-correction run writes') from None
        if not isinstance(data, dict):
            raise SelfCorrectionStateError(f'{path}: expected a JSON object, got '
                                           f'{type(data).__name__}')
        _expect(path, data, 'input_ann_file', str, 'a path')
        if data.get('version') == 1:
            _expect(path, data, 'input_sha256', str, 'a SHA-256')
            data['inputs'] = {data['input_ann_file']: data['input_sha256']}
        elif data.get('version') != cls.version:
            raise SelfCorrectionStateError(f'{path}: unsupported state version '
                                           f'{data.get("version")!r}, expected {cls.version}')
        _expect(path, data, 'inputs', dict, 'a map of input files to their SHA-256')
        if not all(isinstance(k, str) and isinstance(v, str)
                   for k, v in data['inputs'].items()):
            raise SelfCorrectionStateError(f'{path}: "inputs" must map file paths to SHA-256 '
                                           'strings')
        _expect(path, data, 'round', int, 'the round in progress, >= 1')
        if data['round'] < 1:
            raise SelfCorrectionStateError(f'{path}: "round" must be >= 1, got {data["round"]}')
        if data.get('stage') not in STAGES:
            raise SelfCorrectionStateError(f'{path}: "stage" must be one of {STAGES}, got '
                                           f'{data.get("stage")!r}')
        _expect(path, data, 'rounds', list, 'one record per started round')
        for k, record in enumerate(data['rounds'], 1):
            if not isinstance(record, dict) or record.get('round') != k:
                raise SelfCorrectionStateError(f'{path}: rounds[{k - 1}] must be the record '
                                               f'of round {k} (an object with "round": {k})')
        for key, kind in (('stopped_after', int), ('validation_baseline', (int, float))):
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
                raise SelfCorrectionStateError(f'{path}: "{key}" must be a number or null, '
                                               f'got {value!r}')
        return cls(path, data['input_ann_file'], data['inputs'], data['round'],
                   data['stage'], data['rounds'], data.get('stopped_after'),
                   data.get('validation_baseline'))

    def record(self, round: int) -> dict:
        """The record of round ``round`` (created empty the first time)."""
        while len(self.rounds) < round:
            self.rounds.append(dict(round=len(self.rounds) + 1))
        return self.rounds[round - 1]

    def output_of(self, round: int) -> Optional[str]:
        """The corrected annotation file written by round ``round``, if any."""
        if round < 1 or round > len(self.rounds):
            return None
        return self.rounds[round - 1].get('output_ann_file')

    def finished_rounds(self) -> List[int]:
        """The rounds whose corrected file is written, in order."""
        return [r['round'] for r in self.rounds if r.get('output_ann_file')]

    def save(self) -> None:
        """Write the state atomically."""
        dump_json_atomic(dict(version=self.version, input_ann_file=self.input_ann_file,
                              inputs=self.inputs, round=self.round, stage=self.stage,
                              rounds=self.rounds, stopped_after=self.stopped_after,
                              validation_baseline=self.validation_baseline),
                         self.path, overwrite=True)

    @staticmethod
    def exists(path: str) -> bool:
        """Whether a state file is there."""
        return osp.isfile(path)


def _expect(path: str, data: dict, key: str, kind: type, what: str) -> None:
    """Refuse ``data`` unless ``data[key]`` is a ``kind`` (not a bool)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise SelfCorrectionStateError(f'{path}: "{key}" must be {what}, got {value!r}')
