"""Iterative self-correction of coarse video annotations (VMT, Section 3.2).

Design: a driver over ordinary mmengine runs, one per round, rather than one custom Loop.
Each round trains the refiner with a plain mmengine ``Runner`` built from the user's config
(so its schedule, hooks, logging, checkpointing, resuming and distributed training are
mmengine's own and the config is an ordinary training config), then corrects the coarse
dataset with :class:`AnnotationCorrector`. A Loop inside one runner would have to rebuild
the dataloader, optimizer and schedulers between rounds and share one checkpoint history
across rounds, which mmengine's resume does not model; a driver keeps each round a normal,
separately resumable run and keeps the round logic in one readable place. The same
correction stage is available inside any single training run as
:class:`AnnotationCorrectionHook`.

``tools/train.py`` runs it for any config with a ``self_correction`` section, so
``tools/dist_train.sh`` and ``tools/slurm_train.sh`` run every round distributed: each
round's runner trains with all processes (DDP), then every process loads the round's final
checkpoint and corrects its share of the videos (:func:`correct_sharded`), and the main
process writes the one merged file. Only the main process writes the state.

Rounds (``cfg.self_correction.num_rounds``, 4 in the paper):

* round 1 trains on the config's ``train_dataloader`` (the well-annotated dataset, OVIS in
  the paper, whose masks the pipeline degrades on the fly: ``MaskDegradation`` +
  ``RefinementRegionTarget``; the model trains class-agnostic with
  ``model.type='GivenMaskRefiner'``), starting from ``cfg.load_from``;
* round k > 1 trains on round k-1's corrected file (the coarse dataset's type, images and
  the same degrading pipeline), starting from round k-1's final checkpoint
  (``init_from_previous_round``);
* every round then corrects its input, the original coarse file in round 1 and round
  k-1's output after that, into a new file;
* with ``validation``, every round also corrects held-out coarse annotations the same way
  and scores them against their exact masks (AP^B); the run stops early when a round gains
  less than ``min_delta`` (:mod:`.correction_validation`), and stays stopped when resumed.

Before round 1 trains, everything the rounds will read is checked: the coarse file in full
(every entry and mask, as the corrector parses it) and every frame file, the validation
files, and the parts of the config that later rounds build (:meth:`check_inputs`); the work
dir must be writable and lie in no input's folder.

Files under ``<work_dir>/self_correction/``::

    state.json                          the progress (SelfCorrectionState), atomic
    state.json.lock                     held by the run in progress (pid inside)
    self_correction_<time>.log          the driver's log (rounds, validation, decisions)
    round_<k>/train/                    round k's training work dir (checkpoints, logs)
    round_<k>/correct/                  logs of a correction resumed without its training
    round_<k>/<name>.json               round k's corrected annotations (never overwritten)
    round_<k>/<name>.provenance.json    checkpoint, threshold, pixels changed per video
    round_<k>/val/<name>.json           round k's corrected validation file (+ provenance)

Every round's runner has its own experiment name, hence its own logger and visualizer, so
no later round writes into a finished round's files.

Resuming (``resume=True``) continues at the state's round and stage: an unfinished training
resumes from the round's latest checkpoint through mmengine's resume; a finished one goes
straight to the correction; finished rounds are not redone. Without ``resume`` an existing
state is an error, so a second run never mixes with or replaces the first one's files; and
while a run works, its main process holds ``state.json.lock`` (:mod:`mmvmt.utils.output_lock`),
so a second run started in the same work dir, resumed or not, refuses at once. The
inputs are only read, and their SHA-256 is checked at every resume. A changed input is
accepted only while nothing has been made from it yet (round 1's correction, which reads
the coarse file, and round 1's validation, which reads the validation files, are not done):
round 1's training does not read them, so fixing a bad file lost nothing; it is checked in
full again and its new SHA-256 recorded. After that a changed input is an error.
"""
import copy
import datetime
import json
import logging
import os
import os.path as osp
from contextlib import ExitStack
from dataclasses import asdict
from typing import Dict, List, Optional, Tuple

import mmengine
from mmengine.config import Config, ConfigDict
from mmengine.dist import barrier, init_dist, is_distributed
from mmengine.logging import MMLogger, print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, find_latest_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.utils.dl_utils import set_multi_processing

