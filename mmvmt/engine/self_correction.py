"""Iterative self-correction of coarse video mask annotations (VMT, Section 3.2).

Design: a driver over ordinary mmengine runs, one per round, rather than one custom Loop.
Each round trains the refiner with a plain mmengine ``Runner`` built from the user's config
(so its schedule, hooks, logging, checkpointing and resuming are mmengine's own and the
config is an ordinary training config), then corrects the coarse dataset with
:class:`AnnotationCorrector`. A Loop inside one runner would have to rebuild the dataloader,
optimizer and schedulers between rounds and share one checkpoint history across rounds,
which mmengine's resume does not model; a driver keeps each round a normal, separately
resumable run and keeps the round logic in one readable place. The same correction stage
is available inside any single training run as :class:`AnnotationCorrectionHook`.

Rounds (``cfg.self_correction.num_rounds``, 4 in the paper):

* round 1 trains on the config's ``train_dataloader`` (the well-annotated dataset, OVIS in
  the paper, whose masks the pipeline degrades on the fly: ``MaskDegradation`` +
  ``RefinementRegionTarget``; the model trains class-agnostic with
  ``train_cfg.refine_input='given'``), starting from ``cfg.load_from``;
* round k > 1 trains on round k-1's corrected file (the coarse dataset's type, images and
  the same degrading pipeline), starting from round k-1's final checkpoint
  (``init_from_previous_round``);
* every round then corrects its input, the original coarse file in round 1 and round
  k-1's output after that, into a new file.

Files under ``<work_dir>/self_correction/``::

    state.json                          the progress (SelfCorrectionState), atomic
    round_<k>/train/                    round k's training work dir (checkpoints, logs)
    round_<k>/correct/                  logs of a correction resumed without its training
    round_<k>/<name>.json               round k's corrected annotations (never overwritten)
    round_<k>/<name>.provenance.json    checkpoint, threshold, pixels changed per video

Resuming (``resume=True``) continues at the state's round and stage: an unfinished training
resumes from the round's latest checkpoint through mmengine's resume; a finished one goes
straight to the correction; finished rounds are not redone. Without ``resume`` an existing
state is an error, so a second run never mixes with or replaces the first one's files. The
input file is only read, and its SHA-256 is checked at every resume.
"""
import copy
import datetime
import json
import os.path as osp
from typing import List, Optional

import mmengine
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, find_latest_checkpoint

from .annotation_corrector import AnnotationCorrector, provenance_path
from .atomic_json import file_sha256
from .self_correction_state import SelfCorrectionState


