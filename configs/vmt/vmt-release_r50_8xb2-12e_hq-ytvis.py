# VMT as publicly released (github.com/SysCV/vmt, checkpoint_r50_final.pth; HQ-YTVIS test
# AP^B 30.7, AP^M 50.5 as reported by the release): the paper config with the released
# refiner, VMTReleaseRefineHead, in place of the paper's VMTRefineHead.
#
# Convert the released checkpoint, then test with it:
#   python tools/model_converters/vmt_release2mmvmt.py checkpoint_r50_final.pth \
#       checkpoints/vmt-release_r50_hq-ytvis.pth \
#       --config configs/vmt/vmt-release_r50_8xb2-12e_hq-ytvis.py
#   python tools/test.py configs/vmt/vmt-release_r50_8xb2-12e_hq-ytvis.py \
#       checkpoints/vmt-release_r50_hq-ytvis.pth
#
# The released refiner reads the raw backbone maps (ResNet layer1, and conv1 before its
# norm), the base head's fused stride-8 map, reference points and boxes; the detector passes
# them. This config is for running the released weights: training through the detector is
# not wired for this head (the release ships no training code for it).
_base_ = './vmt_r50_8xb2-12e_hq-ytvis.py'
model = dict(
    type='VMTRelease',
    # the release runs each video unpadded (its batch is one video of equal-size frames);
    # padding to 32 would change every feature grid the refiner reads
    data_preprocessor=dict(pad_size_divisor=1),
    # it reads the backbone's raw stride-4 output: no refine_neck
    refine_neck=None,
    refine_head=dict(
        _delete_=True,
        type='VMTReleaseRefineHead',
        in_channels=256,
        f4_channels=256,  # ResNet layer1
        inst_channels=256,
        point_channels=64,
        mask_channels=8,
        hr_from_f4=False,  # stride-2 map: ResNet conv1
        max_points=12000,  # per frame, as released (a random subset beyond)
        encoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=64, num_heads=4, attn_drop=0.1,
                    dropout_layer=dict(type='Dropout', drop_prob=0.1), batch_first=True),
                ffn_cfg=dict(embed_dims=64, feedforward_channels=2048, ffn_drop=0.1)))),
    # the release keeps the 10 best (query, class) pairs of a video
    test_cfg=dict(max_per_video=10))