from mmvmt.registry import DATASETS
from mmvmt.utils.checkpoint_file import read_checkpoint
from mmvmt.utils.output_lock import output_lock
from mmvmt.utils.output_paths import check_output_path, runner_rules
from .annotation_corrector import AnnotationCorrector, provenance_path
from .atomic_json import file_sha256
from .correction_inputs import check_correction_input
from .correction_settings import CorrectionSettings
from .correction_validation import annotation_boundary_ap, ap_saturated
from .rank_sync import on_main_process
from .self_correction_state import SelfCorrectionState
from .sharded_correction import correct_sharded


class SelfCorrection:
    """Run (or resume) the rounds of self-correction described by a config.

    ``cfg.self_correction`` holds:

    - ``coarse_dataset`` (dict): the dataset to correct, as a dataset config without a
      pipeline (``type``, ``data_root``, ``ann_file``, ``data_prefix.img_path``, extra
      arguments); its file is the coarse input of round 1 and its type reads the corrected
      files in later rounds;
    - ``num_rounds`` (int, default 4);
    - ``conf_thr``, ``remove_thr`` (the confidence a removal of coarse foreground needs),
      ``max_tracks_per_pass``: see :class:`~mmvmt.engine.CorrectionSettings` (defaults
      0.65, ``conf_thr``, 8; checked when the driver is built);
    - ``frame_pipeline`` (list[dict], optional), ``segm_key`` (str, default
      ``'segmentations'``): see :class:`AnnotationCorrector`;
    - ``init_from_previous_round`` (bool, default True): round k > 1 starts from round
      k-1's final checkpoint, else from ``cfg.load_from``;
    - ``validation`` (dict, optional): the early stop. ``coarse_dataset`` (``data_root``,
      ``ann_file``, ``data_prefix.img_path``): held-out coarse annotations, corrected every
      round like the training videos; ``gt_ann_file``: their exact masks (a path, as an
      evaluator's ``ann_file``); ``use_refined_segm`` (default True): read the GT's
      ``segmentations_refined`` where present; ``min_delta`` (required): stop after round
      k when its AP^B gained less than this over round k-1's (round 0: the coarse file).

    Args:
        cfg (Config): A training config of a refiner (a ``GivenMaskRefiner``) with
            ``work_dir`` and ``self_correction``;
            ``launcher`` (default ``'none'``) says whether the run is distributed.
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
        if self.num_rounds < 1:
            raise ValueError(f'self_correction.num_rounds must be >= 1, got {self.num_rounds}')
        self.init_from_previous_round = bool(sc.get('init_from_previous_round', True))
        self.coarse_dataset = ConfigDict(sc['coarse_dataset'])
        self.input_ann_file, self.img_root = _dataset_paths(self.coarse_dataset)
        self.corrector = AnnotationCorrector(
            **asdict(CorrectionSettings.from_config(sc)), frame_pipeline=sc.get('frame_pipeline'),
            segm_key=sc.get('segm_key', 'segmentations'))
        self.validation = None
        if sc.get('validation') is not None:
            val = sc.validation
            if 'min_delta' not in val or 'gt_ann_file' not in val:
                raise KeyError('self_correction.validation needs `coarse_dataset`, '
                               '`gt_ann_file` and `min_delta` (the AP^B gain below which '
                               'the rounds stop).')
            ann_file, img_root = _dataset_paths(ConfigDict(val['coarse_dataset']))
            self.validation = dict(ann_file=ann_file, img_root=img_root,
                                   gt_ann_file=osp.abspath(val['gt_ann_file']),
                                   use_refined_segm=bool(val.get('use_refined_segm', True)),
                                   min_delta=float(val['min_delta']))
        self.root = osp.join(osp.abspath(cfg.work_dir), 'self_correction')
        self.state_file = osp.join(self.root, 'state.json')
        self.logger: Optional[MMLogger] = None
        # The runner of the round in progress and whether its final weights are loaded.
        self._runner: Optional[Tuple[int, Runner]] = None
        self._loaded: Optional[int] = None

    def round_dir(self, round: int) -> str:
        """``<work_dir>/self_correction/round_<round>``."""
        return osp.join(self.root, f'round_{round}')

    def output_file(self, round: int) -> str:
        """The corrected file of round ``round``, named after the input file."""
        return osp.join(self.round_dir(round), osp.basename(self.input_ann_file))

    def val_output_file(self, round: int) -> str:
        """The corrected validation file of round ``round``."""
        return osp.join(self.round_dir(round), 'val',
                        osp.basename(self.validation['ann_file']))

    def input_files(self) -> List[str]:
        """Every file the run reads besides its own outputs: the coarse file and the
        validation files."""
        files = [self.input_ann_file]
        if self.validation is not None:
            files += [self.validation['ann_file'], self.validation['gt_ann_file']]
        return files

    def run(self) -> List[str]:
        """Run the remaining rounds (in every process of a distributed run).

        Returns:
            list[str]: The corrected annotation files of the rounds done, in order.
        """
        self._init_distributed()
        on_main_process(self._check_work_dir, f'checking {self.root}')
        with ExitStack() as held:
            # One run per work dir: the main process holds the lock until the run ends.
            on_main_process(lambda: held.enter_context(output_lock(self.state_file)),
                            f'locking {self.state_file}')
            return self._run_rounds()

    def _run_rounds(self) -> List[str]:
        """The rounds of :meth:`run`, with the work dir's lock held."""
        self.logger = self._driver_logger()
        state = on_main_process(self._load_or_start, 'starting self-correction')
        while state.round <= self.num_rounds and state.stopped_after is None:
            k = state.round
            self._log(f'Self-correction round {k}/{self.num_rounds}: {state.stage}')
            if state.stage == 'train':
                self._train(k, state)
            elif state.stage == 'correct':
                self._correct(k, state)
            else:
                self._validate(k, state)
        self._runner = self._loaded = None
        outputs = [state.output_of(k) for k in state.finished_rounds()]
        self._log(f'Self-correction finished after round {len(outputs)}: {outputs[-1]}')
        scores = [(r['validation']['boundary_AP'], r['round']) for r in state.rounds
                  if r.get('validation')]
        if scores:
            best_ap, best = max(scores)
            self._log(f'Best validation AP^B: round {best} ({best_ap:.4f}; the coarse '
                      f'annotations {state.validation_baseline:.4f})')
        return outputs

    # ------------------------------------------------------------------ checks
    def check_inputs(self) -> Optional[float]:
        """Check everything the rounds will read, before any of them starts.

        The coarse file and the validation coarse file are parsed in full as the corrector
        reads them and every frame file is looked for; the validation GT is read and the
        coarse validation file scored against it; the training dataset of rounds > 1 (the
        coarse dataset's type with the config's training pipeline) is built, lazily, so that
        its type and transforms exist; the config must save checkpoints.

        Returns:
            float | None: The AP^B of the uncorrected validation file (None without
            validation).

        Raises:
            FileNotFoundError, KeyError, YTVISFormatError:
                Naming the file and entry, or the config key.
        """
        check_correction_input(self.corrector, self.input_ann_file, self.img_root)
        if self.cfg.get('default_hooks', {}).get('checkpoint') is None:
            raise KeyError('SelfCorrection: default_hooks.checkpoint is needed: every round '
                           'corrects with its final checkpoint.')
        if self.num_rounds > 1:
            pipeline = _video_dataset(self.cfg.train_dataloader).get('pipeline')
            if pipeline is None:
                raise KeyError('SelfCorrection: train_dataloader.dataset.pipeline is needed to '
                               'train on the corrected files of rounds > 1.')
            with DefaultScope.overwrite_default_scope(self.cfg.get('default_scope', 'mmvmt')):
                DATASETS.build(ConfigDict(self.coarse_dataset, pipeline=pipeline,
                                          test_mode=False, lazy_init=True))
        if self.validation is None:
            return None
        val = self.validation
        check_correction_input(self.corrector, val['ann_file'], val['img_root'])
        return annotation_boundary_ap(val['ann_file'], val['gt_ann_file'],
                                      self.corrector.segm_key, val['use_refined_segm'])

    def _check_work_dir(self) -> None:
        """The work dir is writable and holds no input, nor lies in an input's folder: the
        coarse and validation files' folders and, as for any training run, the annotation
        and image folders of every dataset of the config (round 1's training set too)."""
        rules = runner_rules(self.cfg, inputs=self.input_files())
        protected = dict(rules['protected_dirs'])
        for f in self.input_files():
            protected.setdefault(osp.dirname(f), 'the annotation folder of an input dataset')
        check_output_path(self.root, inputs=rules['inputs'], protected_dirs=protected,
                          is_dir=True, option='work_dir')

    # ------------------------------------------------------------------ stages
    def _load_or_start(self) -> SelfCorrectionState:
        """Read the state or start a new one, after checking the inputs (main process)."""
        if not SelfCorrectionState.exists(self.state_file):
            baseline = self.check_inputs()
            state = SelfCorrectionState(self.state_file, self.input_ann_file,
                                        {f: file_sha256(f) for f in self.input_files()},
                                        validation_baseline=baseline)
            state.save()
            self._log(f'Started self-correction of {self.input_ann_file}: inputs checked'
                      + ('' if baseline is None else f', validation AP^B of the coarse '
                         f'annotations {baseline:.4f}; the rounds stop after round k when '
                         f'AP^B(k) - AP^B(k-1) < min_delta {self.validation["min_delta"]}'))
            return state
        if not self.resume:
            raise FileExistsError(
                f'{self.state_file} exists: a self-correction run is in this work dir. '
                'Resume it (--resume) or choose another --work-dir; nothing of it is '
                'overwritten.')
        state = SelfCorrectionState.load(self.state_file)
        if state.input_ann_file != self.input_ann_file:
            raise ValueError(f'{self.state_file}: the run corrects '
                             f'{state.input_ann_file}, the config {self.input_ann_file}.')
        now = {f: file_sha256(f) if osp.isfile(f) else None for f in self.input_files()}
        changed = [f for f, sha in now.items() if state.inputs.get(f) != sha]
        used = [f for f in changed if self._used(f, state)]
        if used:
            raise RuntimeError(
                f'{", ".join(used)} changed (or is missing) since the run started (SHA-256 '
                f'recorded in {self.state_file}), and round 1 has already made files from '
                'the old content. Restore the file or start a new run in another '
                '--work-dir.')
        validated = [r['round'] for r in state.rounds if r.get('validation')]
        done = [r for r in state.finished_rounds() if r < state.round]
        if self.validation is not None and validated != done:
            raise ValueError(f'{self.state_file}: rounds {done} are done '
                             f'but only {validated} were validated; validation cannot be '
                             'added to a run that did rounds without it.')
        baseline = self.check_inputs()
        if changed:
            self._log(f'{", ".join(changed)} changed since the run started; nothing has been '
                      'made from it yet, so the new content is used (checked in full).',
                      logging.WARNING)
        if not validated:
            state.validation_baseline = baseline
        state.inputs = now
        state.save()
        self._log(f'Resuming self-correction at round {state.round}, stage {state.stage}')
        return state

    def _used(self, input_file: str, state: SelfCorrectionState) -> bool:
        """Whether a file was made from ``input_file`` (the coarse file: round 1's
        correction; the validation files: round 1's validation)."""
        if input_file == self.input_ann_file:
            return state.output_of(1) is not None
        return bool(state.rounds) and state.rounds[0].get('validation') is not None

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
            Config: The user's config adapted to the round and stage, with an experiment
            name (hence logger and visualizer) of its own.
        """
        cfg = copy.deepcopy(self.cfg)
        cfg.work_dir = osp.join(self.round_dir(round), stage)
        stamp = datetime.datetime.now().strftime('%Y%m%d_%H%M%S_%f')
        cfg.experiment_name = f'self_correction_round_{round}_{stage}_{stamp}'
        # mmengine's visualizer is a global instance per name: with the configs' fixed
        # name every round would get round 1's, which writes into round 1's log dir.
        if isinstance(cfg.get('visualizer'), dict):
            cfg.visualizer.name = cfg.experiment_name
        if stage == 'correct':
            cfg.resume, cfg.load_from = False, state.record(round)['checkpoint']
            return cfg
        if round > 1:
            video = ConfigDict(
                self.coarse_dataset, ann_file=state.output_of(round - 1),
                pipeline=_video_dataset(cfg.train_dataloader).pipeline, test_mode=False)
            if cfg.train_dataloader.dataset.get('type') == 'FrameLevelDataset':
                cfg.train_dataloader.dataset.dataset = video
            else:
                cfg.train_dataloader.dataset = video
        latest = find_latest_checkpoint(cfg.work_dir)
        cfg.resume = latest is not None
        if latest is not None:
            cfg.load_from = latest
        elif round > 1 and self.init_from_previous_round:
            cfg.load_from = state.record(round - 1)['checkpoint']
        cfg.default_hooks.checkpoint.save_last = True
        return cfg

    def _train(self, round: int, state: SelfCorrectionState) -> None:
        self._runner = self._loaded = None
        cfg = self.round_cfg(round, state, 'train')
        record = state.record(round)
        record.update(work_dir=cfg.work_dir,
                      train_ann_file=state.output_of(round - 1) or 'config train_dataloader')
        self._save(state)
        runner = Runner.from_cfg(cfg)
        runner.train()
        barrier()  # the main process has written the last checkpoint
        record['checkpoint'] = find_latest_checkpoint(cfg.work_dir)
        if record['checkpoint'] is None:
            raise RuntimeError(f'Round {round} trained but left no checkpoint in '
                               f'{cfg.work_dir} (is the CheckpointHook disabled?).')
        self._runner = (round, runner)
        state.stage = 'correct'
        self._save(state)

    def _round_model(self, round: int, state: SelfCorrectionState):
        """The round's refiner with its final checkpoint, on every process.

        The weights are loaded from the checkpoint even right after training: the other
        processes' copies can differ from the main process's (each updates the BN
        statistics with its own last batch), and the checkpoint is what a resumed run uses.
        """
        if self._runner is None or self._runner[0] != round:
            self._runner = (round, Runner.from_cfg(self.round_cfg(round, state, 'correct')))
        runner = self._runner[1]
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self._loaded != round:
            # The one reader of checkpoint files: a damaged one is a CheckpointFileError
            # naming it, not whatever torch.load trips over.
            _load_checkpoint_to_model(model, read_checkpoint(state.record(round)['checkpoint']))
            self._loaded = round
        return model

    def _correct(self, round: int, state: SelfCorrectionState) -> None:
        record = state.record(round)
        checkpoint = record['checkpoint']
        in_file = state.output_of(round - 1) or self.input_ann_file
        out_file = self.output_file(round)
        if osp.exists(out_file):
            # Written before an interruption that came ahead of the state update.
            on_main_process(lambda: self._check_existing_output(out_file, checkpoint, in_file),
                            f'checking {out_file}')
        else:
            correct_sharded(self.corrector, self._round_model(round, state), in_file,
                            self.img_root, out_file, self._provenance(round, record))
        record.update(input_ann_file=in_file, output_ann_file=out_file,
                      provenance_file=provenance_path(out_file))
        if self.validation is not None:
            state.stage = 'validate'
        else:
            state.round, state.stage = round + 1, 'train'
        self._save(state)

    def _validate(self, round: int, state: SelfCorrectionState) -> None:
        """Correct the validation file of the previous round, score it, decide."""
        val = self.validation
        record = state.record(round)
        prev = state.record(round - 1).get('validation') if round > 1 else None
        in_file = prev['ann_file'] if prev else val['ann_file']
        out_file = self.val_output_file(round)
        if osp.exists(out_file):
            on_main_process(
                lambda: self._check_existing_output(out_file, record['checkpoint'], in_file),
                f'checking {out_file}')
        else:
            correct_sharded(self.corrector, self._round_model(round, state), in_file,
                            val['img_root'], out_file, self._provenance(round, record))
        ap = on_main_process(
            lambda: annotation_boundary_ap(out_file, val['gt_ann_file'],
                                           self.corrector.segm_key, val['use_refined_segm']),
            f'scoring {out_file}')
        prev_ap = prev['boundary_AP'] if prev else state.validation_baseline
        saturated = ap_saturated(prev_ap, ap, val['min_delta'])
        record['validation'] = dict(ann_file=out_file, boundary_AP=ap,
                                    gain=ap - prev_ap, saturated=saturated)
        if round == self.num_rounds:
            verdict = 'last round'
        else:
            verdict = 'saturated, stopping' if saturated else 'next round'
        self._log(f'Round {round} validation AP^B {ap:.4f} (round {round - 1}: '
                  f'{prev_ap:.4f}, gain {ap - prev_ap:+.4f}; stop when the gain < min_delta '
                  f'{val["min_delta"]}): {verdict}')
        if saturated and round < self.num_rounds:
            state.stopped_after = round
        state.round, state.stage = round + 1, 'train'
        self._save(state)

    def _provenance(self, round: int, record: dict) -> dict:
        checkpoint = record['checkpoint']
        return dict(round=round, checkpoint=checkpoint,
                    checkpoint_sha256=file_sha256(checkpoint),
                    train_ann_file=record.get('train_ann_file'))

    def _check_existing_output(self, out_file: str, checkpoint: str, in_file: str) -> None:
        """Keep an output left by an interrupted run only if this run would make it again.

        Raises:
            FileExistsError: If its provenance names another checkpoint, input, threshold,
                frame pipeline or mask key than this run's (it is never overwritten).
        """
        prov_file = provenance_path(out_file)
        recorded = mmengine.load(prov_file) if osp.isfile(prov_file) else {}
        # As JSON gives them back (tuples as lists, ConfigDicts as dicts).
        expected = json.loads(json.dumps(dict(
            checkpoint=checkpoint, input_sha256=file_sha256(in_file),
            conf_thr=self.corrector.conf_thr, remove_thr=self.corrector.remove_thr,
            frame_pipeline=self.corrector.frame_pipeline, segm_key=self.corrector.segm_key)))
        differ = [f'{k}: {recorded.get(k)!r} there, {v!r} now' for k, v in expected.items()
                  if recorded.get(k) != v]
        if differ:
            raise FileExistsError(
                f'{out_file} exists but was not made with this run\'s settings '
                f'({prov_file}: {"; ".join(differ)}); it is not overwritten. Restore the '
                'settings or use another work dir.')
        self._log(f'{out_file} was already written from {checkpoint}; keeping it.')

    # ------------------------------------------------------------------ plumbing
    def _init_distributed(self) -> None:
        """Join the process group before the first runner, as mmengine's would."""
        launcher = self.cfg.get('launcher', 'none')
        if launcher == 'none' or is_distributed():
            return
        env_cfg = self.cfg.get('env_cfg') or {}
        set_multi_processing(**(env_cfg.get('mp_cfg') or {}), distributed=True)
        init_dist(launcher, **dict(env_cfg.get('dist_cfg') or {}))

    def _driver_logger(self) -> MMLogger:
        on_main_process(lambda: os.makedirs(self.root, exist_ok=True), f'creating {self.root}')
        stamp = datetime.datetime.now().strftime('%Y%m%d_%H%M%S')
        return MMLogger.get_instance(
            f'mmvmt_self_correction_{stamp}_{id(self)}',
            log_file=osp.join(self.root, f'self_correction_{stamp}.log'), file_mode='a')

    def _log(self, msg: str, level: int = logging.INFO) -> None:
        print_log(msg, self.logger or 'current', level=level)

    def _save(self, state: SelfCorrectionState) -> None:
        on_main_process(state.save, f'writing {self.state_file}')


def _video_dataset(train_dataloader: Dict) -> Dict:
    """The video dataset config of a train dataloader, inside a ``FrameLevelDataset``."""
    dataset = train_dataloader.dataset
    return dataset.dataset if dataset.get('type') == 'FrameLevelDataset' else dataset


def _dataset_paths(dataset: Dict) -> Tuple[str, str]:
    """The absolute annotation file and image root of a dataset config."""
    data_root = dataset.get('data_root') or ''
    ann_file = osp.abspath(osp.join(data_root, dataset['ann_file']))
    img_root = osp.abspath(osp.join(
        data_root, (dataset.get('data_prefix') or {}).get('img_path', '')))
    return ann_file, img_root