class SelfCorrection:
    """Run (or resume) the rounds of self-correction described by a config.

    ``cfg.self_correction`` holds:

    - ``coarse_dataset`` (dict): the dataset to correct, as a dataset config without a
      pipeline (``type``, ``data_root``, ``ann_file``, ``data_prefix.img_path``, extra
      arguments); its file is the coarse input of round 1 and its type reads the corrected
      files in later rounds;
    - ``num_rounds`` (int, default 4), ``conf_thr`` (float, default 0.65);
    - ``frame_pipeline`` (list[dict], optional), ``max_tracks_per_pass`` (int, default 8),
      ``segm_key`` (str, default ``'segmentations'``): see :class:`AnnotationCorrector`;
    - ``init_from_previous_round`` (bool, default True): round k > 1 starts from round
      k-1's final checkpoint, else from ``cfg.load_from``.

    Args:
        cfg (Config): A training config of a refiner (e.g. ``VideoMaskTransfiner`` with
            ``train_cfg.refine_input='given'``) with ``work_dir`` and ``self_correction``.
        resume (bool): Continue the run found in the work dir. Defaults to False.
    """

    def __init__(self, cfg: Config, resume: bool = False) -> None:
        if cfg.get('self_correction') is None:
            raise KeyError('SelfCorrection: the config has no `self_correction` section.')
        if cfg.get('work_dir') is None:
            raise KeyError('SelfCorrection: the config has no `work_dir`.')
        self.cfg = cfg
        self.resume = resume
        sc = cfg.self_correction
        self.num_rounds = int(sc.get('num_rounds', 4))
        self.init_from_previous_round = bool(sc.get('init_from_previous_round', True))
        self.coarse_dataset = ConfigDict(sc['coarse_dataset'])
        data_root = self.coarse_dataset.get('data_root') or ''
        self.input_ann_file = osp.abspath(osp.join(data_root, self.coarse_dataset['ann_file']))
        self.img_root = osp.abspath(osp.join(
            data_root, (self.coarse_dataset.get('data_prefix') or {}).get('img_path', '')))
        self.corrector = AnnotationCorrector(
            conf_thr=sc.get('conf_thr', 0.65), frame_pipeline=sc.get('frame_pipeline'),
            max_tracks_per_pass=sc.get('max_tracks_per_pass', 8),
            segm_key=sc.get('segm_key', 'segmentations'))
        self.root = osp.join(osp.abspath(cfg.work_dir), 'self_correction')
        self.state_file = osp.join(self.root, 'state.json')

    def round_dir(self, round: int) -> str:
        """``<work_dir>/self_correction/round_<round>``."""
        return osp.join(self.root, f'round_{round}')

    def output_file(self, round: int) -> str:
        """The corrected file of round ``round``, named after the input file."""
        return osp.join(self.round_dir(round), osp.basename(self.input_ann_file))

    def run(self) -> List[str]:
        """Run the remaining rounds.

        Returns:
            list[str]: The corrected annotation files of rounds 1..num_rounds.
        """
        state = self._load_or_start()
        while state.round <= self.num_rounds:
            k = state.round
            print_log(f'Self-correction round {k}/{self.num_rounds}: {state.stage}', 'current')
            runner = None
            if state.stage == 'train':
                runner = self._train(k, state)
            self._correct(k, state, runner)
        print_log(f'Self-correction finished: {state.output_of(self.num_rounds)}', 'current')
        return [state.output_of(k) for k in range(1, self.num_rounds + 1)]

    # ------------------------------------------------------------------ stages
    def _load_or_start(self) -> SelfCorrectionState:
        if SelfCorrectionState.exists(self.state_file):
            if not self.resume:
                raise FileExistsError(
                    f'{self.state_file} exists: a self-correction run is in this work dir. '
                    'Resume it (--resume) or choose another --work-dir; nothing of it is '
                    'overwritten.')
            state = SelfCorrectionState.load(self.state_file)
            if state.input_ann_file != self.input_ann_file:
                raise ValueError(f'{self.state_file}: the run corrects '
                                 f'{state.input_ann_file}, the config {self.input_ann_file}.')
            if file_sha256(self.input_ann_file) != state.input_sha256:
                raise RuntimeError(f'{self.input_ann_file} changed since the run started '
                                   f'(SHA-256 recorded in {self.state_file}).')
            print_log(f'Resuming self-correction at round {state.round}, stage '
                      f'{state.stage}', 'current')
            return state
        if not osp.isfile(self.input_ann_file):
            raise FileNotFoundError(f'self_correction.coarse_dataset: {self.input_ann_file} '
                                    'does not exist.')
        state = SelfCorrectionState(self.state_file, self.input_ann_file,
                                    file_sha256(self.input_ann_file))
        state.save()
        return state

    def round_cfg(self, round: int, state: SelfCorrectionState, stage: str) -> Config:
        """The mmengine config of round ``round``'s runner for ``stage``.

        Args:
            round (int): The round.
            state (SelfCorrectionState): The run's state (previous rounds' outputs).
            stage (str): ``'train'``: work dir ``round_<k>/train``, training data of the
                round, resumed from its latest checkpoint or initialised as configured;
                ``'correct'``: work dir ``round_<k>/correct``, the round's final checkpoint
                loaded (no training state).

        Returns:
            Config: The user's config adapted to the round and stage.
        """
        cfg = copy.deepcopy(self.cfg)
        cfg.work_dir = osp.join(self.round_dir(round), stage)
        stamp = datetime.datetime.now().strftime('%Y%m%d_%H%M%S_%f')
        cfg.experiment_name = f'self_correction_round_{round}_{stage}_{stamp}'
        if stage == 'correct':
            cfg.resume, cfg.load_from = False, state.record(round)['checkpoint']
            return cfg
        if round > 1:
            pipeline = cfg.train_dataloader.dataset.get('pipeline')
            if pipeline is None:
                raise KeyError('SelfCorrection: train_dataloader.dataset.pipeline is needed to '
                               'train on the corrected files of rounds > 1.')
            cfg.train_dataloader.dataset = ConfigDict(
                self.coarse_dataset, ann_file=state.output_of(round - 1), pipeline=pipeline,
                test_mode=False)
        latest = find_latest_checkpoint(cfg.work_dir)
        cfg.resume = latest is not None
        if latest is not None:
            cfg.load_from = latest
        elif round > 1 and self.init_from_previous_round:
            cfg.load_from = state.record(round - 1)['checkpoint']
        cfg.default_hooks.checkpoint.save_last = True
        return cfg

    def _train(self, round: int, state: SelfCorrectionState) -> Runner:
        cfg = self.round_cfg(round, state, 'train')
        record = state.record(round)
        record.update(work_dir=cfg.work_dir,
                      train_ann_file=state.output_of(round - 1) or 'config train_dataloader')
        state.save()
        runner = Runner.from_cfg(cfg)
        runner.train()
        record['checkpoint'] = find_latest_checkpoint(cfg.work_dir)
        if record['checkpoint'] is None:
            raise RuntimeError(f'Round {round} trained but left no checkpoint in '
                               f'{cfg.work_dir} (is the CheckpointHook disabled?).')
        state.stage = 'correct'
        state.save()
        return runner

    def _correct(self, round: int, state: SelfCorrectionState,
                 runner: Optional[Runner]) -> None:
        record = state.record(round)
        checkpoint = record['checkpoint']
        in_file = state.output_of(round - 1) or self.input_ann_file
        out_file = self.output_file(round)
        if osp.exists(out_file):
            # Written before an interruption that came ahead of the state update.
            self._check_existing_output(out_file, checkpoint)
        else:
            if runner is None:
                runner = Runner.from_cfg(self.round_cfg(round, state, 'correct'))
                runner.load_or_resume()
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            self.corrector.run(model, in_file, self.img_root, out_file, dict(
                round=round, checkpoint=checkpoint, checkpoint_sha256=file_sha256(checkpoint),
                train_ann_file=record.get('train_ann_file')))
        record.update(input_ann_file=in_file, output_ann_file=out_file,
                      provenance_file=provenance_path(out_file))
        state.round, state.stage = round + 1, 'train'
        state.save()

    def _check_existing_output(self, out_file: str, checkpoint: str) -> None:
        """Keep an output left by an interrupted run only if this run would make it again.

        Raises:
            FileExistsError: If its provenance names another checkpoint, threshold, frame
                pipeline or mask key than this run's (it is never overwritten).
        """
        prov_file = provenance_path(out_file)
        recorded = mmengine.load(prov_file) if osp.isfile(prov_file) else {}
        # As JSON gives them back (tuples as lists, ConfigDicts as dicts).
        expected = json.loads(json.dumps(dict(
            checkpoint=checkpoint, conf_thr=self.corrector.conf_thr,
            frame_pipeline=self.corrector.frame_pipeline, segm_key=self.corrector.segm_key)))
        differ = [f'{k}: {recorded.get(k)!r} there, {v!r} now' for k, v in expected.items()
                  if recorded.get(k) != v]
        if differ:
            raise FileExistsError(
                f'{out_file} exists but was not made with this run\'s settings '
                f'({prov_file}: {"; ".join(differ)}); it is not overwritten. Restore the '
                'settings or use another work dir.')
        print_log(f'{out_file} was already written from {checkpoint}; keeping it.', 'current')
