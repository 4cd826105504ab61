"""The refiner of the public VMT release (SysCV/vmt), parameter for parameter.

Shape shorthand:
    V: videos, T: frames per video, F = V * T frames, M: instances (of any video),
    C: base feature channels (256), C4: backbone stride-4 channels (ResNet 256, Swin-L 192),
    E: point width (64), h8 x w8, h4 x w4, h2 x w2: the stride-8, -4, -2 grids,
    H x W: the padded input.

The released code does not build the paper's incoherent quadtrees. Per frame it runs:

1. ``_stride4``: the base mask head's fused stride-8 map (SeqFormer's FPN sum before its
   last convs) is projected, added to the backbone's stride-4 map and reduced to E and to
   8 channels.
2. Incoherence stage: a dynamic 1x1-conv stack (weights from ``incoherence_controller``)
   over [relative coordinates, coarse probability, the 8 channels] gives a mask at H/4.
3. Points: a Laplacian band (``laplacian_band``) around the union of all instances'
   H/4 masks (upsampled to H/2), the same points for every instance of the frame.
4. Point features at H/2: the stride-4 E-channel map upsampled, plus, on the band, the
   backbone's stride-2 map and an RGB embedding; a 3-layer post-norm transformer encoder
   (self-attention among the frame's band points, 2D sine positions) adds to them.
5. Decoder: [point features, incoherence probability, coarse probability, box mask,
   relative coordinates] -> ``MultiDilationFusion`` -> a second dynamic 1x1-conv stack
   (weights from ``refine_controller``) -> logits at H/2, aligned-bilinear upsampled to H.

Every pixel is predicted (the band only decides where the encoder runs), so there is no
pasting into the coarse mask. Frames are processed one at a time, as released (the
encoder's attention over a frame's points is the memory peak).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.layers import SinePositionalEncoding
from mmdet.models.layers.transformer import MLP, DetrTransformerEncoder
from mmdet.models.utils import aligned_bilinear
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ..layers.release_dynamic_conv import (dynamic_convs, pixel_relative_coords,
                                           release_param_count)
from ..layers.release_fusion import MultiDilationFusion
from ..layers.release_regions import laplacian_band, sliced_box_masks

_DEFAULT_ENCODER = dict(
    num_layers=3,
    layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=64, num_heads=4, attn_drop=0.1,
                           dropout_layer=dict(type='Dropout', drop_prob=0.1), batch_first=True),
        ffn_cfg=dict(embed_dims=64, feedforward_channels=2048, ffn_drop=0.1)))


@MODELS.register_module()
class VMTReleaseRefineHead(BaseModule):
    """The VMT release's refiner (inference as released; a simple loss of our own).

    Inputs of :meth:`forward`, :meth:`loss` and :meth:`predict` (keyword arguments):

    * ``coarse_logits`` (M, T, h8, w8): the base head's coarse mask logits.
    * ``feats``: [f8 (F, C, h8, w8), the base mask head's fused stride-8 map (SeqFormer's
      FPN sum before its last convs); f4 (F, C4, h4, w4), the backbone's raw stride-4
      output (ResNet ``layer1``, Swin stage 0); f2 (F, E, h2, w2), the backbone's raw
      stride-2 output (ResNet ``conv1`` before its norm), or None with
      ``hr_from_f4=True`` (Swin: f4 upsampled and compressed here)].
    * ``images`` (F, 3, H, W): normalised, padded frames.
    * ``inst_embeds`` (M, C_q): the base head's instance embeddings (last decoder layer).
    * ``ref_points`` (M, T, 2): per-frame reference points (x, y) of the last decoder
      layer (SeqFormer's ``inter_references[-2]``), normalised by the padded input size.
    * ``boxes`` (M, T, 4): per-frame predicted boxes (cx, cy, w, h), normalised by the
      padded input size.
    * ``video_idx`` (M,) long: the video of each instance.
    * ``frame_ids``: accepted for the detector's interface and unused (the release has no
      temporal position).

    Args:
        in_channels (int): C.
        f4_channels (int): C4.
        inst_channels (int): C_q.
        point_channels (int): E, the width of the point features and the encoder.
        mask_channels (int): channels of the stride-4 map the incoherence stage reads.
        dynamic_channels (int): hidden channels of both dynamic conv stacks.
        dynamic_layers (int): convs per dynamic stack.
        fusion_channels (int): hidden channels of the fusion branches.
        fusion_dilations (Sequence[int]): dilation of each fusion branch.
        hr_from_f4 (bool): build the stride-2 map from f4 (nearest x2, then a 1x1 conv
            ``hr_compress``), as the release's Swin-L model; else take ``feats[2]``.
        band_dilation (int): dilation of the Laplacian band.
        max_points (int): cap of encoder points per frame (a random subset beyond it, as
            released).
        mask_thr (float): probability threshold of the incoherence-stage masks.
        encoder (dict): config of mmdet's ``DetrTransformerEncoder`` (post-norm).
        loss_mask (dict): per-pixel loss of both stages (ours; the release ships none).
        loss_dice (dict): dice loss of both stages (ours).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self, *, in_channels: int = 256, f4_channels: int = 256,
                 inst_channels: int = 256, point_channels: int = 64, mask_channels: int = 8,
                 dynamic_channels: int = 8, dynamic_layers: int = 3,
                 fusion_channels: int = 32,
                 fusion_dilations: Sequence[int] = (3, 5, 7, 1), hr_from_f4: bool = False,
                 band_dilation: int = 3, max_points: int = 12000, mask_thr: float = 0.5,
                 encoder: ConfigType = _DEFAULT_ENCODER,
                 loss_mask: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=2.0),
                 loss_dice: ConfigType = dict(type='DiceLoss', use_sigmoid=True,
                                              activate=True, eps=1.0, loss_weight=5.0),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.dynamic_in = mask_channels + 3  # + 2 coordinates + 1 coarse probability
        self.dynamic_channels = dynamic_channels
        self.dynamic_layers = dynamic_layers
        self.hr_from_f4 = hr_from_f4
        self.band_dilation = band_dilation
        self.max_points = max_points
        self.mask_thr = mask_thr
        num_params = release_param_count(self.dynamic_in, dynamic_channels, dynamic_layers)
        self.incoherence_controller = MLP(inst_channels, inst_channels, num_params, 3)
        self.refine_controller = MLP(inst_channels, inst_channels, num_params, 3)
        self.f8_lateral = ConvModule(in_channels, f4_channels, 3, padding=1)
        self.f4_conv1 = ConvModule(f4_channels, point_channels, 3, padding=1)
        self.f4_conv2 = ConvModule(point_channels, mask_channels, 3, padding=1)
        self.hr_conv = ConvModule(point_channels, point_channels, 1)
        if hr_from_f4:
            self.hr_compress = nn.Conv2d(f4_channels, point_channels, 1)
        self.rgb_embed = nn.Sequential(
            ConvModule(3, point_channels // 2, 3, padding=1),
            ConvModule(point_channels // 2, point_channels, 1),
            ConvModule(point_channels, point_channels, 1))
        self.point_encoder = DetrTransformerEncoder(**encoder)
        self.positional_encoding = SinePositionalEncoding(num_feats=point_channels // 2,
                                                          normalize=True)
        # point features, incoherence and coarse probabilities, box mask, 2 coordinates
        self.fusion = MultiDilationFusion(in_channels=point_channels + 5,
                                          hidden_channels=fusion_channels,
                                          out_channels=self.dynamic_in,
                                          dilations=fusion_dilations)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)

    def init_weights(self) -> None:
        """The release's initialisation of its controllers: xavier weights, zero biases."""
        super().init_weights()
        for controller in (self.incoherence_controller, self.refine_controller):
            for layer in controller.layers:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    # ------------------------------------------------------------------ entry points
    def forward(self, **inputs) -> Dict[str, Tensor]:
        """Refine; see the class docstring for the inputs.

        Returns:
            dict: ``refined_logits`` (M, T, 2 h2, 2 w2); ``incoherent_logits``
            (M, T, 2 h4, 2 w4), the incoherence stage upsampled as the release returns it;
            ``band`` (F, h2, w2) bool, the points of each frame; ``num_points`` (F,) long,
            how many of them the encoder saw.
        """
        return self.refine(**inputs)

    def predict(self, **inputs) -> Tuple[Tensor, Tensor]:
        """Refined probabilities, as :meth:`VMTRefineHead.predict`.

        Returns:
            tuple[Tensor, Tensor]: probabilities (M, T, 2 h2, 2 w2) in [0, 1], and
            ``label_cell`` of the same shape, all 1 (uint8): every pixel has a prediction of
            its own (the release refines densely, not in quadtree cells).
        """
        probs = self.refine(**inputs)['refined_logits'].sigmoid()
        return probs, torch.ones_like(probs, dtype=torch.uint8)

    def loss(self, *, gt_masks: Tensor, valid: Optional[Tensor] = None,
             regions: Optional[Tensor] = None, **inputs) -> Dict[str, Tensor]:
        """Per-pixel and dice losses of both stages against the GT (our choice: the release
        ships no training code; its loss names suggest mask and dice terms per stage).

        Args:
            gt_masks (Tensor): (M, T, H, W) bool GT of each instance's track.
            valid (Tensor, optional): (M, T) bool, annotated frames (all when None).
            regions (Tensor, optional): accepted for the detector's interface; unused.
            **inputs: the inputs of :meth:`forward`.

        Returns:
            dict[str, Tensor]: ``loss_release_mask``, ``loss_release_dice`` (final masks at
            H) and ``loss_release_inc_mask``, ``loss_release_inc_dice`` (stage 2 at H/2).
        """
        out = self.refine(**inputs)
        if valid is None:
            valid = gt_masks.new_ones(gt_masks.shape[:2], dtype=torch.bool)
        losses = {}
        for name, logits in (('', out['refined_logits']), ('inc_', out['incoherent_logits'])):
            target = F.interpolate(gt_masks.float().flatten(0, 1)[:, None],
                                   size=logits.shape[-2:], mode='area')[:, 0]
            keep = valid.flatten()
            pred = logits.flatten(0, 1)[keep].flatten(1)
            target = target[keep].flatten(1)
            count = max(len(pred), 1)
            losses[f'loss_release_{name}mask'] = self.loss_mask(
                pred, target, avg_factor=count * pred.shape[1])
            losses[f'loss_release_{name}dice'] = self.loss_dice(pred, target,
                                                                avg_factor=count)
        return losses

    # ------------------------------------------------------------------ computation
    def refine(self, *, coarse_logits: Tensor, feats: Sequence[Optional[Tensor]],
               images: Tensor, inst_embeds: Tensor, ref_points: Tensor, boxes: Tensor,
               video_idx: Tensor, frame_ids: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Steps 1-5 of the module docstring, frame by frame; see :meth:`forward`."""
        f8, f4 = feats[0], feats[1]
        f2 = feats[2] if len(feats) > 2 else None
        num_inst, num_frames = coarse_logits.shape[:2]
        if f8.shape[0] != images.shape[0] or f8.shape[0] % num_frames or \
                f8.shape[-2:] != coarse_logits.shape[-2:]:
            raise ValueError(
                f'VMTReleaseRefineHead: feats[0] must be (V*T, C, h8, w8) with T = '
                f'{num_frames} and h8 x w8 = {tuple(coarse_logits.shape[-2:])} like '
                f'coarse_logits, and images (V*T, 3, H, W); got feats[0] {tuple(f8.shape)}, '
                f'images {tuple(images.shape)}')
        if (f2 is None) != self.hr_from_f4:
            raise ValueError('VMTReleaseRefineHead: feats[2] (the stride-2 backbone map) is '
                             'required unless hr_from_f4=True, and must be None with it')
        for name, x, last in (('ref_points', ref_points, 2), ('boxes', boxes, 4)):
            if tuple(x.shape) != (num_inst, num_frames, last):
                raise ValueError(f'VMTReleaseRefineHead: {name} must be (M, T, {last}) = '
                                 f'({num_inst}, {num_frames}, {last}), got {tuple(x.shape)}')
        height, width = images.shape[-2:]
        ref_px = ref_points * ref_points.new_tensor([width, height])
        inc_params = self.incoherence_controller(inst_embeds)
        refine_params = self.refine_controller(inst_embeds)
        refined, incoherent, bands, counts = [], [], [], []
        for frame in range(f8.shape[0]):
            video, t = divmod(frame, num_frames)
            sel = video_idx == video
            hr_in = None if f2 is None else f2[frame]
            out = self._refine_frame(f8[frame], f4[frame], hr_in, images[frame],
                                     coarse_logits[sel, t], inc_params[sel], refine_params[sel],
                                     ref_px[sel, t], boxes[sel, t])
            refined.append((sel, out[0]))
            incoherent.append((sel, out[1]))
            bands.append(out[2])
            counts.append(out[3])
        return dict(refined_logits=_gather(refined, num_inst, num_frames),
                    incoherent_logits=_gather(incoherent, num_inst, num_frames),
                    band=torch.stack(bands).bool(),
                    num_points=torch.as_tensor(counts, device=images.device))

    def _refine_frame(self, f8: Tensor, f4: Tensor, f2: Optional[Tensor], image: Tensor,
                      coarse: Tensor, inc_params: Tensor, refine_params: Tensor,
                      ref_px: Tensor, boxes: Tensor) -> Tuple[Tensor, Tensor, Tensor, int]:
        """One frame: f8 (C, h8, w8), f4 (C4, h4, w4), f2 (E, h2, w2) or None, image
        (3, H, W); per instance coarse (m, h8, w8), parameters (m, P), reference points
        (m, 2) in pixels and boxes (m, 4). Returns the refined logits (m, 2 h2, 2 w2), the
        upsampled incoherence logits (m, 2 h4, 2 w4), the band (h2, w2) and its point count.
        """
        # step 1: stride-4 maps
        x = self.f8_lateral(f8[None])
        x = f4[None] + F.interpolate(x, size=f4.shape[-2:], mode='nearest')
        x = self.f4_conv1(x)
        hr = self.hr_conv(x)
        mask_feats = self.f4_conv2(x)
        h4, w4 = f4.shape[-2:]
        if f2 is None:
            f2 = self.hr_compress(F.interpolate(f4[None], size=(2 * h4, 2 * w4)))[0]
        h2, w2 = f2.shape[-2:]
        num_inst = len(coarse)

        # step 2: incoherence stage at H/4
        coarse_prob = coarse.detach().sigmoid()[None]
        inc_in = torch.cat([
            pixel_relative_coords(ref_px, h4, w4, 4),
            F.interpolate(coarse_prob, size=(h4, w4))[0][:, None],
            mask_feats.expand(num_inst, -1, -1, -1)], 1)
        inc = dynamic_convs(inc_params, inc_in, self.dynamic_channels, self.dynamic_layers)
        inc_prob = F.interpolate(inc.detach().sigmoid()[None], size=(h2, w2))[0]

        # step 3: the band around the union of the frame's instance masks
        union = (inc_prob > self.mask_thr).any(0, keepdim=True).to(f2.dtype)
        band = laplacian_band(union, self.band_dilation)[0]

        # step 4: point features and the encoder over the band's points
        rgb = self.rgb_embed(F.interpolate(image[None], size=(h2, w2)))[0]
        points = F.interpolate(hr, size=(h2, w2))[0] + band * (f2 + rgb)
        ys, xs = torch.nonzero(band, as_tuple=True)
        if len(ys) > self.max_points:  # a random subset, as released
            keep = torch.randperm(len(ys), device=ys.device)[:self.max_points]
            ys, xs = ys[keep], xs[keep]
        if len(ys):
            pos = self.positional_encoding(None, input=points[None])[0]
            encoded = self.point_encoder(query=points[:, ys, xs].T[None],
                                         query_pos=pos[:, ys, xs].T[None],
                                         key_padding_mask=None)[0]
            points = _add_at(points, ys, xs, encoded.T)

        # step 5: the decoder at H/2
        box_cells = _box_corners(boxes, w2, h2)
        dec_in = torch.cat([
            points.expand(num_inst, -1, -1, -1), inc_prob[:, None],
            F.interpolate(coarse_prob, size=(h2, w2))[0][:, None],
            sliced_box_masks(box_cells, h2, w2)[:, None],
            pixel_relative_coords(ref_px, h2, w2, 2)], 1)
        refined = dynamic_convs(refine_params, self.fusion(dec_in), self.dynamic_channels,
                                self.dynamic_layers)
        return (aligned_bilinear(refined[:, None], 2)[:, 0],
                aligned_bilinear(inc[:, None], 2)[:, 0], band, len(ys))


def _add_at(maps: Tensor, ys: Tensor, xs: Tensor, values: Tensor) -> Tensor:
    """``maps`` (C, h, w) with ``values`` (C, P) added at the points (ys, xs) (distinct)."""
    flat = maps.flatten(1)
    index = (ys * maps.shape[-1] + xs)[None].expand(len(maps), -1)
    return flat.scatter_add(1, index, values).view_as(maps)


def _box_corners(boxes: Tensor, width: int, height: int) -> Tensor:
    """(m, 4) normalised (cx, cy, w, h) -> (x0, y0, x1, y1) in cells of a width x height
    grid, with the release's float operations in its order (they are truncated later)."""
    cx, cy, w, h = (boxes.detach() * boxes.new_tensor([width, height, width, height])).unbind(-1)
    x0 = cx - w * 0.5
    y0 = cy - h * 0.5
    return torch.stack([x0, y0, w + x0, h + y0], -1)


def _gather(parts: List[Tuple[Tensor, Tensor]], num_inst: int, num_frames: int) -> Tensor:
    """Per-frame (m, h, w) results of the instances ``sel`` of each frame -> (M, T, h, w)."""
    first = parts[0][1]
    out = first.new_zeros(num_inst, num_frames, *first.shape[-2:])
    for frame, (sel, values) in enumerate(parts):
        out[sel, frame % num_frames] = values
    return out
