"""Where an iterative self-correction run stands, kept in ``<work_dir>/self_correction/state.json``.

The file is rewritten atomically after every stage, so an interrupted run finds the last
stage it finished: ``round`` is the round in progress (``num_rounds + 1`` when all are done),
``stage`` is ``'train'`` (the round's refiner is being trained; mmengine resumes it from the
round's own checkpoints) or ``'correct'`` (training finished, the corrected file is not
written yet). ``rounds`` keeps one record per started round: its training annotation file,
its work dir, its final checkpoint and its corrected output.
"""
import os.path as osp
from typing import List, Optional

import mmengine

from .atomic_json import dump_json_atomic

STAGES = ('train', 'correct')


class SelfCorrectionState:
    """The progress of a self-correction run.

    Args:
        path (str): The state file.
        input_ann_file (str): The coarse annotation file being corrected (never written).
        input_sha256 (str): Its SHA-256 when the run started.
        round (int): The round in progress, from 1. Defaults to 1.
        stage (str): ``'train'`` or ``'correct'``. Defaults to ``'train'``.
        rounds (list[dict], optional): One record per started round.
    """

    version = 1

    def __init__(self, path: str, input_ann_file: str, input_sha256: str, round: int = 1,
                 stage: str = 'train', rounds: Optional[List[dict]] = None) -> None:
        if stage not in STAGES:
            raise ValueError(f'{path}: stage must be one of {STAGES}, got {stage!r}')
        self.path = path
        self.input_ann_file = input_ann_file
        self.input_sha256 = input_sha256
        self.round = int(round)
        self.stage = stage
        self.rounds = list(rounds or [])

    @classmethod
    def load(cls, path: str) -> 'SelfCorrectionState':
        """Read a state file."""
        data = mmengine.load(path, file_format='json')
        if data.get('version') != cls.version:
            raise ValueError(f'{path}: unsupported state version {data.get("version")}, '
                             f'expected {cls.version}')
        return cls(path, data['input_ann_file'], data['input_sha256'], data['round'],
                   data['stage'], data['rounds'])

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

    def save(self) -> None:
        """Write the state atomically."""
        dump_json_atomic(dict(version=self.version, input_ann_file=self.input_ann_file,
                              input_sha256=self.input_sha256, round=self.round,
                              stage=self.stage, rounds=self.rounds),
                         self.path, overwrite=True)

    @staticmethod
    def exists(path: str) -> bool:
        """Whether a state file is there."""
        return osp.isfile(path)
